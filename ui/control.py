"""« Contrôle facturation »: month M vs M-1 by article family, regularity anomalies with a
link to the contract, export .xlsx / PDF. :class:`ControlPanel` is embedded in the run
wizard of the Facturation tab (period given by the wizard) and in its own tab."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.control.compare import FamilyTotal
from app.control.month import MonthControl, control_month, get_threshold, set_threshold
from app.errors import PropreoError
from app.i18n import _, ngettext
from app.money import ZERO, format_amount
from reports.control_pdf import render_control_pdf, write_control_xlsx
from ui.confirm import confirm
from ui.context import Tab, UiContext
from ui.month_picker import MonthPicker
from ui.operations import show_error, write_or_say
from ui.table import Column, RecordList


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:+}".replace(".", ",") + " %"


FAMILY_COLUMNS = [
    Column(_("Famille"), lambda r: r.family, 150),
    Column(_("Mois"), lambda r: r.current, 90),
    Column(_("M-1"), lambda r: r.previous, 90),
    Column(_("Écart"), lambda r: r.delta, 90),
    Column(_("Écart %"), lambda r: _pct(r.percent), 65),
]
ANOMALY_COLUMNS = [
    Column(_("Anomalie"), lambda r: r.label, 230),
    Column(_("Contrat"), lambda r: r.contract, 80),
    Column(_("Client"), lambda r: r.client, 200),
    Column(_("Mois"), lambda r: r.current, 100),
    Column(_("M-1"), lambda r: r.previous, 100),
    Column(_("Détail"), lambda r: r.detail, 260),
]


def family_total(rows: list[FamilyTotal]) -> FamilyTotal:
    """The Total row pinned under the families: Σ M and Σ M-1 of the families shown."""
    return FamilyTotal(
        _("Total"), sum((f.current for f in rows), ZERO), sum((f.previous for f in rows), ZERO)
    )


class ControlPanel(QWidget):
    """The control of one month; ``period`` given by the caller or chosen in the panel."""

    contract_requested = Signal(int)

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        *,
        period: Callable[[], str] | None = None,
        selected_draft: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result: MonthControl | None = None
        self._period_source = period
        from app.dashboard import month_to_control  # the month being billed, or last billed

        self.month = MonthPicker(self, period=ctx.query(month_to_control))
        self.month.setToolTip(_("Mois contrôlé, comparé au mois précédent (M-1)."))
        self.month.changed.connect(lambda _p: self.refresh())
        self.month.setVisible(period is None)
        self.threshold = QLineEdit(self)
        self.threshold.setMaximumWidth(60)
        self.threshold.setToolTip(
            _(
                "Seuil de variation (%) : une variation expliquée (avenant, révision, début ou "
                "fin de contrat) au-delà de ce seuil est signalée. Une variation sans "
                "explication l'est toujours."
            )
        )
        self.threshold.editingFinished.connect(self.save_threshold)
        self.summary = QLabel(self)
        self.pdf_button = QPushButton(_("Exporter PDF…"), self)
        self.pdf_button.clicked.connect(lambda: self._export("pdf"))
        self.xlsx_button = QPushButton(_("Exporter .xlsx…"), self)
        self.xlsx_button.clicked.connect(lambda: self._export("xlsx"))
        self.recompute_button = QPushButton(_("Recalculer le mois"), self)
        self.recompute_button.setToolTip(
            _(
                "Supprime les brouillons de la facturation du mois et la relance (après une "
                "correction de contrat) ; les factures déjà émises restent acquises."
            )
        )
        self.recompute_button.clicked.connect(self.recompute)
        self.recompute_button.setVisible(period is not None)
        self.last_recompute: Any = None
        self._selected_draft = selected_draft
        self.correct_button = QPushButton(_("Ajouter une ligne au brouillon…"), self)
        self.correct_button.setToolTip(
            _(
                "Corrige le brouillon sélectionné par une ligne libre (prestation en plus, geste "
                "commercial en quantité négative) ; elle apparaîtra au contrôle."
            )
        )
        self.correct_button.clicked.connect(lambda: self.correct_draft())
        self.correct_button.setVisible(selected_draft is not None)
        self.mark_label = QLabel(self)
        self.mark_button = QPushButton(_("Marquer le contrôle fait…"), self)
        self.mark_button.setToolTip(
            _(
                "Une fois les écarts examinés : le contrôle du mois est noté fait, avec votre "
                "nom et la date ; l'accueil l'indique."
            )
        )
        self.mark_button.clicked.connect(lambda: self.mark_done())
        self.families = RecordList(
            FAMILY_COLUMNS, export_name="controle_familles", total=family_total
        )
        self.anomalies = RecordList(ANOMALY_COLUMNS, export_name="controle_anomalies")
        self.anomalies.activated.connect(lambda row: self.open_contract(row.contract_id))
        self.anomalies.setToolTip(_("Double-clic : ouvrir le contrat."))
        top = QHBoxLayout()
        if period is None:
            top.addWidget(QLabel(_("Mois"), self))
            top.addWidget(self.month)
        top.addWidget(QLabel(_("Seuil %"), self))
        top.addWidget(self.threshold)
        top.addWidget(self.summary, 1)
        top.addWidget(self.correct_button)
        top.addWidget(self.recompute_button)
        top.addWidget(self.xlsx_button)
        top.addWidget(self.pdf_button)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(split)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel(_("Totaux HT par famille (M / M-1)"), left))
        ll.addWidget(self.families)
        right = QWidget(split)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel(_("Anomalies de régularité (double-clic : contrat)"), right))
        rl.addWidget(self.anomalies)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([520, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        mark_row = QHBoxLayout()
        mark_row.addWidget(self.mark_label, 1)
        mark_row.addWidget(self.mark_button)
        layout.addLayout(mark_row)
        layout.addWidget(split, 1)

    @property
    def period(self) -> str:
        if self._period_source is not None:
            return self._period_source()
        return self.month.period()

    def set_period(self, period: str) -> None:
        self.month.set_period(period)

    def refresh(self) -> None:
        threshold = self.ctx.query(get_threshold)
        self.threshold.setText(f"{threshold.normalize():f}".replace(".", ","))
        self.result = r = self.ctx.query(control_month, self.period)
        self.families.set_rows(r.by_family)
        self.anomalies.set_rows(r.anomalies)
        state = (
            ngettext("provisoire : {n} brouillon", "provisoire : {n} brouillons", r.drafts).format(
                n=r.drafts
            )
            if r.drafts
            else _("émis")
        )
        self.summary.setText(
            ngettext(
                "{period} ({state}) : {cur} HT — {prev_period} : {prev} HT — {n} anomalie",
                "{period} ({state}) : {cur} HT — {prev_period} : {prev} HT — {n} anomalies",
                len(r.anomalies),
            ).format(
                period=r.period,
                state=state,
                cur=format_amount(r.total_current),
                prev_period=r.previous,
                prev=format_amount(r.total_previous),
                n=len(r.anomalies),
            )
        )
        self._show_mark()

    def _show_mark(self) -> None:
        from app.control.marks import DONE, control_state

        if self.result is None:
            return
        billed = self.ctx.query(_has_run, self.result.period)
        self.mark_button.setEnabled(bool(billed))
        if not billed:
            self.mark_label.setText(_("Mois pas encore facturé : rien à contrôler."))
            return
        state = self.ctx.query(control_state, self.result.period, self.result)
        self.mark_label.setText(state.text())
        self.mark_button.setText(
            _("Contrôle fait ✓") if state.state == DONE else _("Marquer le contrôle fait…")
        )
        self.mark_button.setEnabled(state.state != DONE)

    def mark_done(self) -> bool:
        """The user marks the month's control done, after a confirmation naming the month and
        the anomalies examined."""
        from app.control.marks import mark_control_done

        r = self.result
        if r is None:
            return False
        month = f"{r.period[5:]}/{r.period[:4]}"
        gaps = (
            ngettext(
                "L'écart affiché a été examiné.",
                "Les {n} écarts affichés ont été examinés.",
                len(r.anomalies),
            ).format(n=len(r.anomalies))
            if r.anomalies
            else _("Le contrôle ne signale aucun écart.")
        )
        if not confirm(
            self,
            _("Contrôle fait"),
            _("Marquer le contrôle de {month} (comparé à {previous}) comme fait ?").format(
                month=month, previous=f"{r.previous[5:]}/{r.previous[:4]}"
            ),
            _("Marquer fait"),
            gaps + " " + _("L'accueil l'indiquera, avec votre nom et la date."),
        ):
            return False
        try:
            self.ctx.call(mark_control_done, r.period, topic="control")
        except PropreoError as exc:
            show_error(self, exc)
            return False
        self.refresh()
        return True

    def recompute(self) -> Any:
        """Re-compute the month's drafts off the GUI thread (progress and cancel)."""
        from app.control.provisional import recompute_period

        period = self.period

        def work(session: Any, progress: Any) -> Any:
            return recompute_period(session, period, progress=progress)

        def done(result: Any) -> None:
            self.last_recompute = result
            self.refresh()

        return self.ctx.run(
            self,
            _("Recalcul de la facturation de {period}…").format(period=period),
            work,
            on_done=done,
            on_error=lambda exc: show_error(self, exc),
            topic="billing",
        )

    def correct_draft(self, *, modal: bool = True) -> DraftLineDialog | None:
        row = self._selected_draft() if self._selected_draft else None
        if row is None:
            return None
        dialog = DraftLineDialog(self.ctx, row.id, self)
        if modal:
            dialog.exec()
        return dialog

    def save_threshold(self) -> None:
        text = self.threshold.text().strip().replace(",", ".")
        try:
            self.ctx.call(set_threshold, text or "0", topic="control")
        except PropreoError as exc:
            show_error(self, exc)
            return
        self.refresh()

    def open_contract(self, contract_id: int) -> None:
        """Show the contract in the Contrats tab (when in the main window) and tell listeners."""
        self.contract_requested.emit(contract_id)
        window = self.ctx.window or self.window()
        tab = getattr(window, "tab", None)
        if callable(tab):
            contracts = tab(_("Contrats"))
            if hasattr(contracts, "open_contract"):
                contracts.open_contract(contract_id)

    def _report(self) -> Any:
        from app.control.export import control_report

        return self.ctx.query(control_report, self.period)

    def export_pdf(self, path: str) -> None:
        write_or_say(self, path, render_control_pdf(self._report()))

    def export_xlsx(self, path: str) -> None:
        try:
            write_control_xlsx(path, self._report())
        except PropreoError as exc:  # full disk, read-only media: one French sentence
            show_error(self, exc)

    def _export(self, kind: str) -> None:
        name = f"controle_facturation_{self.period}.{kind}"
        filters = "PDF (*.pdf)" if kind == "pdf" else "Classeur Excel (*.xlsx)"
        path, _f = QFileDialog.getSaveFileName(self, _("Exporter"), name, filters)
        if path:
            (self.export_pdf if kind == "pdf" else self.export_xlsx)(path)


def _has_run(session: Any, period: str) -> bool:
    from app.dashboard import month_state

    return month_state(session, period).runs > 0


class DraftLineDialog(QDialog):
    """A free line added to a draft invoice (e.g. one of the month-end run)."""

    def __init__(self, ctx: UiContext, invoice_id: int, parent: QWidget | None = None) -> None:
        from app.billing.queries import article_choices

        super().__init__(parent)
        self.ctx, self.invoice_id = ctx, invoice_id
        self.setWindowTitle(_("Ajouter une ligne au brouillon"))
        self.article = QComboBox(self)
        self.article.addItem(_("(ligne libre)"), None)
        self.prices: dict[int, Any] = {}
        for article_id, label, price in ctx.query(article_choices):
            self.article.addItem(label, article_id)
            self.prices[article_id] = price
        self.description = QLineEdit(self)
        self.quantity = QLineEdit("1", self)
        self.quantity.setToolTip(_("Quantité négative pour une remise ou un geste commercial."))
        self.unit_price = QLineEdit(self)
        self.unit_price.setToolTip(_("Prix unitaire HT, vide : celui de l'article."))
        form = QFormLayout(self)
        form.addRow(_("Article"), self.article)
        form.addRow(_("Libellé"), self.description)
        form.addRow(_("Quantité"), self.quantity)
        form.addRow(_("Prix unitaire HT"), self.unit_price)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def save(self) -> bool:
        from app.billing.invoices import DraftLine
        from app.control.provisional import add_draft_line

        article_id = self.article.currentData()
        price = self.unit_price.text().strip().replace(",", ".")
        line = DraftLine(
            description=self.description.text(),
            quantity=self.quantity.text().strip().replace(",", ".") or "1",
            unit_price=price or self.prices.get(article_id, "0"),
            article_id=article_id,
        )
        try:
            self.ctx.call(add_draft_line, self.invoice_id, line, topic="billing")
        except PropreoError as exc:
            show_error(self, exc)
            return False
        self.accept()
        return True


class ControlTab(Tab):
    title = _("Contrôle facturation")
    help_chapter = "controle-facturation"
    topics = ("", "billing", "contracts", "control")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.panel = ControlPanel(ctx, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        self.refresh()

    def refresh(self) -> None:
        self.panel.refresh()
