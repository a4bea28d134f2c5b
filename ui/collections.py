"""« Relances » tab: aged balance, the dunning run of the day (letters to send), the history
of reminders with their letters (DOCX, PDF, e-mail text), and the levels' delays."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.collections.aging import aged_balance
from app.collections.dunning import (
    dunning_run,
    letter_docx,
    letter_email,
    letter_pdf,
    level_days,
    record_reminders,
    reminder_history,
    set_level_delays,
)
from app.errors import PropreoError
from app.i18n import _, ngettext
from app.money import format_amount
from models.collections import DunningCode, ReminderChannel
from ui.context import Tab, UiContext
from ui.operations import show_error, write_or_say
from ui.table import Column, RecordList

AGED_COLUMNS = [
    Column(_("Client"), lambda r: r.client, 220),
    Column(_("Non échu"), lambda r: r.buckets["not_due"], 95),
    Column(_("1 à 30 j"), lambda r: r.buckets["d1_30"], 95),
    Column(_("31 à 60 j"), lambda r: r.buckets["d31_60"], 95),
    Column(_("61 à 90 j"), lambda r: r.buckets["d61_90"], 95),
    Column(_("Plus de 90 j"), lambda r: r.buckets["over_90"], 95),
    Column(_("Total"), lambda r: r.total, 100),
]
PROPOSAL_COLUMNS = [
    Column(_("Client"), lambda r: r.client, 200),
    Column(_("Niveau"), lambda r: r.label, 110),
    Column(_("Factures"), lambda r: ", ".join(i.number for i in r.items), 220),
    Column(_("Principal"), lambda r: r.total_due, 95),
    Column(
        _("Pénalités"), lambda r: r.penalty, 80, _("Pénalités de retard (à partir de la relance 2)")
    ),
    Column(
        _("Indemnité"),
        lambda r: r.indemnity,
        80,
        _("40 € par facture, débiteurs professionnels seuls"),
    ),
    Column(_("Total réclamé"), lambda r: r.total_claimed, 100),
    Column(_("E-mail"), lambda r: r.email, 160),
]
HISTORY_COLUMNS = [
    Column(_("Date"), lambda r: r.sent_on, 85),
    Column(_("Client"), lambda r: r.client, 200),
    Column(_("Niveau"), lambda r: r.label, 110),
    Column(_("Envoi"), lambda r: r.channel, 70),
    Column(_("Factures"), lambda r: r.invoices, 220),
    Column(_("Principal"), lambda r: r.total_due, 95),
    Column(_("Pénalités"), lambda r: r.penalty, 80),
    Column(_("Indemnité"), lambda r: r.indemnity, 80),
]


class CollectionsTab(Tab):
    title = _("Relances")
    help_chapter = "relances"
    topics = ("", "payments", "billing", "collections")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.on = QDateEdit(self)
        self.on.setCalendarPopup(True)
        self.on.setDisplayFormat("dd/MM/yyyy")
        today = dt.date.today()
        self.on.setDate(QDate(today.year, today.month, today.day))
        self.on.setToolTip(_("Date de référence : retards et relances dues à cette date."))
        self.on.dateChanged.connect(lambda _d: self.refresh())
        self.total = QLabel(self)

        self.aged = RecordList(AGED_COLUMNS, export_name="balance_agee")
        self.proposals = RecordList(PROPOSAL_COLUMNS, export_name="relances_a_envoyer")
        self.skipped = QListWidget(self)
        self.skipped.setMaximumHeight(80)
        self.skipped.setToolTip(_("Clients en litige : suivis au contentieux, non relancés."))
        self.letter_button = QPushButton(_("Enregistrer — courrier"), self)
        self.letter_button.setToolTip(
            _("Enregistre les relances sélectionnées (toutes si aucune) envoyées par courrier.")
        )
        self.letter_button.clicked.connect(lambda: self.record(ReminderChannel.LETTER))
        self.email_button = QPushButton(_("Enregistrer — e-mail"), self)
        self.email_button.clicked.connect(lambda: self.record(ReminderChannel.EMAIL))
        self.history = RecordList(HISTORY_COLUMNS, export_name="historique_relances")
        self.docx_button = QPushButton(_("Lettre .docx…"), self)
        self.docx_button.clicked.connect(lambda: self._save_letter("docx"))
        self.pdf_button = QPushButton(_("Lettre PDF…"), self)
        self.pdf_button.clicked.connect(lambda: self._save_letter("pdf"))
        self.mail_button = QPushButton(_("Texte de l'e-mail"), self)
        self.mail_button.clicked.connect(self.show_email)
        self.send_button = QPushButton(_("Envoyer par e-mail"), self)
        self.send_button.setToolTip(
            _("Envoie les relances sélectionnées (lettre en PDF jointe) par le serveur SMTP.")
        )
        self.send_button.clicked.connect(self.send_emails)
        self.last_report: Any = None
        self.send_status = QLabel(self)
        self.send_status.setWordWrap(True)

        self.delays: dict[str, QSpinBox] = {}
        settings = QWidget(self)
        form = QFormLayout(settings)
        for code in DunningCode.ALL:
            box = QSpinBox(settings)
            box.setRange(1, 365)
            box.setSuffix(_(" jours après l'échéance"))
            self.delays[code] = box
            form.addRow(DunningCode.LABELS[code], box)
        save = QPushButton(_("Enregistrer les délais"), settings)
        save.clicked.connect(self.save_delays)
        form.addRow(save)

        run_page = QWidget(self)
        rl = QVBoxLayout(run_page)
        rl.addWidget(self.proposals, 1)
        rl.addWidget(QLabel(_("Non relancés"), run_page))
        rl.addWidget(self.skipped)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.letter_button)
        buttons.addWidget(self.email_button)
        rl.addLayout(buttons)
        history_page = QWidget(self)
        hl = QVBoxLayout(history_page)
        hl.addWidget(self.history, 1)
        hb = QHBoxLayout()
        hb.addWidget(self.send_status, 1)
        for b in (self.docx_button, self.pdf_button, self.mail_button, self.send_button):
            hb.addWidget(b)
        hl.addLayout(hb)

        self.pages = QTabWidget(self)
        self.pages.addTab(self.aged, _("Balance âgée"))
        self.pages.addTab(run_page, _("Relances du jour"))
        self.pages.addTab(history_page, _("Historique des relances"))
        self.pages.addTab(settings, _("Niveaux de relance"))
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Au"), self))
        top.addWidget(self.on)
        top.addWidget(self.total, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        self.refresh()

    @property
    def day(self) -> dt.date:
        d = self.on.date()
        return dt.date(d.year(), d.month(), d.day())

    def refresh(self) -> None:
        balance = self.ctx.query(aged_balance, self.day)
        self.aged.set_rows([*balance.rows, balance.total] if balance.rows else [])
        self.total.setText(
            _("Encours : {total} dont échu {overdue}").format(
                total=format_amount(balance.total.total),
                overdue=format_amount(balance.total.overdue),
            )
        )
        run = self.ctx.query(dunning_run, self.day)
        self.proposals.set_rows(run.proposals)
        self.skipped.clear()
        self.skipped.addItems(run.skipped)
        self.history.set_rows(self.ctx.query(reminder_history))
        levels = self.ctx.query(level_days)
        for code, days in levels.items():
            self.delays[code].setValue(days)

    def record(self, channel: str) -> list[Any]:
        rows = self.proposals.selected() or self.proposals.visible_rows()
        if not rows:
            return []
        try:
            done = self.ctx.call(
                record_reminders,
                self.day,
                [r.client_id for r in rows],
                channel=channel,
                topic="collections",
            )
        except PropreoError as exc:
            show_error(self, exc)
            return []
        self.pages.setCurrentIndex(2)
        return done

    def save_delays(self) -> None:
        try:
            self.ctx.call(
                set_level_delays,
                {code: box.value() for code, box in self.delays.items()},
                topic="collections",
            )
        except PropreoError as exc:
            show_error(self, exc)

    def letter_bytes(self, reminder_id: int, kind: str) -> bytes:
        fn = letter_pdf if kind == "pdf" else letter_docx
        return self.ctx.query(fn, reminder_id)

    def _save_letter(self, kind: str) -> None:
        row = self.history.current()
        if row is None:
            return
        name = f"{row.label}_{row.client}_{row.sent_on:%Y%m%d}.{kind}".replace(" ", "_")
        filters = "PDF (*.pdf)" if kind == "pdf" else "Document Word (*.docx)"
        path, _f = QFileDialog.getSaveFileName(self, _("Enregistrer la lettre"), name, filters)
        if path:
            try:
                data = self.letter_bytes(row.id, kind)
            except PropreoError as exc:
                show_error(self, exc)
                return
            write_or_say(self, path, data)

    def send_emails(self) -> Any:
        from app.collections.mailing import send_reminder_emails

        ids = [r.id for r in self.history.selected()]
        if not ids:
            return None

        def work(session: Any, progress: Any) -> Any:
            return send_reminder_emails(session, ids, progress)

        def done(report: Any) -> None:
            self.last_report = report
            failed = [f"{o.item.number} : {o.error}" for o in report.failed]
            self.send_status.setText(
                "\n".join(
                    [
                        ngettext(
                            "{n} relance envoyée par e-mail.",
                            "{n} relances envoyées par e-mail.",
                            len(report.sent),
                        ).format(n=len(report.sent)),
                        *failed,
                    ]
                )
            )

        return self.ctx.run(
            self,
            _("Envoi des relances…"),
            work,
            write=False,
            on_done=done,
            on_error=lambda exc: show_error(self, exc),
            topic="collections",
        )

    def show_email(self, *, modal: bool = True) -> QDialog | None:
        row = self.history.current()
        if row is None:
            return None
        subject, body = self.ctx.query(letter_email, row.id)
        dialog = QDialog(self)
        dialog.setWindowTitle(subject)
        text = QPlainTextEdit(dialog)
        text.setPlainText(_("Objet : {subject}\n\n{body}").format(subject=subject, body=body))
        text.setReadOnly(True)
        QVBoxLayout(dialog).addWidget(text)
        dialog.resize(640, 480)
        if modal:
            dialog.exec()
        return dialog
