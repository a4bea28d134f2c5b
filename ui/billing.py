"""Facturation tab: month-end run wizard (month and issue date → progress → review of the drafts with
totals and warnings → issue selected/all with progress and cancel), invoice list with
filters (period, status, client, series), invoice viewer and credit-note dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app import clock
from app.billing import invoice_list, queries
from app.billing.checked_issue import IssueOutcome, issue_checked
from app.billing.consistency import contract_problems
from app.billing.draft_checks import DraftsRefused, check_drafts
from app.billing.invoices import delete_draft_invoice
from app.billing.issue_preview import issue_preview
from app.billing.run_dates import check_run_date, default_issue_date, run_month_dated
from app.billing.runs import backdating_warnings
from app.errors import ConfirmationRequired, PropreoError
from app.i18n import _, ngettext
from app.money import format_amount
from app.progress import Progress
from models.invoices import InvoiceKind, InvoiceStatus
from ui import choices
from ui.billing_dialogs import CreditNoteDialog, InvoiceViewer, ManualInvoiceDialog
from ui.confirm import confirm
from ui.context import Tab, UiContext
from ui.control import ControlPanel
from ui.document_actions import DocumentActions
from ui.lazy_table import PagedRecordList
from ui.month_picker import MonthPicker
from ui.operations import show_error
from ui.table import Column, RecordList

INVOICE_COLUMNS = [
    Column(_("N°"), lambda r: r.number, 110),
    Column(_("Type"), lambda r: r.kind_label, 80),
    Column(_("Statut"), lambda r: r.status_label, 80),
    Column(_("Date"), lambda r: r.issue_date, 80),
    Column(_("Échéance"), lambda r: r.due_date, 80),
    Column(_("Client"), lambda r: r.client, 200),
    Column(_("Objet"), lambda r: r.title, 240),
    Column(_("Total HT"), lambda r: r.total_ht, 90),
    Column(_("Total TTC"), lambda r: r.total_ttc, 90),
    Column(_("Facture électronique"), lambda r: r.einvoicing, 200),
]
# « Factures et avoirs » also answers the money question: settled, still owed, days late.
LIST_COLUMNS = [
    *INVOICE_COLUMNS[:6],
    Column(_("Objet"), lambda r: r.title, 170),  # narrower: the money columns fit 1366 px
    *INVOICE_COLUMNS[7:9],
    Column(
        _("Réglé"),
        lambda r: r.paid,
        90,
        _("Règlements, pertes et avoirs imputés sur la facture"),
    ),
    Column(_("Reste dû"), lambda r: r.remaining, 90),
    Column(
        _("Retard (j)"),
        lambda r: r.days_late,
        80,
        _("Jours depuis l'échéance, tant que la facture n'est pas soldée"),
        color=lambda r: "#b00020" if r.days_late else None,
    ),
    *INVOICE_COLUMNS[9:],  # the e-invoicing status, last
]
# The SQL sort of each column of the paged list (app.billing.invoice_list.INVOICE_SORTS);
# the settlement columns are computed per page and not sorted.
INVOICE_SORT_KEYS = [
    "number", "kind", "status", "issue_date", "due_date", "client", "title", "total_ht", "total_ttc",
    None, None, None, None,
]  # fmt: skip


def totals_text(t: invoice_list.InvoiceTotals) -> str:
    """« 12 documents — 4 800,00 € HT — 5 760,00 € TTC — reste dû 1 200,00 € dont … »."""
    text = _("{count} — {ht} HT — {ttc} TTC — reste dû {left}").format(
        count=ngettext("{n} document", "{n} documents", t.count).format(n=t.count),
        ht=format_amount(t.total_ht),
        ttc=format_amount(t.total_ttc),
        left=format_amount(t.remaining),
    )
    if t.late:
        text += _(" dont {late} en retard").format(late=format_amount(t.late))
    return text


def _month_of(date: QDate) -> str:
    return f"{date.year():04d}-{date.month():02d}"


def _month_to_bill(session: Any) -> str:
    from app.dashboard import month_to_bill

    return month_to_bill(session, clock.today()).period


class BillingTab(Tab):
    title = _("Facturation")
    help_chapter = "facturation"
    topics = ("", "billing", "contracts", "payments")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.review: queries.RunReview | None = None
        self.control_items: list[str] = []
        self.last_numbers: list[str] = []

        # --- run wizard ---
        # The month to bill (last month while it is not billed), as the dashboard says it.
        self.month = MonthPicker(self, period=ctx.query(_month_to_bill))
        self.month.setToolTip(
            _("Mois à facturer : toutes les périodes exigibles jusqu'à sa fin, rattrapage compris.")
        )
        self.month.changed.connect(lambda _p: self._month_changed())
        # Like ``billing run --issue-date``: a catch-up run is dated its real day of issue.
        self.issue_date = QDateEdit(self)
        self.issue_date.setDisplayFormat("dd/MM/yyyy")
        self.issue_date.setCalendarPopup(True)
        self.issue_date.setToolTip(
            _(
                "Date portée sur les factures du lancement, jamais après aujourd'hui : le dernier "
                "jour du mois facturé s'il est passé, sinon aujourd'hui ; pour un rattrapage, la "
                "date réelle d'émission."
            )
        )
        self.issue_date.dateChanged.connect(lambda _d: self._show_backdating())
        self.backdating = QLabel(self)
        self.backdating.setWordWrap(True)
        self.backdating.setStyleSheet("color: #a15c00;")
        self._reset_issue_date()
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
        self.warnings.setToolTip(
            _(
                "Clients bloqués, en litige, au-delà de leur encours autorisé, données légales manquantes."
            )
        )
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Mois"), self))
        top.addWidget(self.month)
        top.addWidget(QLabel(_("Date d'émission"), self))
        top.addWidget(self.issue_date)
        top.addWidget(self.control_button)
        top.addWidget(self.run_button)
        top.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(self.totals, 1)
        actions.addWidget(self.delete_button)
        actions.addWidget(self.issue_selected_button)
        actions.addWidget(self.issue_all_button)
        self.control = ControlPanel(  # control M / M-1, draft correction, recompute
            ctx, self, period=lambda: self.period, selected_draft=self.drafts.current
        )
        run_page = QWidget(self)
        rl = QVBoxLayout(run_page)
        rl.addLayout(top)
        rl.addWidget(self.backdating)
        rl.addWidget(self._run_split(actions), 1)

        # --- invoice list ---
        self.f_period = MonthPicker(self, optional=True)
        self.f_period.setToolTip(_("Mois d'émission ; « Tous les mois » : sans filtre"))
        self.f_status = QComboBox(self)
        self.f_status.addItem(_("Tous statuts"), None)
        for value, label in InvoiceStatus.LABELS.items():
            self.f_status.addItem(label, value)
        self.f_series = QComboBox(self)
        self.f_series.addItem(_("Toutes séries"), None)
        self.f_series.addItem(_("Factures"), "invoice")
        self.f_series.addItem(_("Avoirs"), "credit_note")
        self.f_client = QComboBox(self)
        choices.bind(ctx, self.f_client, "clients", fixed=[(None, _("Tous clients"))])
        for w in (self.f_status, self.f_series, self.f_client):
            w.currentIndexChanged.connect(lambda _i: self.load_invoices())
        self.f_period.changed.connect(lambda _p: self.load_invoices())
        self.invoices = PagedRecordList(  # 100,000 invoices: pages, search and sort in SQL
            LIST_COLUMNS,
            INVOICE_SORT_KEYS,
            lambda **kw: ctx.query(invoice_list.count_invoices, **kw),
            lambda **kw: ctx.query(invoice_list.list_invoices, **kw),
            export_name="factures",
            footer=lambda **kw: totals_text(ctx.query(invoice_list.invoice_totals, **kw)),
        )
        self.invoices.activated.connect(
            lambda row: (
                self.new_invoice(draft_id=row.id)
                if row.status == InvoiceStatus.DRAFT and row.kind != InvoiceKind.CREDIT_NOTE
                else self.open_invoice(row.id)
            )
        )
        self.view_button = QPushButton(_("Voir"), self)
        self.view_button.clicked.connect(lambda: self._with_current(self.open_invoice))
        self.new_button = QPushButton(_("Facture ponctuelle…"), self)
        self.new_button.setToolTip(
            _("Facture manuelle pour n'importe quel client (lignes libres ou articles).")
        )
        self.new_button.clicked.connect(lambda: self.new_invoice())
        self.issue_button = QPushButton(_("Émettre"), self)
        self.issue_button.setToolTip(_("Numérote et fige les brouillons sélectionnés."))
        self.issue_button.clicked.connect(self.issue_listed)
        self.credit_button = QPushButton(_("Avoir…"), self)
        self.credit_button.clicked.connect(lambda: self._with_current(self.open_credit_note))
        filters = QHBoxLayout()
        for w in (self.f_period, self.f_status, self.f_series, self.f_client):
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(self.new_button)
        # Under the list (every label whole at 1366 px): what acts on the selection.
        actions_row = QHBoxLayout()
        actions_row.addWidget(self.view_button)
        actions_row.addWidget(self.issue_button)
        actions_row.addWidget(self.credit_button)
        self.document_actions = DocumentActions(
            ctx,
            self,
            lambda: [
                (r.id, r.number)
                for r in self.invoices.selected()
                if r.status == InvoiceStatus.ISSUED
            ],
            title=_("Factures et avoirs"),
        )
        actions_row.addWidget(self.document_actions)
        actions_row.addStretch(1)
        list_page = QWidget(self)
        ll = QVBoxLayout(list_page)
        ll.addLayout(filters)
        ll.addWidget(self.invoices, 1)
        ll.addLayout(actions_row)

        self.pages = QTabWidget(self)
        self.pages.addTab(run_page, _("Facturation du mois"))
        self.pages.addTab(list_page, _("Factures et avoirs"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.refresh()

    def _run_split(self, actions: QHBoxLayout) -> QSplitter:
        """The drafts take the room (two thirds); the warnings and the M / M-1 control
        share the rest as two pages, the splitter giving more to whichever is needed."""
        drafts = QWidget(self)
        dl = QVBoxLayout(drafts)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(QLabel(_("Factures provisoires du mois (double-clic : voir)"), drafts))
        dl.addWidget(self.drafts, 1)
        dl.addLayout(actions)
        self.checks = QTabWidget(self)
        self.checks.setDocumentMode(True)
        self.checks.addTab(self.warnings, _("Avertissements"))
        self.checks.addTab(self.control, _("Contrôle M / M-1"))
        self.checks.setMinimumHeight(120)  # the splitter then gives the drafts their share
        self.warnings.model().rowsInserted.connect(lambda *_a: self._count_warnings(show=True))
        self.warnings.model().modelReset.connect(lambda *_a: self._count_warnings())
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(drafts)
        split.addWidget(self.checks)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        split.setSizes([2000, 1000])
        return split

    def _count_warnings(self, *, show: bool = False) -> None:
        """« Avertissements (3) » on its page, brought forward when a warning is added."""
        if not isValid(self.warnings) or not isValid(self.checks):  # the tab is closing
            return
        n = self.warnings.count()
        self.checks.setTabText(
            0, _("Avertissements ({n})").format(n=n) if n else _("Avertissements")
        )
        if show and n:
            self.checks.setCurrentIndex(0)

    # --- data -------------------------------------------------------------------------

    @property
    def period(self) -> str:
        return self.month.period()

    def set_period(self, period: str) -> None:
        self.month.set_period(period)

    def _month_changed(self) -> None:
        self._reset_issue_date()
        self.load_review()

    def _reset_issue_date(self) -> None:
        """Offer what ``billing run`` takes by default: the month's last day when past, today
        otherwise; never a date after today."""
        self.issue_date.setMaximumDate(clock.today())
        self.issue_date.setDate(default_issue_date(self.period))
        self._show_backdating()

    def _show_backdating(self) -> None:
        """Say before the run when its invoices would be dated well before today (catch-up):
        the date of an invoice is its real date of issue."""
        warnings = backdating_warnings(self.issue_date.date().toPython())
        self.backdating.setText("\n".join(warnings))
        self.backdating.setVisible(bool(warnings))

    def refresh(self) -> None:
        self.load_review()
        self.load_invoices()

    def load_review(self) -> None:
        self.review = self.ctx.query(queries.run_review, self.period)
        r = self.review
        self.drafts.set_rows(r.drafts)
        self.totals.setText(
            ngettext(
                "{n} facture provisoire — {ht} HT — {ttc} TTC",
                "{n} factures provisoires — {ht} HT — {ttc} TTC",
                len(r.drafts),
            ).format(n=len(r.drafts), ht=format_amount(r.total_ht), ttc=format_amount(r.total_ttc))
        )
        self.warnings.clear()
        self.warnings.addItems(r.warnings)
        self.control.refresh()
        has = bool(r.drafts)
        for b in (self.issue_all_button, self.issue_selected_button, self.delete_button):
            b.setEnabled(has)

    def load_invoices(self) -> None:
        period = self.f_period.period() or None
        if period and not (
            len(period) == 7 and period[4] == "-" and period.replace("-", "").isdigit()
        ):
            period = None
        self.invoices.set_filters(
            period=period,
            status=self.f_status.currentData(),
            client_id=self.f_client.currentData(),
            series=self.f_series.currentData(),
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
        """Contract control first (listed, never blocking), then the run off the GUI thread."""
        period = self.period
        advance = False
        try:
            try:
                issue_date = check_run_date(self.issue_date.date().toPython(), period)
            except ConfirmationRequired as exc:
                if not self._confirm_advance(str(exc)):
                    return None
                advance = True
                issue_date = check_run_date(self.issue_date.date().toPython(), period, advance=True)
        except PropreoError as exc:
            show_error(self, exc)
            return None
        self.control_items = [
            _("Contrôle : {subject} — {message}").format(subject=p.subject, message=p.message)
            for p in self.ctx.query(contract_problems)
        ]

        def work(session: Any, progress: Progress) -> Any:
            return run_month_dated(session, period, issue_date, advance=advance, progress=progress)

        return self.ctx.run(
            self,
            _("Facturation de {period} (factures du {day})…").format(
                period=period, day=issue_date.strftime("%d/%m/%Y")
            ),
            work,
            on_done=self._run_done,
            on_error=lambda exc: show_error(self, exc),
            topic="billing",
        )

    def _confirm_advance(self, reason: str) -> bool:
        """Billing beyond the coming month: said, and done only when the user confirms."""
        answer = QMessageBox.question(
            self,
            _("Facturation par avance"),
            _("{reason}\n\nFacturer quand même ce mois par avance ?").format(reason=reason),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _run_done(self, result: Any) -> None:
        self.load_review()
        self.warnings.clear()
        self.warnings.addItems(result.warnings)
        self.warnings.addItems(self.control_items)
        if not result.created:
            self.warnings.addItem(_("Rien de nouveau à facturer pour ce mois."))
            return
        self._check_ids(result.invoice_ids)

    def _check_ids(self, ids: list[int]) -> Any:
        """Check the new drafts as they would be issued (off the GUI thread, no write held
        while validating): refused ones are listed with the rule and what to change."""

        def work(session: Any, progress: Progress) -> dict[int, str]:
            return check_drafts(session.info["database"], ids, progress)

        def done(errors: dict[int, str]) -> None:
            for error in errors.values():
                if error:
                    self.warnings.addItem(
                        _("À corriger avant émission — {reason}").format(reason=error)
                    )

        return self.ctx.run(
            self, _("Contrôle des factures provisoires…"), work, on_done=done, write=False
        )

    def issue(self, *, selected_only: bool) -> Any:
        rows = self.drafts.selected() if selected_only else self.drafts.visible_rows()
        return self._issue_ids([r.id for r in rows])

    def _issue_ids(self, ids: list[int]) -> Any:
        """Number and issue these drafts off the GUI thread (progress, cancel), once the user
        has confirmed what it will do (count, totals, numbers, issue date)."""
        if not ids:
            return None
        preview = self.ctx.query(issue_preview, ids)
        if not preview.count or not confirm(
            self,
            _("Émettre les factures"),
            preview.text(),
            ngettext("Émettre {n} document", "Émettre {n} documents", preview.count).format(
                n=preview.count
            ),
        ):
            return None

        def work(session: Any, progress: Progress) -> IssueOutcome:
            # Checked outside the numbering transaction, then numbered in a short write.
            return issue_checked(session.info["database"], ids, progress)

        return self.ctx.run(
            self,
            _("Contrôle et émission des factures…"),
            work,
            on_done=self._issued,
            on_error=lambda exc: show_error(self, exc),
            topic="billing",
            write=False,
        )

    def _issued(self, outcome: IssueOutcome) -> None:
        numbers = outcome.numbers
        self.last_numbers = list(numbers)
        self.ctx.bus.changed.emit("billing")  # read-only operation: tell the views here
        self.refresh()
        if numbers:
            self.warnings.addItem(
                ngettext(
                    "{n} facture émise : {first} à {last}.",
                    "{n} factures émises : {first} à {last}.",
                    len(numbers),
                ).format(n=len(numbers), first=numbers[0], last=numbers[-1])
            )
        for refusal in outcome.refused:
            self.warnings.addItem(_("Non émis — {reason}").format(reason=refusal.message))
        if outcome.refused:
            show_error(self, DraftsRefused(outcome.refused))

    def delete_selected(self) -> None:
        """Delete the selected drafts once confirmed (their periods become billable again)."""
        rows = self.drafts.selected()
        if not rows:
            return
        listed = "\n".join(f"– {r.client} : {format_amount(r.total_ht)} HT" for r in rows[:8]) + (
            "\n…" if len(rows) > 8 else ""
        )
        text = ngettext(
            "{n} facture provisoire sera supprimée ; ses périodes redeviennent facturables.",
            "{n} factures provisoires seront supprimées ; leurs périodes redeviennent facturables.",
            len(rows),
        ).format(n=len(rows))
        if not confirm(self, _("Supprimer le brouillon"), text, _("Supprimer"), listed):
            return
        for row in rows:
            try:
                self.ctx.call(delete_draft_invoice, row.id, topic="billing")
            except PropreoError as exc:
                show_error(self, exc)
                return

    def new_invoice(
        self, *, modal: bool = True, draft_id: int | None = None
    ) -> ManualInvoiceDialog:
        dialog = ManualInvoiceDialog(self.ctx, self)
        if draft_id is not None:
            dialog.load_draft(draft_id)
        if modal:
            dialog.exec()
        return dialog

    def issue_listed(self) -> Any:
        return self._issue_ids(
            [r.id for r in self.invoices.selected() if r.status == InvoiceStatus.DRAFT]
        )

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
        row = next((r for r in self.invoices.loaded_rows() if r.id == invoice_id), None)
        if row is not None and (
            row.status != InvoiceStatus.ISSUED or row.kind == InvoiceKind.CREDIT_NOTE
        ):
            self.warnings.addItem(_("Un avoir s'établit sur une facture émise."))
            return None
        dialog = CreditNoteDialog(self.ctx, invoice_id, self)
        if modal:
            dialog.exec()
        return dialog
