"""Règlements tab: payment list (filters, search), entry form with allocation grid,
receipt PDF, undo of an allocation; remittance-slip and SEPA dialogs live in
:mod:`ui.payments_dialogs`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import PropreoError, ValidationError
from app.i18n import _, ngettext
from app.money import ZERO, format_amount, round_money, to_decimal
from app.payments import queries
from app.payments.allocation import allocate, undo_allocation
from app.payments.allocation_rules import (
    ALLOCATION_FIELD,
    WRITEOFF_LIMIT,
    AllocationLine,
    OpenItem,
    suggest_allocation,
)
from app.payments.entry import BANK_ACCOUNTS, PaymentForm, record_payment
from app.payments.receipts import receipt_pdf
from models.payments import PaymentMeans, PaymentStatus
from ui import choices
from ui.context import Tab, UiContext
from ui.forms import Field, FormWidget, error_label, save_cancel_buttons
from ui.operations import show_error, write_or_say
from ui.table import Column, RecordList

ENTRY_FIELDS = [
    Field("client_id", _("Client"), kind="choice"),
    Field("date", _("Date"), kind="date", tooltip=_("Date de réception du règlement.")),
    Field(
        "means", _("Mode de règlement"), kind="choice", choices=list(PaymentMeans.LABELS.items())
    ),
    Field("amount", _("Montant"), placeholder="0,00", tooltip=_("Montant reçu, en euros.")),
    Field(
        "reference",
        _("Référence"),
        tooltip=_("Libellé du virement, n° de remise, référence du prélèvement…"),
    ),
    Field("cheque_bank", _("Banque du chèque")),
    Field("cheque_number", _("N° de chèque")),
    Field("drawer", _("Tireur"), tooltip=_("Titulaire du chèque s'il n'est pas le client.")),
    Field(
        "bank_account",
        _("Compte d'encaissement"),
        kind="choice",
        choices=[(k, f"{k} — {v}") for k, v in BANK_ACCOUNTS.items()],
        tooltip=_("Compte de trésorerie débité dans la comptabilité (journal de banque)."),
    ),
    Field("notes", _("Notes"), kind="multiline"),
]

GRID_HEADERS = [_("Facture"), _("Date"), _("Échéance"), _("Reste dû"), _("Imputer")]


class AllocationGrid(QWidget):
    """The client's open invoices with an « Imputer » column, the suggestion (oldest first),
    what is left, and the write-off of rounding gaps up to the limit app.payments sets."""

    changed = Signal()

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.items: list[queries.OpenInvoiceRow] = []
        self.available: Decimal | None = None  # what may be allocated (None: not typed)
        self.table = QTableWidget(0, len(GRID_HEADERS), self)
        self.table.setHorizontalHeaderLabels(GRID_HEADERS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setToolTip(
            _("Saisissez le montant imputé sur chaque facture (colonne Imputer).")
        )
        self.table.itemChanged.connect(lambda _item: self.update_rest())
        self.suggest_button = QPushButton(_("Proposer (plus anciennes d'abord)"), self)
        self.suggest_button.clicked.connect(self.suggest)
        self.rest_label = QLabel(self)
        self.writeoff_check = QCheckBox(
            _("Solder en écart de règlement les restes dus de {max} au plus").format(
                max=format_amount(WRITEOFF_LIMIT)
            ),
            self,
        )
        self.writeoff_check.setToolTip(
            _(
                "Un client qui règle à quelques centimes près : l'écart passe en perte (658) "
                "au lieu de laisser la facture ouverte."
            )
        )
        self.error = error_label(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(_("Factures ouvertes du client"), self), 1)
        bar.addWidget(self.suggest_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.rest_label)
        layout.addWidget(self.writeoff_check)
        layout.addWidget(self.error)

    def load(self, client_id: int | None) -> None:
        self.items = self.ctx.query(queries.open_invoices, client_id) if client_id else []
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.items))
        for r, item in enumerate(self.items):
            values = [
                item.number,
                item.issue_date.strftime("%d/%m/%Y"),
                item.due_date.strftime("%d/%m/%Y"),
                format_amount(item.open_amount, currency=False),
                "",
            ]
            for c, text in enumerate(values):
                cell = QTableWidgetItem(text)
                if c < 4:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if c >= 3:
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, cell)
        self.table.blockSignals(False)
        self.update_rest()

    def set_amount(self, row: int, text: str) -> None:
        self.table.item(row, 4).setText(text)

    def suggest(self) -> None:
        if self.available is None or self.available <= ZERO:
            self.error.setText(_("Saisissez d'abord le montant du règlement."))
            return
        self.error.setText("")
        plan = suggest_allocation(
            self.available,
            [
                OpenItem(i.invoice_id, i.number, i.issue_date, i.due_date, i.open_amount)
                for i in self.items
            ],
        )
        parts = {line.invoice_id: line.amount for line in plan.lines}
        self.table.blockSignals(True)
        for r, item in enumerate(self.items):
            part = parts.get(item.invoice_id)
            self.table.item(r, 4).setText(format_amount(part, currency=False) if part else "")
        self.table.blockSignals(False)
        self.update_rest()

    def lines(self) -> list[AllocationLine]:
        """The grid as allocation lines; a bad cell raises a ValidationError naming it."""
        lines = []
        for r, item in enumerate(self.items):
            text = self.table.item(r, 4).text().strip()
            if not text:
                continue
            value = to_decimal(text, field=ALLOCATION_FIELD)
            gap = item.open_amount - value
            writeoff = (
                gap if self.writeoff_check.isChecked() and ZERO < gap <= WRITEOFF_LIMIT else ZERO
            )
            lines.append(AllocationLine(item.invoice_id, value, writeoff))
        return lines

    def update_rest(self) -> None:
        try:
            allocated = sum((line.amount for line in self.lines()), ZERO)
        except ValidationError as exc:
            self.rest_label.setText(str(exc))
            return
        if self.available is None:
            self.rest_label.setText("")
        elif (rest := self.available - allocated) >= ZERO:
            self.rest_label.setText(
                _("Imputé : {allocated} — reste non affecté (crédit du client) : {rest}").format(
                    allocated=format_amount(allocated), rest=format_amount(rest)
                )
            )
        else:
            self.rest_label.setText(
                _("Imputations supérieures au règlement de {excess}").format(
                    excess=format_amount(-rest)
                )
            )
        self.changed.emit()


class PaymentDialog(QDialog):
    """Entry of one payment with its allocation grid (suggested oldest first)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Saisie d'un règlement"))
        self.resize(760, 680)
        self.payment_id: int | None = None
        self.form = FormWidget(ENTRY_FIELDS, self)
        combo = self.form.widget("client_id")
        assert isinstance(combo, QComboBox)
        choices.bind(ctx, combo, "clients", fixed=[(None, "—")])
        self.form.load(PaymentForm(date=dt.date.today()))
        combo.currentIndexChanged.connect(lambda _i: self.load_invoices())  # type: ignore[attr-defined]
        self.form.widget("amount").textChanged.connect(lambda _t: self._amount_changed())  # type: ignore[attr-defined]
        self.form.widget("means").currentIndexChanged.connect(lambda _i: self._means_changed())  # type: ignore[attr-defined]
        self.allocation = AllocationGrid(ctx, self)
        self.grid, self.grid_error = self.allocation.table, self.allocation.error
        self.writeoff_check, self.rest_label = (
            self.allocation.writeoff_check,
            self.allocation.rest_label,
        )
        buttons = save_cancel_buttons(self, _("Enregistrer"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.allocation, 1)
        layout.addWidget(buttons)
        self._means_changed()

    @property
    def items(self) -> list[queries.OpenInvoiceRow]:
        return self.allocation.items

    def set_client(self, client_id: int) -> None:
        self.form.set_value("client_id", client_id)
        self.load_invoices()

    def load_invoices(self) -> None:
        self.allocation.load(self.form.value("client_id"))

    def amount(self) -> Decimal | None:
        try:
            return round_money(to_decimal(self.form.value("amount"), field=_("Montant")))
        except (ValidationError, TypeError):
            return None

    def _amount_changed(self) -> None:
        self.allocation.available = self.amount()
        self.allocation.update_rest()

    def suggest(self) -> None:
        self.allocation.suggest()

    def lines(self) -> list[AllocationLine]:
        return self.allocation.lines()

    def _means_changed(self) -> None:
        cheque = self.form.value("means") == PaymentMeans.CHEQUE
        for name in ("cheque_bank", "cheque_number", "drawer"):
            self.form.widget(name).setEnabled(cheque)

    # --- save --------------------------------------------------------------------------
    def save(self) -> None:
        form = self.form.dump(PaymentForm())
        self.grid_error.setText("")
        try:
            lines = self.lines()
            payment = self.ctx.call(record_payment, form, lines, topic="payments")
        except PropreoError as exc:
            self.form.show_errors(exc)
            if isinstance(exc, ValidationError) and exc.field == ALLOCATION_FIELD:
                self.grid_error.setText(str(exc))
            return
        self.payment_id = payment.id
        self.accept()


class AllocateCreditDialog(QDialog):
    """« Imputer le crédit… »: a payment left (partly) on account, allocated later to the
    client's open invoices (app.payments.allocation.allocate)."""

    def __init__(self, ctx: UiContext, payment: queries.PaymentRow, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx, self.payment = ctx, payment
        self.setWindowTitle(
            _("Imputer le crédit du règlement {number}").format(number=payment.number)
        )
        self.resize(720, 480)
        intro = QLabel(
            _(
                "{client} : {credit} du règlement {number} du {date} ne sont imputés sur "
                "aucune facture. Indiquez les factures qu'ils règlent."
            ).format(
                client=payment.client,
                credit=format_amount(payment.unallocated),
                number=payment.number,
                date=f"{payment.date:%d/%m/%Y}",
            ),
            self,
        )
        intro.setWordWrap(True)
        self.allocation = AllocationGrid(ctx, self)
        self.allocation.available = payment.unallocated
        self.allocation.load(payment.client_id)
        buttons = save_cancel_buttons(self, _("Imputer"))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.allocation, 1)
        layout.addWidget(buttons)
        if not self.allocation.items:
            self.allocation.error.setText(_("Ce client n'a aucune facture ouverte."))

    def save(self) -> bool:
        self.allocation.error.setText("")
        try:
            self.ctx.call(allocate, self.payment.id, self.allocation.lines(), topic="payments")
        except PropreoError as exc:
            self.allocation.error.setText(str(exc))
            return False
        self.accept()
        return True


PAYMENT_COLUMNS = [
    Column(_("N°"), lambda r: r.number, 110),
    Column(_("Date"), lambda r: r.date, 85),
    Column(_("Client"), lambda r: r.client, 200),
    Column(_("Mode"), lambda r: r.means_label, 110),
    Column(_("Montant"), lambda r: r.amount, 90),
    Column(
        _("Non affecté"),
        lambda r: r.unallocated,
        90,
        tooltip=_("Part du règlement restée au crédit du compte client."),
        color=lambda r: "#b36b00" if r.unallocated > 0 else None,
    ),
    Column(_("Factures réglées"), lambda r: r.invoices, 200),
    Column(_("Référence"), lambda r: r.reference, 150),
    Column(
        _("État"),
        lambda r: r.status_label,
        90,
        color=lambda r: "#b00020" if r.status != "active" else None,
    ),
]

PAYMENT_FILTERS: list[tuple[str, Any]] = [
    (_("Tous les règlements"), None),
    (_("Chèques"), lambda r: r.means == PaymentMeans.CHEQUE),
    (_("Chèques à remettre"), lambda r: r.means == PaymentMeans.CHEQUE and not r.remitted),
    (_("Virements"), lambda r: r.means == PaymentMeans.TRANSFER),
    (_("Prélèvements"), lambda r: r.means == PaymentMeans.DIRECT_DEBIT),
    (_("Non affectés (crédit)"), lambda r: r.unallocated > 0),
    (_("Rejetés / impayés"), lambda r: r.status != "active"),
]

ALLOCATION_COLUMNS = [
    Column(_("Facture"), lambda r: r.invoice_number, 120),
    Column(_("Date facture"), lambda r: r.invoice_date, 90),
    Column(_("Imputé"), lambda r: r.amount, 90),
    Column(_("Écart"), lambda r: r.writeoff, 70, tooltip=_("Écart de règlement passé en perte.")),
    Column(
        _("Lettre"), lambda r: r.letter, 60, tooltip=_("Lettre de lettrage (EcritureLet du FEC).")
    ),
    Column(_("État"), lambda r: r.state, 250),
]


def payments_footer(rows: list[Any]) -> str:
    """Under the list: the payments shown, rejected ones apart (they settle nothing)."""
    kept = [r for r in rows if r.status != PaymentStatus.REJECTED]
    text = _("{count} — {amount} — non affecté {left}").format(
        count=ngettext("{n} règlement", "{n} règlements", len(kept)).format(n=len(kept)),
        amount=format_amount(sum((r.amount for r in kept), ZERO)),
        left=format_amount(sum((r.unallocated for r in kept), ZERO)),
    )
    rejected = len(rows) - len(kept)
    if not rejected:
        return text
    return text + ngettext(
        " — {n} rejeté non compté", " — {n} rejetés non comptés", rejected
    ).format(n=rejected)


class PaymentsTab(Tab):
    title = _("Règlements")
    help_chapter = "reglements"
    topics = ("", "payments", "invoices")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.list = RecordList(
            PAYMENT_COLUMNS,
            filters=PAYMENT_FILTERS,
            export_name="reglements",
            footer=payments_footer,
        )
        self.list.selection_changed.connect(self._on_select)
        self.allocations = RecordList(ALLOCATION_COLUMNS, export_name="imputations")
        self.new_button = QPushButton(_("Nouveau règlement…"), self)
        self.new_button.clicked.connect(self.new_payment)
        self.receipt_button = QPushButton(_("Reçu (PDF)…"), self)
        self.receipt_button.clicked.connect(self.save_receipt)
        self.undo_button = QPushButton(_("Annuler l'imputation…"), self)
        self.undo_button.setToolTip(
            _("Annule l'imputation choisie (pas le règlement) : la facture redevient due.")
        )
        self.undo_button.clicked.connect(self.undo_selected_allocation)
        self.allocate_button = QPushButton(_("Imputer le crédit…"), self)
        self.allocate_button.setToolTip(
            _(
                "Impute sur des factures ouvertes la part du règlement sélectionné restée au "
                "crédit du client (colonne « Non affecté »)."
            )
        )
        self.allocate_button.clicked.connect(lambda: self.allocate_credit())
        self.remit_button = QPushButton(_("Remise de chèques…"), self)
        self.remit_button.clicked.connect(self.open_remittance)
        self.sepa_button = QPushButton(_("Prélèvements SEPA…"), self)
        self.sepa_button.clicked.connect(self.open_sepa)
        bar = QHBoxLayout()
        for button in (
            self.new_button,
            self.allocate_button,
            self.receipt_button,
            self.remit_button,
            self.sepa_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_bar = QHBoxLayout()
        detail_bar.addWidget(QLabel(_("Imputations du règlement sélectionné"), self), 1)
        detail_bar.addWidget(self.undo_button)
        detail_layout.addLayout(detail_bar)
        detail_layout.addWidget(self.allocations)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.list)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter)
        self.refresh()
        self.list.select_first()

    def refresh(self) -> None:
        self.list.set_rows(self.ctx.query(queries.list_payments))
        self._on_select(self.list.current())

    def _on_select(self, row: Any) -> None:
        rows = self.ctx.query(queries.payment_allocations, row.id) if row else []
        self.allocations.set_rows(rows)
        self.allocate_button.setEnabled(
            bool(row and row.status == "active" and row.unallocated > 0)
        )

    def allocate_credit(self) -> AllocateCreditDialog | None:
        row = self.list.current()
        if row is None or row.unallocated <= 0:
            return None
        dialog = AllocateCreditDialog(self.ctx, row, self)
        dialog.open()
        return dialog

    def new_payment(self, client_id: int | None = None) -> PaymentDialog:
        dialog = PaymentDialog(self.ctx, self)
        if client_id:
            dialog.set_client(client_id)
        dialog.open()
        return dialog

    def save_receipt(self, path: str = "") -> None:
        row = self.list.current()
        if row is None:
            return
        if not path:
            path, _filter = QFileDialog.getSaveFileName(
                self, _("Reçu"), f"recu-{row.number}.pdf", "PDF (*.pdf)"
            )
        if path:
            try:
                data = self.ctx.query(receipt_pdf, row.id)
            except PropreoError as exc:
                show_error(self, exc)
                return
            write_or_say(self, path, data)

    def undo_selected_allocation(self, reason: str = "") -> None:
        allocation = self.allocations.current()
        if allocation is None or not allocation.active:
            return
        if not reason:
            reason, ok = QInputDialog.getText(
                self,
                _("Annuler l'imputation"),
                _("Motif de l'annulation de l'imputation sur {number} :").format(
                    number=allocation.invoice_number
                ),
            )
            if not ok:
                return
        try:
            self.ctx.call(undo_allocation, allocation.id, reason, topic="payments")
        except PropreoError as exc:
            show_error(self, exc)

    def open_remittance(self) -> QDialog:
        from ui.payments_dialogs import RemittanceDialog

        dialog = RemittanceDialog(self.ctx, self)
        dialog.open()
        return dialog

    def open_sepa(self) -> QDialog:
        from ui.payments_dialogs import SepaDialog

        dialog = SepaDialog(self.ctx, self)
        dialog.open()
        return dialog
