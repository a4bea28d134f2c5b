"""Facturation tab: month-end run wizard (month → progress → review of the drafts with
totals and warnings → issue selected/all with progress and cancel), invoice list with
filters (period, status, client, series), invoice viewer and credit-note dialog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.billing import queries
from app.billing.consistency import contract_problems
from app.billing.credit_notes import create_credit_note, creditable_lines
from app.billing.invoices import delete_draft_invoice
from app.billing.issuing import issue_invoices
from app.billing.runs import run_month
from app.errors import PropreoError
from app.i18n import _
from app.money import format_amount
from app.progress import Progress
from models.invoices import InvoiceKind, InvoiceStatus
from ui.context import Tab, UiContext
from ui.operations import show_error
from ui.table import Column, RecordList, display

INVOICE_COLUMNS = [
    Column("N°", lambda r: r.number, 110),
    Column("Type", lambda r: r.kind_label, 80),
    Column("Statut", lambda r: r.status_label, 80),
    Column("Date", lambda r: r.issue_date, 80),
    Column("Échéance", lambda r: r.due_date, 80),
    Column("Client", lambda r: r.client, 200),
    Column("Objet", lambda r: r.title, 240),
    Column("Total HT", lambda r: r.total_ht, 90),
    Column("Total TTC", lambda r: r.total_ttc, 90),
]


def _month_of(date: QDate) -> str:
    return f"{date.year():04d}-{date.month():02d}"


class InvoiceViewer(QDialog):
    """Read-only view of an invoice or credit note: header, lines, VAT breakdown."""

    def __init__(self, ctx: UiContext, invoice_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view = ctx.query(queries.invoice_view, invoice_id)
        v = self.view
        self.setWindowTitle(f"{v.kind_label} {v.number}")
        self.resize(820, 560)
        head = QFormLayout()
        head.addRow(_("Client"), QLabel(f"{v.client} — {v.client_address}", self))
        head.addRow(
            _("Date"), QLabel(f"{display(v.issue_date)} — échéance {display(v.due_date)}", self)
        )
        head.addRow(_("Statut"), QLabel(v.status_label, self))
        head.addRow(_("Objet"), QLabel(v.title, self))
        if v.purchase_order:
            head.addRow(_("Bon de commande"), QLabel(v.purchase_order, self))
        if v.origin:
            head.addRow(_("Facture d'origine"), QLabel(v.origin, self))
        if v.payment_terms:
            head.addRow(_("Conditions"), QLabel(v.payment_terms, self))
        self.lines = QTableWidget(len(v.lines), 6, self)
        self.lines.setHorizontalHeaderLabels(
            ["Désignation", "Période", "Qté", "PU HT", "TVA", "Total HT"]
        )
        self.lines.verticalHeader().setVisible(False)
        self.lines.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for r, ln in enumerate(v.lines):
            values = [
                ln.description,
                ln.period,
                display(ln.quantity),
                display(ln.unit_price),
                f"{ln.vat_rate.normalize():f} %",
                display(ln.total_ht),
            ]
            for c, text in enumerate(values):
                self.lines.setItem(r, c, QTableWidgetItem(text))
        vat = "  ".join(
            f"TVA {t.rate:f} % sur {format_amount(t.base)} : {format_amount(t.vat)}" for t in v.vat
        )
        self.totals = QLabel(
            f"Total HT {format_amount(v.total_ht)} — TVA {format_amount(v.total_vat)} — "
            f"Total TTC {format_amount(v.total_ttc)}\n{vat}",
            self,
        )
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if v.content_hash:
            self.totals.setToolTip(_("Empreinte SHA-256 : ") + v.content_hash)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.lines, 1)
        layout.addWidget(self.totals)
        layout.addWidget(buttons)


class CreditNoteDialog(QDialog):
    """Full or partial credit note: amount HT to credit per line, never beyond what remains."""

    def __init__(self, ctx: UiContext, invoice_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.invoice_id = invoice_id
        self.note_number: str | None = None
        self.rows = ctx.query(creditable_lines, invoice_id)
        self.setWindowTitle(_("Établir un avoir"))
        self.resize(720, 420)
        self.full = QCheckBox(_("Avoir total (tout ce qui reste à créditer)"), self)
        self.full.setChecked(True)
        self.full.toggled.connect(self._toggle)
        self.date = QDateEdit(QDate.currentDate(), self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd/MM/yyyy")
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(_("Motif de l'avoir"))
        self.grid = QTableWidget(len(self.rows), 4, self)
        self.grid.setHorizontalHeaderLabels(
            ["Ligne", "Total HT", "Reste à créditer", "À créditer HT"]
        )
        self.grid.verticalHeader().setVisible(False)
        self.grid.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.grid.setToolTip(
            _("Montant hors taxes à créditer sur chaque ligne ; la TVA suit celle de la ligne.")
        )
        for r, row in enumerate(self.rows):
            for c, text in enumerate(
                [row.description, display(row.total_ht), display(row.remaining)]
            ):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.grid.setItem(r, c, item)
            self.grid.setItem(r, 3, QTableWidgetItem(""))
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Émettre l'avoir"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(_("Date"), self.date)
        form.addRow(_("Motif"), self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(self.full)
        layout.addLayout(form)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._toggle(True)

    def _toggle(self, full: bool) -> None:
        self.grid.setEnabled(not full)

    def set_amount(self, row: int, text: str) -> None:
        self.full.setChecked(False)
        self.grid.item(row, 3).setText(text)

    def save(self) -> None:
        amounts: dict[int, Decimal | str] | None = None
        if not self.full.isChecked():
            amounts = {
                row.line_id: self.grid.item(r, 3).text().strip()
                for r, row in enumerate(self.rows)
                if self.grid.item(r, 3).text().strip()
            }
        try:
            note = self.ctx.call(
                create_credit_note,
                self.invoice_id,
                issue_date=self.date.date().toPython(),
                amounts=amounts,
                reason=self.reason.text(),
                issue=True,
                topic="billing",
            )
        except PropreoError as exc:
            self.error.setText(str(exc))
            return
        self.note_number = note.number
        self.accept()


class BillingTab(Tab):
    title = "Facturation"
    topics = ("", "billing", "contracts", "payments")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.review: queries.RunReview | None = None
        self.last_numbers: list[str] = []

        # --- run wizard ---
        self.month = QDateEdit(self)
        self.month.setDisplayFormat("MM/yyyy")
        self.month.setCalendarPopup(True)
        today = dt.date.today()
        self.month.setDate(QDate(today.year, today.month, 1))
        self.month.setToolTip(
            _("Mois à facturer : toutes les périodes exigibles jusqu'à sa fin, rattrapage compris.")
        )
        self.month.dateChanged.connect(lambda _d: self.load_review())
        self.control_button = QPushButton(_("Contrôle des contrats"), self)
        self.control_button.clicked.connect(self.run_control)
        self.run_button = QPushButton(_("Lancer la facturation"), self)
        self.run_button.clicked.connect(self.start_run)
        self.issue_selected_button = QPushButton(_("Émettre la sélection"), self)
        self.issue_selected_button.clicked.connect(lambda: self.issue(selected_only=True))
        self.issue_all_button = QPushButton(_("Émettre tout"), self)
        self.issue_all_button.clicked.connect(lambda: self.issue(selected_only=False))
        self.delete_button = QPushButton(_("Supprimer le brouillon"), self)
        self.delete_button.setToolTip(_("Les périodes de ce brouillon redeviennent facturables."))
        self.delete_button.clicked.connect(self.delete_selected)
        self.drafts = RecordList(INVOICE_COLUMNS, export_name="brouillons")
        self.drafts.activated.connect(lambda row: self.open_invoice(row.id))
        self.totals = QLabel(self)
        self.warnings = QListWidget(self)
        self.warnings.setMaximumHeight(120)
        self.warnings.setToolTip(
            _(
                "Clients bloqués, en litige, au-delà de leur encours autorisé, données légales manquantes."
            )
        )
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Mois"), self))
        top.addWidget(self.month)
        top.addWidget(self.control_button)
        top.addWidget(self.run_button)
        top.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(self.totals, 1)
        actions.addWidget(self.delete_button)
        actions.addWidget(self.issue_selected_button)
        actions.addWidget(self.issue_all_button)
        run_page = QWidget(self)
        rl = QVBoxLayout(run_page)
        rl.addLayout(top)
        rl.addWidget(QLabel(_("Factures provisoires du mois (double-clic : voir)"), self))
        rl.addWidget(self.drafts, 1)
        rl.addLayout(actions)
        rl.addWidget(QLabel(_("Avertissements"), self))
        rl.addWidget(self.warnings)

        # --- invoice list ---
        self.f_period = QLineEdit(self)
        self.f_period.setPlaceholderText("AAAA-MM")
        self.f_period.setToolTip(_("Mois d'émission (AAAA-MM) ; vide : tous"))
        self.f_status = QComboBox(self)
        self.f_status.addItem(_("Tous statuts"), None)
        for value, label in InvoiceStatus.LABELS.items():
            self.f_status.addItem(label, value)
        self.f_series = QComboBox(self)
        self.f_series.addItem(_("Toutes séries"), None)
        self.f_series.addItem(_("Factures"), "invoice")
        self.f_series.addItem(_("Avoirs"), "credit_note")
        self.f_client = QComboBox(self)
        self.f_client.addItem(_("Tous clients"), None)
        for client_id, label in ctx.query(queries.client_choices):
            self.f_client.addItem(label, client_id)
        for w in (self.f_status, self.f_series, self.f_client):
            w.currentIndexChanged.connect(lambda _i: self.load_invoices())
        self.f_period.editingFinished.connect(self.load_invoices)
        self.invoices = RecordList(INVOICE_COLUMNS, export_name="factures")
        self.invoices.activated.connect(lambda row: self.open_invoice(row.id))
        self.view_button = QPushButton(_("Voir"), self)
        self.view_button.clicked.connect(lambda: self._with_current(self.open_invoice))
        self.credit_button = QPushButton(_("Avoir…"), self)
        self.credit_button.clicked.connect(lambda: self._with_current(self.open_credit_note))
        filters = QHBoxLayout()
        for w in (self.f_period, self.f_status, self.f_series, self.f_client):
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(self.view_button)
        filters.addWidget(self.credit_button)
        list_page = QWidget(self)
        ll = QVBoxLayout(list_page)
        ll.addLayout(filters)
        ll.addWidget(self.invoices, 1)

        self.pages = QTabWidget(self)
        self.pages.addTab(run_page, _("Facturation du mois"))
        self.pages.addTab(list_page, _("Factures et avoirs"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.refresh()

    # --- data -------------------------------------------------------------------------

    @property
    def period(self) -> str:
        return _month_of(self.month.date())

    def set_period(self, period: str) -> None:
        self.month.setDate(QDate(int(period[:4]), int(period[5:7]), 1))

    def refresh(self) -> None:
        self.load_review()
        self.load_invoices()

    def load_review(self) -> None:
        self.review = self.ctx.query(queries.run_review, self.period)
        r = self.review
        self.drafts.set_rows(r.drafts)
        self.totals.setText(
            f"{len(r.drafts)} facture(s) provisoire(s) — {format_amount(r.total_ht)} HT — "
            f"{format_amount(r.total_ttc)} TTC"
        )
        self.warnings.clear()
        self.warnings.addItems(r.warnings)
        has = bool(r.drafts)
        for b in (self.issue_all_button, self.issue_selected_button, self.delete_button):
            b.setEnabled(has)

    def load_invoices(self) -> None:
        period = self.f_period.text().strip() or None
        if period and not (
            len(period) == 7 and period[4] == "-" and period.replace("-", "").isdigit()
        ):
            period = None
        self.invoices.set_rows(
            self.ctx.query(
                queries.list_invoices,
                period=period,
                status=self.f_status.currentData(),
                client_id=self.f_client.currentData(),
                series=self.f_series.currentData(),
            )
        )

    # --- actions ------------------------------------------------------------------------

    def run_control(self) -> None:
        problems = self.ctx.query(contract_problems)
        self.warnings.clear()
        self.warnings.addItems(
            [f"{p.subject} : {p.message}" for p in problems]
            or [_("Aucune anomalie dans les contrats.")]
        )

    def start_run(self) -> Any:
        period = self.period

        def work(session: Any, progress: Progress) -> Any:
            return run_month(session, period, progress=progress)

        return self.ctx.run(
            self,
            _("Facturation de {period}…").format(period=period),
            work,
            on_done=self._run_done,
            on_error=lambda exc: show_error(self, exc),
            topic="billing",
        )

    def _run_done(self, result: Any) -> None:
        self.load_review()
        self.warnings.clear()
        self.warnings.addItems(result.warnings)
        if not result.created:
            self.warnings.addItem(_("Rien de nouveau à facturer pour ce mois."))

    def issue(self, *, selected_only: bool) -> Any:
        rows = self.drafts.selected() if selected_only else self.drafts.visible_rows()
        ids = [r.id for r in rows]
        if not ids:
            return None

        def work(session: Any, progress: Progress) -> list[str]:
            return issue_invoices(session, ids, progress=progress)

        return self.ctx.run(
            self,
            _("Émission des factures…"),
            work,
            on_done=self._issued,
            on_error=lambda exc: show_error(self, exc),
            topic="billing",
        )

    def _issued(self, numbers: list[str]) -> None:
        self.last_numbers = list(numbers)
        self.refresh()
        if numbers:
            self.warnings.addItem(
                _("{n} facture(s) émise(s) : {first} à {last}.").format(
                    n=len(numbers), first=numbers[0], last=numbers[-1]
                )
            )

    def delete_selected(self) -> None:
        for row in self.drafts.selected():
            try:
                self.ctx.call(delete_draft_invoice, row.id, topic="billing")
            except PropreoError as exc:
                show_error(self, exc)
                return

    def _with_current(self, fn: Any) -> None:
        row = self.invoices.current()
        if row is not None:
            fn(row.id)

    def open_invoice(self, invoice_id: int, *, modal: bool = True) -> InvoiceViewer:
        viewer = InvoiceViewer(self.ctx, invoice_id, self)
        if modal:
            viewer.exec()
        return viewer

    def open_credit_note(self, invoice_id: int, *, modal: bool = True) -> CreditNoteDialog | None:
        row = next((r for r in self.invoices.visible_rows() if r.id == invoice_id), None)
        if row is not None and (
            row.status != InvoiceStatus.ISSUED or row.kind == InvoiceKind.CREDIT_NOTE
        ):
            self.warnings.addItem(_("Un avoir s'établit sur une facture émise."))
            return None
        dialog = CreditNoteDialog(self.ctx, invoice_id, self)
        if modal:
            dialog.exec()
        return dialog
