"""Dialogs of the Facturation tab: invoice viewer, credit note, manual (one-off) invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import Qt
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
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.billing import queries
from app.billing.credit_notes import creditable_lines, issue_credit_note
from app.billing.invoices import DraftLine, create_draft_invoice, update_draft_invoice
from app.errors import PropreoError
from app.i18n import _
from app.money import format_amount
from models.invoices import InvoiceStatus
from ui.confirm import confirm
from ui.context import UiContext
from ui.forms import error_label
from ui.invoice_lines import LABEL, PRICE, QUANTITY, InvoiceLinesTable
from ui.table import display


def issue_date_edit(parent: QWidget) -> QDateEdit:
    """The date of a document to issue: today by default, never after today (the app refuses
    it too: app.billing.issue_dates)."""
    today = clock.today()
    edit = QDateEdit(today, parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setMaximumDate(today)
    return edit


def _day_edit(parent: QWidget, day: dt.date) -> QDateEdit:
    edit = QDateEdit(day, parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")
    return edit


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
            _("Date"),
            QLabel(
                _("{issued} — échéance {due}").format(
                    issued=display(v.issue_date), due=display(v.due_date)
                ),
                self,
            ),
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
            [_("Désignation"), _("Période"), _("Qté"), _("PU HT"), _("TVA"), _("Total HT")]
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
            _("Total HT {ht} — TVA {vat} — Total TTC {ttc}").format(
                ht=format_amount(v.total_ht),
                vat=format_amount(v.total_vat),
                ttc=format_amount(v.total_ttc),
            )
            + f"\n{vat}",
            self,
        )
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if v.content_hash:
            self.totals.setToolTip(_("Empreinte SHA-256 : ") + v.content_hash)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        # Print, save or e-mail it from here, as archived at issue (not a draft: not issued).
        from ui.document_actions import DocumentActions

        issued = v.status == InvoiceStatus.ISSUED
        self.actions = DocumentActions(
            ctx, self, lambda: [(v.id, v.number)] if issued else [], title=self.windowTitle()
        )
        self.actions.setEnabled(issued)
        bottom = QHBoxLayout()
        bottom.addWidget(self.actions)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.lines, 1)
        layout.addWidget(self.totals)
        layout.addLayout(bottom)


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
        self.date = issue_date_edit(self)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(_("Motif de l'avoir"))
        self.grid = QTableWidget(len(self.rows), 4, self)
        self.grid.setHorizontalHeaderLabels(
            [_("Ligne"), _("Total HT"), _("Reste à créditer"), _("À créditer HT")]
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
        self.error = error_label(self)
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
            # Saved as a draft, checked outside any write, then numbered once confirmed.
            note = issue_credit_note(
                self.ctx.db,
                self.invoice_id,
                issue_date=self.date.date().toPython(),
                amounts=amounts,
                reason=self.reason.text(),
                confirm=lambda preview: confirm(
                    self, _("Émettre l'avoir"), preview.text(), _("Émettre l'avoir")
                ),
            )
        except PropreoError as exc:
            self.error.setText(str(exc))
            self.ctx.bus.changed.emit("billing")  # a refused credit note stays a draft
            return
        if note is None:
            return
        self.ctx.bus.changed.emit("billing")
        self.note_number = note.number
        self.accept()


class ManualInvoiceDialog(QDialog):
    """A one-off invoice for any client: free lines or catalogue articles (saved as a draft)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.invoice_id: int | None = None
        self.shown_service: tuple[int | None, dt.date, dt.date] | None = None
        self.setWindowTitle(_("Facture ponctuelle"))
        self.resize(960, 480)
        self.client = QComboBox(self)
        self.client.addItem("—", None)
        for client_id, label in ctx.query(queries.client_choices):
            self.client.addItem(label, client_id)
        self.client.currentIndexChanged.connect(lambda _i: self._load_sites())
        self.date = issue_date_edit(self)
        # Where and when the service was done (CGI art. 242 nonies A): printed, and BT-73/74.
        self.site = QComboBox(self)
        self.site.setToolTip(_("Chantier où la prestation a été réalisée (adresse imprimée)."))
        self.period_start = _day_edit(self, self.date.date().toPython())
        self.period_end = _day_edit(self, self.date.date().toPython())
        self.period_start.setToolTip(_("Premier jour de la prestation facturée."))
        self.period_end.setToolTip(_("Dernier jour de la prestation facturée."))
        self.title = QLineEdit(self)
        self.title.setPlaceholderText(_("Objet de la facture"))
        self.purchase_order = QLineEdit(self)
        self.grid = InvoiceLinesTable(ctx, self)
        self.grid.verticalHeader().setVisible(False)
        add = QPushButton(_("Ajouter une ligne"), self)
        add.clicked.connect(self.add_line)
        remove = QPushButton(_("Supprimer la ligne"), self)
        remove.clicked.connect(self.grid.remove_current)
        line_buttons = QHBoxLayout()
        line_buttons.addWidget(add)
        line_buttons.addWidget(remove)
        line_buttons.addStretch(1)
        self.error = error_label(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Enregistrer le brouillon"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(_("Client"), self.client)
        form.addRow(_("Date"), self.date)
        form.addRow(_("Chantier"), self.site)
        period = QHBoxLayout()
        period.addWidget(self.period_start)
        period.addWidget(QLabel(_("au"), self))
        period.addWidget(self.period_end)
        period.addStretch(1)
        form.addRow(_("Prestation du"), period)
        form.addRow(_("Objet"), self.title)
        form.addRow(_("Bon de commande"), self.purchase_order)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.grid, 1)
        layout.addLayout(line_buttons)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._load_sites()
        self.add_line()

    def _load_sites(self, site_id: int | None = None, *, preselect: bool = True) -> None:
        """The chosen client's sites (a new invoice: the client's only site preselected)."""
        from app.quotes.views import site_choices

        self.site.clear()
        self.site.addItem("—", None)
        client_id = self.client.currentData()
        choices = self.ctx.query(site_choices, client_id) if client_id else []
        for value, label in choices:
            self.site.addItem(label, value)
        if site_id is None and preselect and len(choices) == 1:
            site_id = choices[0][0]
        self.site.setCurrentIndex(max(self.site.findData(site_id), 0))

    def service(self) -> tuple[int | None, dt.date, dt.date]:
        return (
            self.site.currentData(),
            self.period_start.date().toPython(),
            self.period_end.date().toPython(),
        )

    def add_line(self) -> None:
        self.grid.add_line()

    def set_line(self, row: int, description: str, quantity: str, price: str) -> None:
        while self.grid.rowCount() <= row:
            self.add_line()
        for column, text in ((LABEL, description), (QUANTITY, quantity), (PRICE, price)):
            self.grid.set_cell(row, column, text)

    def lines(self) -> list[DraftLine]:
        return self.grid.lines()

    def load_draft(self, invoice_id: int) -> None:
        """Edit an existing draft (its client stays; each line keeps what it stores)."""
        d = self.ctx.query(queries.draft_for_edit, invoice_id)
        self.invoice_id = d.id
        self.setWindowTitle(_("Facture provisoire"))
        self.client.setCurrentIndex(max(self.client.findData(d.client_id), 0))
        self.client.setEnabled(False)
        self.date.setDate(d.issue_date)
        self._load_sites(d.site_id, preselect=False)
        self.period_start.setDate(d.period_start or d.issue_date)
        self.period_end.setDate(d.period_end or d.issue_date)
        self.shown_service = self.service()  # saved untouched: the draft keeps its own
        self.title.setText(d.title)
        self.purchase_order.setText(d.purchase_order)
        self.grid.set_lines(d.lines)

    def save(self) -> None:
        if self.invoice_id is not None:
            try:
                self.ctx.call(
                    update_draft_invoice,
                    self.invoice_id,
                    self.lines(),
                    issue_date=self.date.date().toPython(),
                    title=self.title.text().strip(),
                    purchase_order=self.purchase_order.text().strip(),
                    service=None if self.service() == self.shown_service else self.service(),
                    topic="billing",
                )
            except PropreoError as exc:
                self.error.setText(str(exc))
                return
            self.accept()
            return
        try:
            invoice = self.ctx.call(
                create_draft_invoice,
                self.client.currentData(),
                self.lines(),
                issue_date=self.date.date().toPython(),
                title=self.title.text().strip(),
                purchase_order=self.purchase_order.text().strip(),
                site_id=self.service()[0],
                period_start=self.service()[1],
                period_end=self.service()[2],
                topic="billing",
            )
        except PropreoError as exc:
            self.error.setText(str(exc))
            return
        self.invoice_id = invoice.id
        self.accept()
