"""« Éditions » tab: print with preview, postal batch, e-mail a run, statements, FEC, settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QDate, QIODevice, QRect, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import fiscal
from app.documents import (
    accounting,
    email,
    listing,
    mailer,
    printing,
    render,
    send_plan,
    smtp_settings,
    statements,
)
from app.errors import PropreoError, StorageError
from app.i18n import _, ngettext
from app.money import format_amount
from app.storage import write_file
from ui.context import Tab, UiContext
from ui.forms import Field, FormWidget
from ui.month_picker import MonthPicker
from ui.operations import show_error
from ui.table import Column, RecordList

# --------------------------------------------------------------------------- printing


class PdfPrinter:
    """Prints PDF bytes through the system dialog, with a preview (QtPdf renders pages)."""

    def __init__(self, pdf: bytes) -> None:
        from PySide6.QtPdf import QPdfDocument

        self._data = QByteArray(pdf)
        self._buffer = QBuffer(self._data)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument()
        self.document.load(self._buffer)

    @property
    def page_count(self) -> int:
        return self.document.pageCount()

    def paint(self, printer: Any) -> None:
        """Draw every page, scaled to the printable area (aspect ratio kept)."""
        painter = QPainter(printer)
        try:
            target = painter.viewport()
            for page in range(self.page_count):
                if page:
                    printer.newPage()
                points = self.document.pagePointSize(page).toSize()
                size = points.scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                image = self.document.render(page, size)
                painter.drawImage(QRect(0, 0, size.width(), size.height()), image)
        finally:
            painter.end()


def print_pdf(parent: QWidget, pdf: bytes, title: str) -> None:
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    pdf_printer = PdfPrinter(pdf)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(_("Aperçu avant impression – {title}").format(title=title))
    dialog.paintRequested.connect(pdf_printer.paint)
    dialog.exec()


def save_bytes(parent: QWidget, data: bytes, suggested: str, filter_text: str) -> Path | None:
    path, _filter = QFileDialog.getSaveFileName(parent, _("Enregistrer"), suggested, filter_text)
    if not path:
        return None
    try:
        return write_file(path, data)
    except StorageError as exc:
        show_error(parent, exc)
        return None


# --------------------------------------------------------------------------- dialogs


SMTP_FIELDS = [
    Field("host", _("Serveur SMTP"), placeholder=_("smtp.exemple.fr")),
    Field("port", _("Port"), tooltip=_("587 pour STARTTLS, 465 pour SSL/TLS, 25 sans chiffrement")),
    Field("security", _("Sécurité"), kind="choice", choices=list(smtp_settings.SECURITY.items())),
    Field(
        "username",
        _("Identifiant"),
        tooltip=_("Laisser vide si le serveur n'exige pas de connexion"),
    ),
    Field(
        "password",
        _("Mot de passe"),
        tooltip=_(
            "Enregistré dans le trousseau du système, jamais dans la base. "
            "Laisser vide pour garder le mot de passe actuel."
        ),
    ),
    Field("sender_name", _("Nom de l'expéditeur")),
    Field("sender_email", _("Adresse de l'expéditeur")),
    Field("reply_to", _("Adresse de réponse"), tooltip=_("Facultatif")),
    Field("bcc", _("Copie cachée"), tooltip=_("Facultatif : reçoit une copie de chaque envoi")),
    Field(
        "subject_template",
        _("Objet"),
        tooltip=_("Champs : {fields}").format(
            fields=", ".join("{" + k + "}" for k in smtp_settings.PLACEHOLDERS)
        ),
    ),
    Field(
        "body_template",
        _("Message"),
        kind="multiline",
        tooltip="\n".join(f"{{{k}}} : {v}" for k, v in smtp_settings.PLACEHOLDERS.items()),
    ),
]


class EmailSettingsDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Paramètres d'envoi des e-mails"))
        self.resize(640, 560)  # room for the message template
        self.form = FormWidget(SMTP_FIELDS, self)
        password = self.form.widget("password")
        assert isinstance(password, QLineEdit)
        password.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.load(
            ctx.query(lambda s: smtp_settings.form_from_settings(smtp_settings.get_settings(s)))
        )
        self.test_to = QLineEdit(self)
        self.test_to.setPlaceholderText(_("destinataire du test"))
        test = QPushButton(_("Envoyer un e-mail de test"), self)
        test.clicked.connect(self.send_test)
        row = QHBoxLayout()
        row.addWidget(self.test_to, 1)
        row.addWidget(test)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addLayout(row)
        layout.addWidget(buttons)

    def _save(self) -> bool:
        form = self.form.dump(smtp_settings.SmtpForm())
        try:
            self.ctx.call(smtp_settings.save_settings, form, topic="documents")
        except PropreoError as exc:
            self.form.show_errors(exc)
            return False
        return True

    def save(self) -> None:
        if self._save():
            self.accept()

    def send_test(self) -> None:
        if not self._save():
            return
        to = self.test_to.text()
        self.ctx.run(
            self,
            _("Envoi de l'e-mail de test…"),
            lambda session, _progress: email.send_test_email(session, to),
            write=False,
            on_done=lambda _o: QMessageBox.information(
                self, "Propreo", _("E-mail de test envoyé à {to}.").format(to=to)
            ),
        )


class StatementDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Relevé de compte"))
        self.client = QComboBox(self)
        for client_id, label in ctx.query(listing.client_choices):
            self.client.addItem(label, client_id)
        self.client.setEditable(True)
        self.client.setToolTip(_("Pour un syndic, le relevé détaille chaque copropriété gérée."))
        today = QDate.currentDate()
        self.start = QDateEdit(QDate(today.year(), 1, 1), self)
        self.end = QDateEdit(today, self)
        for w in (self.start, self.end):
            w.setCalendarPopup(True)
            w.setDisplayFormat("dd/MM/yyyy")
        form = QFormLayout()
        form.addRow(_("Client"), self.client)
        form.addRow(_("Du"), self.start)
        form.addRow(_("Au"), self.end)
        save = QPushButton(_("Enregistrer le PDF…"), self)
        preview = QPushButton(_("Aperçu / imprimer…"), self)
        send = QPushButton(_("Envoyer par e-mail"), self)
        save.clicked.connect(self.save_pdf)
        preview.clicked.connect(self.preview)
        send.clicked.connect(self.send)
        buttons = QHBoxLayout()
        for b in (save, preview, send):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)

    def _args(self) -> tuple[int, dt.date, dt.date]:
        return self.client.currentData(), self.start.date().toPython(), self.end.date().toPython()

    def _pdf(self) -> bytes | None:
        try:
            return self.ctx.query(statements.statement_pdf, *self._args())
        except PropreoError as exc:
            show_error(self, exc)
            return None

    def save_pdf(self) -> None:
        pdf = self._pdf()
        if pdf is not None:
            save_bytes(self, pdf, f"releve-{self._args()[2]:%Y%m%d}.pdf", "PDF (*.pdf)")

    def preview(self) -> None:
        pdf = self._pdf()
        if pdf is not None:
            print_pdf(self, pdf, _("Relevé de compte"))

    def send(self) -> None:
        client_id, start, end = self._args()
        self.ctx.run(
            self,
            _("Envoi du relevé…"),
            lambda session, progress: statements.send_statement(
                session, client_id, start, end, progress
            ),
            write=False,
            topic="documents",
            on_done=lambda o: QMessageBox.information(
                self,
                "Propreo",
                _("Relevé envoyé à {to}.").format(to=o.item.to)
                if o.ok
                else _("Échec : {e}").format(e=o.error),
            ),
        )


# --------------------------------------------------------------------------- the tab


@dataclass
class _Action:
    label: str
    slot: Callable[[], None]
    tooltip: str = ""


class DocumentsTab(Tab):
    title = _("Éditions")
    help_chapter = "editions"
    topics = ("documents", "invoices", "billing", "")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        from app.dashboard import month_with_documents  # the last month that has some

        self.period = MonthPicker(self, period=ctx.query(month_with_documents))
        self.period.setToolTip(_("Mois des documents émis"))
        self.period.changed.connect(lambda _p: self.refresh())
        self.list = RecordList(
            [
                Column(_("Numéro"), lambda r: r.number, 110),
                Column(_("Type"), lambda r: r.kind, 110),
                Column(_("Date"), lambda r: r.issue_date, 85),
                Column(_("Client"), lambda r: r.client, 220),
                Column(
                    _("Envoi"),
                    lambda r: r.sending_mode,
                    80,
                    _("Mode d'envoi défini sur la fiche client"),
                ),
                Column(_("TTC"), lambda r: format_amount(r.total_ttc), 95),
                Column(
                    _("Archivé"), lambda r: r.archived, 100, _("Empreinte SHA-256 du PDF archivé")
                ),
                Column(_("Dernier envoi"), lambda r: r.sending, 220),
            ],
            filters=[
                (_("Tous"), None),
                (_("Courrier"), lambda r: r.sending_mode == "Courrier"),
                (_("E-mail"), lambda r: r.sending_mode == "E-mail"),
                (_("Envois en échec"), lambda r: r.sending.startswith("Échec")),
            ],
            export_name="documents",
            parent=self,
        )
        self.list.activated.connect(lambda _row: self.print_selected())
        actions = [
            _Action(
                _("Aperçu / imprimer…"), self.print_selected, _("Facture archivée, telle qu'émise")
            ),
            _Action(
                _("Lot courrier (PDF)…"),
                self.postal_batch,
                _("Un PDF des documents « courrier » du mois"),
            ),
            _Action(
                _("Envoyer par e-mail"),
                self.send_run,
                _(
                    "Documents sélectionnés ; sans sélection, ceux des clients « e-mail » du mois. "
                    "Les documents déjà envoyés sont laissés de côté, sauf demande."
                ),
            ),
            _Action(_("Renvoyer les échecs"), self.retry_failed),
            _Action(_("Exporter Factur-X…"), self.export_folder),
            _Action(_("Lettre d'accompagnement…"), self.cover_letter),
            _Action(_("Relevé de compte…"), lambda: StatementDialog(self.ctx, self).exec()),
            _Action(_("Export FEC…"), self.export_fec),
            _Action(
                _("Attestations fiscales SAP…"),
                self.sap_attestations,
                _("Attestations annuelles des clients « services à la personne »"),
            ),
            _Action(_("Paramètres e-mail…"), lambda: EmailSettingsDialog(self.ctx, self).exec()),
        ]
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Mois :"), self))
        top.addWidget(self.period)
        top.addStretch(1)
        # Two rows (printing and sending; exports, letters and settings): every label whole
        # at 1366 pixels wide.
        bar, second = QHBoxLayout(), QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for index, action in enumerate(actions):
            button = QPushButton(action.label, self)
            button.setToolTip(action.tooltip)
            button.clicked.connect(action.slot)
            (bar if index < 5 else second).addWidget(button)
            self.buttons[action.label] = button
        bar.addStretch(1)
        second.addStretch(1)
        self.report = QLabel(self)  # the outcome of the last sending
        self.report.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addLayout(second)
        layout.addWidget(self.report)
        layout.addWidget(self.list)
        self.refresh()

    def refresh(self) -> None:
        try:
            self.list.set_rows(self.ctx.query(listing.document_rows, self.period.period()))
        except PropreoError as exc:
            show_error(self, exc)

    def _ids(self, selected_only: bool = True) -> list[int]:
        rows = self.list.selected() if selected_only else self.list.visible_rows()
        return [r.invoice_id for r in rows]

    def print_selected(self) -> None:
        ids = self._ids()
        if not ids:
            QMessageBox.information(self, "Propreo", _("Sélectionnez un ou plusieurs documents."))
            return

        def done(pdf: bytes) -> None:
            print_pdf(self, pdf, _("Documents"))
            self.refresh()

        self.ctx.run(
            self,
            _("Préparation des documents…"),
            lambda s, p: printing.print_documents(s, ids, p),
            write=False,
            on_done=done,
        )

    def postal_batch(self) -> None:
        period = self.period.period()
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Lot courrier"), f"lot-courrier-{period}.pdf", "PDF (*.pdf)"
        )
        if not path:
            return

        def work(session: Any, progress: Any) -> printing.PostalBatch:
            # `documents courrier` too; a cancel or a refused document writes nothing
            return printing.postal_batch_of_month(session, period, Path(path), progress)

        def done(batch: printing.PostalBatch) -> None:
            self.refresh()  # documents rendered for the first time are archived now
            QMessageBox.information(
                self,
                "Propreo",
                ngettext(
                    "Lot courrier : {n} document enregistré dans {path}.",
                    "Lot courrier : {n} documents enregistrés dans {path}.",
                    batch.count,
                ).format(n=batch.count, path=batch.path),
            )

        self.ctx.run(self, _("Constitution du lot courrier…"), work, write=False, on_done=done)

    def _send(self, ids: list[int], title: str) -> Any:
        """E-mail these documents after the confirmation (ui.document_actions)."""
        from ui.document_actions import report_text, send_documents

        def done(report: mailer.SendReport) -> None:
            self.refresh()
            self.report.setText(report_text(report))

        return send_documents(self.ctx, self, ids, title, on_done=done)

    def send_run(self) -> Any:
        """The selected documents; without selection, those of the month's « e-mail »
        clients. Documents already sent are left out unless the user asks for them."""
        ids = self._ids() or self.ctx.query(send_plan.month_documents, self.period.period())
        return self._send(ids, _("Envoi par e-mail"))

    def retry_failed(self) -> Any:
        ids = self.ctx.query(send_plan.month_documents, self.period.period(), failed_only=True)
        return self._send(ids, _("Renvoyer les échecs"))

    def export_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Dossier d'export Factur-X"))
        if not folder:
            return
        period = self.period.period()

        def work(session: Any, progress: Any) -> render.BatchResult:
            # `documents export` too; a full disk or a cancel leaves nothing in the folder
            return render.export_month(session, period, Path(folder), progress)

        def done(result: render.BatchResult) -> None:
            failures = "\n".join(f"{d.number} : {d.error}" for d in result.failures[:15])
            QMessageBox.information(
                self,
                "Propreo",
                ngettext(
                    "{n} document exporté.", "{n} documents exportés.", len(result.pdfs)
                ).format(n=len(result.pdfs))
                + ("\n" + failures if failures else ""),
            )
            self.refresh()

        self.ctx.run(self, _("Export Factur-X…"), work, write=False, on_done=done)

    def cover_letter(self) -> None:
        ids = self._ids()
        if len(ids) != 1:
            QMessageBox.information(self, "Propreo", _("Sélectionnez un document."))
            return
        try:
            data = self.ctx.query(printing.cover_letter, ids[0])
        except PropreoError as exc:
            show_error(self, exc)
            return
        number = self.list.selected()[0].number
        save_bytes(self, data, f"lettre-{number}.docx", "Word (*.docx)")

    def sap_attestations(self) -> None:
        from ui.sap_attestations import AttestationsDialog

        AttestationsDialog(self.ctx, self).exec()

    def export_fec(self) -> None:
        try:
            exercises = self.ctx.query(fiscal.recent_exercises, dt.date.today(), 8)
        except PropreoError as exc:
            show_error(self, exc)
            return
        labels = [e.label for e in exercises]
        # Default: the last closed exercise (the one the accountant asks for).
        label, ok = QInputDialog.getItem(
            self, _("Export FEC"), _("Exercice :"), labels, min(1, len(labels) - 1), False
        )
        if not ok or label not in labels:
            return
        chosen = exercises[labels.index(label)]
        folder = QFileDialog.getExistingDirectory(self, _("Dossier du fichier FEC"))
        if not folder:
            return
        out = Path(folder)

        def work(session: Any, _progress: Any) -> tuple[Any, Path | None]:
            # The FEC and the sales journal of the same exercise, side by side (or neither).
            return accounting.export_for_accountant(session, chosen.end, out)

        self.ctx.run(
            self,
            _("Export FEC…"),
            work,
            write=False,
            on_done=lambda result: QMessageBox.information(
                self,
                "Propreo",
                _(
                    "Fichier {name} : {n} écritures équilibrées.\nJournal des ventes : {sales}"
                ).format(name=result[0].path.name, n=len(result[0].entries), sales=result[1].name),
            ),
        )
