"""« Imprimer », « PDF… », « Envoyer… » where the documents are: the invoice viewer, the invoice
list, the client account. Each button calls the same use case as the Éditions tab and the
``documents`` commands (app.documents.printing, render, email, statements).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QPushButton, QWidget

from app.documents import email, mailer, printing, send_plan, statements
from app.i18n import _, ngettext
from ui.confirm import confirm
from ui.context import UiContext
from ui.documents import print_pdf, save_bytes


def send_documents(
    ctx: UiContext,
    parent: QWidget,
    ids: list[int],
    title: str,
    on_done: Callable[[mailer.SendReport], None] | None = None,
) -> Any:
    """E-mail these documents once the user has confirmed how many go, to whom, and what
    is left out (already sent, no address); the sending runs off the GUI thread."""
    plan = ctx.query(send_plan.send_plan, ids)
    choice = confirm_send(parent, title, plan)
    if choice == "resend":
        plan = ctx.query(send_plan.send_plan, ids, resend=True)
    elif choice != "send":
        return None
    chosen = plan.ids

    def work(session: Any, progress: Any) -> mailer.SendReport:
        return email.send_invoices(session, chosen, progress)

    return ctx.run(
        parent,
        _("Envoi des documents par e-mail…"),
        work,
        write=False,
        topic="documents",
        on_done=on_done or (lambda report: show_report(parent, report)),
    )


def report_text(report: mailer.SendReport) -> str:
    lines = [
        _("Envoi par e-mail : {sent}, {failed}.").format(
            sent=ngettext("{n} envoyé", "{n} envoyés", len(report.sent)).format(n=len(report.sent)),
            failed=ngettext("{n} échec", "{n} échecs", len(report.failed)).format(
                n=len(report.failed)
            ),
        )
    ]
    lines += [f"{o.item.number} : {o.error}" for o in report.failed[:15]]
    return "\n".join(lines)


def show_report(parent: QWidget, report: mailer.SendReport) -> None:
    QMessageBox.information(parent, "Propreo", report_text(report))


def confirm_send(parent: QWidget, title: str, plan: send_plan.SendPlan) -> str:
    """« send », « resend » (the already-sent ones too) or « » (cancelled)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, plan.text(), parent=parent)
    send = resend = None
    if plan.to_send:
        send = box.addButton(
            ngettext("Envoyer {n} document", "Envoyer {n} documents", len(plan.to_send)).format(
                n=len(plan.to_send)
            ),
            QMessageBox.ButtonRole.AcceptRole,
        )
    if plan.already_sent:
        resend = box.addButton(
            ngettext(
                "Envoyer aussi celui déjà envoyé",
                "Envoyer aussi les {n} déjà envoyés",
                len(plan.already_sent),
            ).format(n=len(plan.already_sent)),
            QMessageBox.ButtonRole.ActionRole,
        )
    cancel = box.addButton(_("Annuler"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    return "send" if clicked is send else "resend" if clicked is resend else ""


class DocumentActions(QWidget):
    """Three buttons acting on the issued documents a screen points at (``ids()``, with the
    number of the first for the file name)."""

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget,
        ids: Callable[[], list[tuple[int, str]]],
        *,
        title: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx, self._ids, self.title = ctx, ids, title or _("Documents")
        self.print_button = QPushButton(_("Imprimer…"), self)
        self.print_button.setToolTip(_("Aperçu puis impression, tels qu'archivés à l'émission"))
        self.print_button.clicked.connect(self.print_)
        self.pdf_button = QPushButton(_("PDF…"), self)
        self.pdf_button.setToolTip(_("Enregistrer le PDF archivé à l'émission"))
        self.pdf_button.clicked.connect(self.save_pdf)
        self.send_button = QPushButton(_("Envoyer…"), self)
        self.send_button.setToolTip(_("Envoyer par e-mail à l'adresse de facturation du client"))
        self.send_button.clicked.connect(self.send)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for button in (self.print_button, self.pdf_button, self.send_button):
            row.addWidget(button)
        self.last_pdf: bytes | None = None  # what the last print or save produced

    def chosen(self) -> list[tuple[int, str]]:
        chosen = self._ids()
        if not chosen:
            QMessageBox.information(
                self, "Propreo", _("Sélectionnez un ou plusieurs documents émis.")
            )
        return chosen

    def pdf_work(self) -> Callable[[Any, Any], bytes] | None:
        """The use case giving the PDF of what is chosen (None: nothing chosen)."""
        chosen = self.chosen()
        if not chosen:
            return None
        ids = [i for i, _n in chosen]
        return lambda session, progress: printing.print_documents(session, ids, progress)

    def file_name(self) -> str:
        chosen = self._ids()
        return f"{chosen[0][1]}.pdf" if len(chosen) == 1 else "documents.pdf"

    def _with_pdf(self, title: str, then: Callable[[bytes], None]) -> Any:
        work = self.pdf_work()
        if work is None:
            return None

        def done(pdf: bytes) -> None:
            self.last_pdf = pdf
            then(pdf)

        return self.ctx.run(self, title, work, write=False, on_done=done)

    def print_(self) -> Any:
        return self._with_pdf(
            _("Préparation de l'impression…"), lambda pdf: print_pdf(self, pdf, self.title)
        )

    def save_pdf(self) -> Any:
        name = self.file_name()
        return self._with_pdf(
            _("Préparation du PDF…"), lambda pdf: save_bytes(self, pdf, name, "PDF (*.pdf)")
        )

    def send(self) -> Any:
        chosen = self.chosen()
        if not chosen:
            return None
        return send_documents(self.ctx, self, [i for i, _n in chosen], _("Envoi par e-mail"))


class StatementActions(DocumentActions):
    """The same three buttons for a client's statement (relevé de compte) over a period."""

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget,
        args: Callable[[], tuple[int, dt.date, dt.date] | None],
    ) -> None:
        super().__init__(ctx, parent, lambda: [], title=_("Relevé de compte"))
        self._args = args
        self.print_button.setToolTip(_("Aperçu puis impression du relevé de compte"))
        self.pdf_button.setToolTip(_("Enregistrer le relevé de compte en PDF"))
        self.send_button.setToolTip(_("Envoyer le relevé par e-mail au client"))

    def pdf_work(self) -> Callable[[Any, Any], bytes] | None:
        args = self._args()
        if args is None:
            return None
        return lambda session, _progress: statements.statement_pdf(session, *args)

    def file_name(self) -> str:
        args = self._args()
        return f"releve-{args[2]:%Y%m%d}.pdf" if args else "releve.pdf"

    def send(self) -> Any:
        args = self._args()
        if args is None:
            return None
        client_id, start, end = args
        recipient = self.ctx.query(statements.statement_recipient, client_id)
        if not recipient:
            QMessageBox.information(
                self,
                "Propreo",
                _(
                    "Ce client n'a pas d'adresse e-mail de facturation : renseignez-la sur sa fiche."
                ),
            )
            return None
        text = _("Envoyer le relevé du {start} au {end} à {to} ?").format(
            start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}", to=recipient
        )
        if not confirm(self, _("Envoi du relevé"), text, _("Envoyer")):
            return None
        return self.ctx.run(
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
