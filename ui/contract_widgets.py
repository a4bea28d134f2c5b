"""Widgets of the Contrats tab: editable lines grid, small form dialog, table helpers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.billing import queries
from app.billing.contracts import LineForm
from app.errors import ValidationError
from app.i18n import _
from models.contracts import Frequency, Term
from ui.forms import Field, FormWidget
from ui.table import display

LINE_HEADERS = [
    "Article",
    "Libellé",
    "Quantité",
    "Prix unitaire",
    "Périodicité",
    "Terme",
    "Mois (saison)",
    "Date (ponctuel)",
    "Budget annuel",
]
PLAN_HEADERS = ["Ligne", "Libellé", "Du", "Au", "Exigible le", "Montant HT", "Facturé", "Prorata"]
LINE_TOOLTIPS = {  # plain-French help on the non-obvious columns (issue M)
    "Périodicité": "Tous les combien la ligne est facturée : mensuelle, trimestrielle, "
    "semestrielle, annuelle, saisonnière (certains mois) ou ponctuelle (une seule fois).",
    "Terme": "À échoir : facturé au début de la période, d'avance. Échu : facturé à la fin de "
    "la période, une fois la prestation faite.",
    "Mois (saison)": "Pour une ligne saisonnière : les mois facturés, ex. « 3,6,9,12 ».",
    "Date (ponctuel)": "Pour une ligne ponctuelle : le jour où elle est facturée.",
    "Budget annuel": "Montant HT facturé sur 12 mois par cette ligne (quantité × prix × "
    "nombre de périodes).",
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
    return table


class AskDialog(QDialog):
    """A small form dialog returning a dict of values."""

    def __init__(
        self, title: str, fields: list[Field], values: dict[str, Any], parent: QWidget | None
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
        self.line_ids: list[int | None] = []
        self.site_ids: list[int | None] = []
        self.setHorizontalHeaderLabels(LINE_HEADERS)
        for i, header in enumerate(LINE_HEADERS):
            if header in LINE_TOOLTIPS:
                self.horizontalHeaderItem(i).setToolTip(_(LINE_TOOLTIPS[header]))
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setColumnWidth(0, 200)
        self.setColumnWidth(1, 220)
        self.setToolTip(
            _("Saisie des lignes du contrat. Saison : mois facturés, ex. « 3,6,9,12 ».")
        )

    def _combo(self, choices: list[tuple[Any, str]], value: Any) -> QComboBox:
        combo = QComboBox(self)
        for data, label in choices:
            combo.addItem(label, data)
        combo.setCurrentIndex(max(combo.findData(value), 0))
        return combo

    def add_line(self, row: queries.VersionRow | None = None) -> None:
        r = self.rowCount()
        self.insertRow(r)
        self.line_ids.append(row.line_id if row else None)
        self.site_ids.append(row.site_id if row else None)
        article = self._combo(
            [(None, "—")] + [(a, label) for a, label, _p in self.articles],
            row.article_id if row else None,
        )
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
                format(row.unit_price.normalize(), "f"),
                row.months,
                display(row.one_off_date),
                format(row.annual_budget, "f") if row.annual_budget is not None else "",
            ]
        for c, text in zip((1, 2, 3, 6, 7, 8), texts, strict=True):
            self.setItem(r, c, QTableWidgetItem(text))

    def _article_chosen(self, combo: QComboBox) -> None:
        for r in range(self.rowCount()):
            if self.cellWidget(r, 0) is combo:
                for a, label, price in self.articles:
                    if a == combo.currentData():
                        if not self.item(r, 1).text():
                            self.item(r, 1).setText(label.split(" — ", 1)[-1])
                        if self.item(r, 3).text() in ("", "0"):
                            self.item(r, 3).setText(format(price.normalize(), "f"))

    def set_rows(self, rows: list[queries.VersionRow]) -> None:
        self.setRowCount(0)
        self.line_ids, self.site_ids = [], []
        for row in rows:
            self.add_line(row)

    def text(self, r: int, c: int) -> str:
        item = self.item(r, c)
        return item.text().strip() if item else ""

    def forms(self) -> list[LineForm]:
        result = []
        for r in range(self.rowCount()):
            label = f"Ligne {r + 1}"
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
