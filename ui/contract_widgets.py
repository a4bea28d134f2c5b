"""Widgets of the Contrats tab: editable lines grid, small form dialog, table helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.billing import amendments as corrections
from app.billing import queries
from app.billing.contracts import LineForm
from app.errors import PropreoError, ValidationError
from app.i18n import _
from app.money import decimal_text
from models.contracts import Frequency, Term
from ui.context import UiContext
from ui.forms import Field, FormWidget, error_label
from ui.table import display, set_widths

LINE_HEADERS = [
    _("Article"),
    _("Libellé"),
    _("Quantité"),
    _("Prix unitaire"),
    _("Périodicité"),
    _("Terme"),
    _("Mois (saison)"),
    _("Date (ponctuel)"),
    _("Budget annuel"),
]
PLAN_HEADERS = [
    _("Ligne"),
    _("Libellé"),
    _("Du"),
    _("Au"),
    _("Exigible le"),
    _("Montant HT"),
    _("Facturé"),
    _("Prorata"),
]
LINE_TOOLTIPS = {  # plain-French help on the non-obvious columns (issue M)
    _("Périodicité"): _(
        "Tous les combien la ligne est facturée : mensuelle, trimestrielle, "
        "semestrielle, annuelle, saisonnière (certains mois) ou ponctuelle (une seule fois)."
    ),
    _("Terme"): _(
        "À échoir : facturé au début de la période, d'avance. Échu : facturé à la fin de "
        "la période, une fois la prestation faite."
    ),
    _("Mois (saison)"): _("Pour une ligne saisonnière : les mois facturés, ex. « 3,6,9,12 »."),
    _("Date (ponctuel)"): _("Pour une ligne ponctuelle : le jour où elle est facturée."),
    _("Budget annuel"): _(
        "Montant HT facturé sur 12 mois par cette ligne (quantité × prix × nombre de périodes)."
    ),
}


def parse_date(text: str, field: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise ValidationError(
            field, "« {value} » : date attendue au format jj/mm/aaaa.", value=text
        ) from None


def fill_table(table: QTableWidget, rows: list[list[Any]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(display(value) if not isinstance(value, str) else value)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if isinstance(value, Decimal):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


def make_table(headers: list[str], parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    set_widths(table)
    return table


class AskDialog(QDialog):
    """A small form dialog returning a dict of values."""

    def __init__(
        self,
        title: str,
        fields: list[Field],
        values: dict[str, Any],
        parent: QWidget | None,
        *,
        intro: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = FormWidget(fields, self)
        for k, v in values.items():
            self.form.set_value(k, v)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if intro:  # what the action does, read before confirming
            label = QLabel(intro, self)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addWidget(self.form)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        return {f.name: self.form.value(f.name) for f in self.form.fields}


class LinesGrid(QTableWidget):
    """Editable contract lines: article combo, texts, frequency and term combos."""

    def __init__(
        self, articles: list[tuple[int, str, Decimal]], parent: QWidget | None = None
    ) -> None:
        super().__init__(0, len(LINE_HEADERS), parent)
        self.articles = articles
        # Label of an article no longer in the list (deactivated) that a line still names.
        self.inactive_label: Callable[[int], str | None] = lambda _a: None
        self.line_ids: list[int | None] = []
        self.site_ids: list[int | None] = []
        self.setHorizontalHeaderLabels(LINE_HEADERS)
        for i, header in enumerate(LINE_HEADERS):
            if header in LINE_TOOLTIPS:
                self.horizontalHeaderItem(i).setToolTip(_(LINE_TOOLTIPS[header]))
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        set_widths(self, [200, 220])
        self.setToolTip(
            _(
                "Saisie des lignes du contrat. Saison : mois facturés, ex. « 3,6,9,12 ». "
                "Suppr. ou clic droit : supprimer la ligne."
            )
        )
        self.remove_action = QAction(_("Supprimer la ligne"), self)
        self.remove_action.triggered.connect(lambda: self.remove_line())
        self.addAction(self.remove_action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (
            event.matches(QKeySequence.StandardKey.Delete)
            and self.state() != self.State.EditingState
        ):
            self.remove_line()
            return
        super().keyPressEvent(event)

    def remove_line(self, row: int | None = None) -> bool:
        """Take a line out of the grid (the current one by default). Nothing is written
        before « Enregistrer » (a draft) or the amendment (a contract in force)."""
        row = self.currentRow() if row is None else row
        if not 0 <= row < self.rowCount():
            return False
        self.removeRow(row)
        del self.line_ids[row], self.site_ids[row]
        return True

    def _combo(self, choices: list[tuple[Any, str]], value: Any) -> QComboBox:
        combo = QComboBox(self)
        for data, label in choices:
            combo.addItem(label, data)
        combo.setCurrentIndex(max(combo.findData(value), 0))
        return combo

    def _keep_article(self, combo: QComboBox, article_id: int | None) -> None:
        if article_id is not None and combo.findData(article_id) < 0:
            label = self.inactive_label(article_id)
            if label is not None:
                combo.addItem(label, article_id)
        combo.setCurrentIndex(max(combo.findData(article_id), 0))

    def add_line(self, row: queries.VersionRow | None = None) -> None:
        r = self.rowCount()
        self.insertRow(r)
        self.line_ids.append(row.line_id if row else None)
        self.site_ids.append(row.site_id if row else None)
        article = self._combo(
            [(None, "—")] + [(a, label) for a, label, _p in self.articles],
            row.article_id if row else None,
        )
        self._keep_article(article, row.article_id if row else None)
        article.currentIndexChanged.connect(lambda _i, combo=article: self._article_chosen(combo))
        self.setCellWidget(r, 0, article)
        self.setCellWidget(
            r, 4, self._combo(list(Frequency.LABELS.items()), row.frequency if row else "monthly")
        )
        self.setCellWidget(
            r, 5, self._combo(list(Term.LABELS.items()), row.term if row else "advance")
        )
        texts = ["", "1", "0", "", "", ""]
        if row:
            texts = [
                row.description,
                display(row.quantity),
                decimal_text(row.unit_price),
                row.months,
                display(row.one_off_date),
                format(row.annual_budget, "f") if row.annual_budget is not None else "",
            ]
        for c, text in zip((1, 2, 3, 6, 7, 8), texts, strict=True):
            self.setItem(r, c, QTableWidgetItem(text))

    def set_articles(self, articles: list[tuple[int, str, Decimal]]) -> None:
        """The article list changed (app.choices): refill each line's combo, keeping its
        article (not re-applying its label and price)."""
        self.articles = articles
        for r in range(self.rowCount()):
            combo = self.cellWidget(r, 0)
            assert isinstance(combo, QComboBox)
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("—", None)
            for a, label, _p in articles:
                combo.addItem(label, a)
            self._keep_article(combo, current)
            combo.blockSignals(False)

    def _article_chosen(self, combo: QComboBox) -> None:
        for r in range(self.rowCount()):
            if self.cellWidget(r, 0) is combo:
                for a, label, price in self.articles:
                    if a == combo.currentData():
                        if not self.item(r, 1).text():
                            self.item(r, 1).setText(label.split(" — ", 1)[-1])
                        if self.item(r, 3).text() in ("", "0"):
                            self.item(r, 3).setText(decimal_text(price))

    def set_rows(self, rows: list[queries.VersionRow]) -> None:
        self.setRowCount(0)
        self.line_ids, self.site_ids = [], []
        for row in rows:
            self.add_line(row)

    def text(self, r: int, c: int) -> str:
        item = self.item(r, c)
        return item.text().strip() if item else ""

    def is_blank(self, r: int) -> bool:
        """A new row left as added (no article, no text, no price): not a line."""
        return (
            self.line_ids[r] is None
            and self.cellWidget(r, 0).currentData() is None  # type: ignore[attr-defined]
            and not self.text(r, 1)
            and self.text(r, 3) in ("", "0")
            and not any(self.text(r, c) for c in (6, 7, 8))
        )

    def forms(self) -> list[LineForm]:
        result = []
        for r in range(self.rowCount()):
            if self.is_blank(r):
                continue
            label = _("Ligne {n}").format(n=r + 1)
            result.append(
                LineForm(
                    description=self.text(r, 1),
                    quantity=self.text(r, 2) or "0",
                    unit_price=self.text(r, 3) or "0",
                    frequency=self.cellWidget(r, 4).currentData(),  # type: ignore[attr-defined]
                    term=self.cellWidget(r, 5).currentData(),  # type: ignore[attr-defined]
                    article_id=self.cellWidget(r, 0).currentData(),  # type: ignore[attr-defined]
                    months=self.text(r, 6),
                    one_off_date=parse_date(self.text(r, 7), label),
                    annual_budget=self.text(r, 8) or None,
                    site_id=self.site_ids[r],
                    line_id=self.line_ids[r],
                )
            )
        return result


# --- Avenants / Suspensions pages: correcting what was typed (nothing is deleted) -------

VERSION_HEADERS = [
    _("Ligne"),
    _("Depuis le"),
    _("Origine"),
    _("Libellé"),
    _("Quantité"),
    _("Prix unitaire"),
    _("Périodicité"),
    _("Terme"),
]


def _message(parent: QWidget) -> QLabel:
    return error_label(parent)


class AmendmentsPage(QWidget):
    """The contract's amendments (cancelled ones listed « annulé ») and the versions of its
    lines, with « Annuler l'avenant… » for the last amendment in force."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contract_id: int | None = None
        self.rows: list[corrections.AmendmentRow] = []
        self.table = make_table(
            [_("N°"), _("Signé le"), _("Effet au"), _("Objet"), _("État")], self
        )
        self.table.setColumnWidth(3, 300)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.versions = make_table(VERSION_HEADERS, self)
        self.versions.setColumnWidth(2, 170)
        self.versions.setColumnWidth(3, 260)
        self.cancel_button = QPushButton(_("Annuler l'avenant…"), self)
        self.cancel_button.setToolTip(
            _(
                "Annule le dernier avenant en vigueur (saisie erronée) : ses conditions cessent "
                "de s'appliquer, il reste visible comme annulé ; ce qu'il a déjà facturé est "
                "régularisé au prochain lancement."
            )
        )
        self.cancel_button.clicked.connect(self.ask_cancel)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.message = _message(self)
        bar = QHBoxLayout()
        bar.addWidget(self.cancel_button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Avenants"), self))
        layout.addWidget(self.table)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(QLabel(_("Versions des lignes (historique des conditions)"), self))
        layout.addWidget(self.versions)
        self._update_buttons()

    def load(self, contract_id: int | None, versions: list[list[Any]]) -> None:
        """Fill both tables; the cancelled amendments' versions follow those in force."""
        self.contract_id = contract_id
        self.rows = self.ctx.query(corrections.amendment_rows, contract_id) if contract_id else []
        fill_table(
            self.table,
            [
                [a.number, a.signed_date, a.effective_date, a.description, a.state]
                for a in self.rows
            ],
        )
        cancelled = (
            self.ctx.query(corrections.cancelled_version_rows, contract_id) if contract_id else []
        )
        fill_table(
            self.versions,
            versions
            + [
                [
                    v.position,
                    v.valid_from,
                    v.origin,
                    v.description,
                    v.quantity,
                    v.unit_price,
                    v.frequency,
                    v.term,
                ]
                for v in cancelled
            ],
        )
        self._update_buttons()

    def selected(self) -> corrections.AmendmentRow | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.rows[rows.pop()] if len(rows) == 1 else None

    def _update_buttons(self) -> None:
        row = self.selected()
        self.cancel_button.setEnabled(row is not None and row.cancellable)

    def cancel(self, reason: str) -> bool:
        row = self.selected()
        if row is None:
            return False
        try:
            self.ctx.call(corrections.cancel_amendment, row.id, reason, topic="contracts")
        except PropreoError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText("")
        return True

    def ask_cancel(self) -> None:
        row = self.selected()
        if row is None:
            return
        dialog = AskDialog(
            _("Annuler l'avenant n° {number}").format(number=row.number),
            [
                Field(
                    "reason",
                    _("Motif de l'annulation"),
                    kind="multiline",
                    tooltip=_("Obligatoire : il figure dans l'historique du contrat et du client."),
                )
            ],
            {},
            self,
            intro=_(
                "L'avenant n° {number} (effet le {date}) cessera de s'appliquer : les lignes "
                "reviennent aux conditions d'avant. Il reste visible, marqué annulé, et son "
                "numéro n'est pas réutilisé. Les périodes déjà facturées à ses conditions "
                "seront régularisées au prochain lancement de la facturation."
            ).format(number=row.number, date=f"{row.effective_date:%d/%m/%Y}"),
        )
        if dialog.exec():
            self.cancel(dialog.values()["reason"])


class SuspensionsPage(QWidget):
    """The contract's suspensions (cancelled ones listed « annulée »), with « Corriger… »
    and « Annuler la suspension… »."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contract_id: int | None = None
        self.rows: list[corrections.SuspensionRow] = []
        self.table = make_table(
            [_("Du"), _("Au"), _("Facturée"), _("Portée"), _("Motif"), _("État")], self
        )
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.correct_button = QPushButton(_("Corriger…"), self)
        self.correct_button.setToolTip(
            _(
                "Corrige les dates ou le caractère facturé de la suspension ; l'historique garde "
                "les anciennes valeurs et le prochain lancement régularise."
            )
        )
        self.correct_button.clicked.connect(self.ask_correct)
        self.cancel_button = QPushButton(_("Annuler la suspension…"), self)
        self.cancel_button.setToolTip(
            _(
                "Suspension saisie par erreur : elle ne s'applique plus ; les périodes qu'elle "
                "avait retirées sont facturées en rattrapage au prochain lancement."
            )
        )
        self.cancel_button.clicked.connect(self.ask_cancel)
        self.message = _message(self)
        bar = QHBoxLayout()
        bar.addWidget(self.correct_button)
        bar.addWidget(self.cancel_button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        self._update_buttons()

    def load(self, contract_id: int | None) -> None:
        self.contract_id = contract_id
        self.rows = self.ctx.query(corrections.suspension_rows, contract_id) if contract_id else []
        fill_table(
            self.table,
            [[s.start_date, s.end_date, s.billed, s.scope, s.reason, s.state] for s in self.rows],
        )
        self._update_buttons()

    def selected(self) -> corrections.SuspensionRow | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.rows[rows.pop()] if len(rows) == 1 else None

    def _update_buttons(self) -> None:
        row = self.selected()
        for button in (self.correct_button, self.cancel_button):
            button.setEnabled(row is not None and row.active)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> bool:
        try:
            self.ctx.call(fn, *args, topic="contracts", **kwargs)
        except PropreoError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText("")
        return True

    def correct(self, start: dt.date, end: dt.date, billed: bool, reason: str) -> bool:
        row = self.selected()
        if row is None:
            return False
        return self._call(
            corrections.correct_suspension, row.id, start, end, billed=billed, reason=reason
        )

    def cancel(self, reason: str) -> bool:
        row = self.selected()
        return row is not None and self._call(corrections.cancel_suspension, row.id, reason)

    def ask_correct(self) -> None:
        row = self.selected()
        if row is None:
            return
        dialog = AskDialog(
            _("Corriger la suspension"),
            [
                Field("start", _("Du"), kind="date"),
                Field("end", _("Au"), kind="date"),
                Field(
                    "billed",
                    _("Période facturée"),
                    kind="bool",
                    tooltip=_("Cochée : la suspension ne change pas la facturation."),
                ),
                Field("reason", _("Motif")),
            ],
            {
                "start": row.start_date,
                "end": row.end_date,
                "billed": row.billed,
                "reason": row.reason,
            },
            self,
            intro=_(
                "Les périodes déjà facturées seront régularisées au prochain lancement ; "
                "l'historique du contrat garde les anciennes dates."
            ),
        )
        if dialog.exec():
            v = dialog.values()
            self.correct(v["start"], v["end"], v["billed"], v["reason"])

    def ask_cancel(self) -> None:
        row = self.selected()
        if row is None:
            return
        dialog = AskDialog(
            _("Annuler la suspension"),
            [
                Field(
                    "reason",
                    _("Motif de l'annulation"),
                    kind="multiline",
                    tooltip=_("Obligatoire : il figure dans l'historique du contrat et du client."),
                )
            ],
            {},
            self,
            intro=_(
                "La suspension du {start} au {end} ne s'appliquera plus (elle reste visible, "
                "marquée annulée). Les périodes qu'elle avait retirées de la facturation seront "
                "facturées en rattrapage au prochain lancement."
            ).format(start=f"{row.start_date:%d/%m/%Y}", end=f"{row.end_date:%d/%m/%Y}"),
        )
        if dialog.exec():
            self.cancel(dialog.values()["reason"])
