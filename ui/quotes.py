"""Devis tab: the list of quotes with their follow-up actions, and the quote editor."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.errors import PropreoError
from app.i18n import _, ngettext
from app.money import ZERO, format_amount
from app.quotes import followup, sending, transitions
from app.quotes import quotes as uc
from app.quotes.documents import quote_docx, quote_pdf, quote_pdf_file
from app.quotes.mailing import email_quote
from app.quotes.reminder_letter import (
    record_letter_reminder,
    reminder_letter_docx,
    reminder_letter_pdf,
)
from models.quotes import QuoteKind, QuoteStatus
from ui.confirm import confirm
from ui.context import Tab, UiContext
from ui.documents import print_pdf
from ui.down_payment import issue_down_payment
from ui.followup_dialogs import ask_date
from ui.operations import show_error, write_or_say
from ui.quote_editor import QuoteEditor
from ui.table import Column, RecordList

S = QuoteStatus
DOCUMENT_KEYS = frozenset({"print", "pdf", "docx", "email", "letter"})
COLUMNS = [
    Column(_("N°"), lambda r: r.reference, 130),
    Column(_("Type"), lambda r: r.kind_label, 60),
    Column(_("Client"), lambda r: r.client, 190),
    Column(_("Chantier"), lambda r: r.site, 190),
    Column(_("Objet"), lambda r: r.title, 220),
    Column(_("Date"), lambda r: r.quote_date, 85),
    Column(_("Validité"), lambda r: r.validity_date, 85),
    Column(
        _("Statut"),
        lambda r: r.status_label,
        90,
        color=lambda r: {"accepted": "#1b7f3b", "refused": "#b00020", "expired": "#8a6d00"}.get(
            r.status
        ),
    ),
    Column(_("Total HT"), lambda r: r.total_ht, 95),
    Column(_("Pondéré HT"), lambda r: r.weighted_ht, 95, tooltip=_("Total HT × probabilité")),
    Column(_("Relance le"), lambda r: r.next_reminder_date, 85),
    Column(_("Relances"), lambda r: r.reminder_count, 60),
]


def quotes_footer(rows: list[Any]) -> str:
    """Under the list: the quotes shown (a version replaced by a newer one counts once, as its
    newest version) and their HT, weighted by their probability."""
    live = [r for r in rows if r.status != S.REVISED]
    return _("{n} devis — {ht} HT — pondéré {weighted} HT").format(
        n=len(live),
        ht=format_amount(sum((r.total_ht for r in live), ZERO)),
        weighted=format_amount(sum((r.weighted_ht for r in live), ZERO)),
    )


class QuotesTab(Tab):
    title = _("Devis")
    help_chapter = "devis"
    topics = ("", "quotes", "planning")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.today = clock.today
        self.editor: QuoteEditor | None = None
        self.open_documents = True  # open a saved PDF with the desktop's viewer
        self.last_pdf: Path | None = None
        self.list = RecordList(
            COLUMNS,
            filters=[
                (_("Tous les devis"), None),
                (_("En cours (brouillon, envoyé)"), lambda r: r.status in S.OPEN),
                (
                    _("À relancer aujourd'hui"),
                    lambda r: (
                        r.status == S.SENT
                        and r.next_reminder_date is not None
                        and r.next_reminder_date <= self.today()
                    ),
                ),
                (_("Acceptés"), lambda r: r.status == S.ACCEPTED),
                (_("Refusés ou expirés"), lambda r: r.status in (S.REFUSED, S.EXPIRED)),
            ],
            export_name="devis",
            footer=quotes_footer,
            parent=self,
        )
        self.list.activated.connect(lambda row: self.open_quote(row.id))
        self.list.selection_changed.connect(self._update_buttons)
        self.summary = QLabel(self)
        # Two rows, every label whole at 1366 pixels: the quote's life, then its documents.
        buttons, documents = QHBoxLayout(), QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, label, slot in (
            ("new", _("Nouveau devis"), self.new_quote),
            ("open", _("Ouvrir"), lambda: self._with_current(self.open_quote)),
            ("send", _("Envoyer…"), lambda: self._with_current(self.send)),
            ("email", _("E-mail…"), lambda: self._with_current(self.email)),
            ("remind", _("Relancer"), lambda: self._with_current(self.remind)),
            (
                "letter",
                _("Lettre de relance…"),
                lambda: self._with_current(self.reminder_letter),
            ),
            ("accept", _("Accepter"), lambda: self._with_current(self.accept)),
            ("refuse", _("Refuser"), lambda: self._with_current(self.refuse)),
            # « Réviser » (its tooltip says « nouvelle version »): the row keeps to 1366 pixels.
            ("revise", _("Réviser"), lambda: self._with_current(self.revise)),
            ("duplicate", _("Dupliquer"), lambda: self._with_current(self.duplicate)),
            ("deposit", _("Acompte…"), lambda: self._with_current(self.down_payment)),
            ("print", _("Imprimer…"), lambda: self._with_current(self.preview_quote)),
            ("pdf", _("PDF…"), lambda: self._with_current(self._export_pdf)),
            ("docx", _("Word…"), lambda: self._with_current(self._export_docx)),
            ("expire", _("Clore les devis échus"), self.expire),
        ):
            button = QPushButton(label, self)
            button.clicked.connect(slot)
            (documents if key in DOCUMENT_KEYS else buttons).addWidget(button)
            self.buttons[key] = button
        self.buttons["send"].setToolTip(
            _("Numérote le devis, l'envoie par e-mail ou l'imprime, et lance le suivi des relances")
        )
        self.buttons["letter"].setToolTip(
            _("Courrier « Relance de devis » à imprimer (PDF ou Word), noté dans l'historique")
        )
        self.buttons["deposit"].setToolTip(
            _("Facture d'acompte sur le devis accepté, déduite de la facture définitive")
        )
        self.buttons["revise"].setToolTip(
            _("Crée la version suivante en brouillon ; la version envoyée est conservée")
        )
        buttons.addStretch(1)
        documents.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(documents)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        self.refresh()
        self.list.select_first()

    def refresh(self) -> None:
        rows = self.ctx.query(followup.quote_rows)
        self.list.set_rows(rows)
        due = self.ctx.query(followup.reminders_due, self.today())
        self.summary.setText(
            _("{count} devis à relancer aujourd'hui.").format(count=len(due)) if due else ""
        )
        self._update_buttons(self.list.current())

    def _update_buttons(self, row: Any) -> None:
        status = row.status if row else None
        self.buttons["open"].setEnabled(row is not None)
        self.buttons["send"].setEnabled(status == S.DRAFT)
        for key in ("email", "remind", "letter", "accept", "refuse"):
            self.buttons[key].setEnabled(status == S.SENT)
        self.buttons["revise"].setEnabled(status in (S.SENT, S.REFUSED, S.EXPIRED))
        self.buttons["deposit"].setEnabled(status == S.ACCEPTED)
        self.buttons["duplicate"].setEnabled(row is not None)
        self.buttons["pdf"].setEnabled(row is not None)
        self.buttons["print"].setEnabled(row is not None)
        self.buttons["docx"].setEnabled(row is not None)

    def _with_current(self, fn: Any) -> None:
        row = self.list.current()
        if row is not None:
            fn(row.id)

    def _do(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.ctx.call(fn, *args, topic="quotes", **kwargs)
        except PropreoError as exc:
            show_error(self, exc)
            return None

    # --- actions --------------------------------------------------------------------------

    def new_quote(self) -> QuoteEditor:
        return self.open_quote(None)

    def open_quote(self, quote_id: int | None) -> QuoteEditor:
        self.editor = QuoteEditor(self.ctx, quote_id, self)
        self.editor.reminder_letter_requested.connect(self._letter_from_editor)
        self.editor.show()
        return self.editor

    def down_payment(
        self, quote_id: int, text: str | None = None, day: dt.date | None = None
    ) -> Any:
        """Issue a down-payment invoice on an accepted quote: « 30 % » of its total HT, or
        an amount HT (« 450 »). The final invoice from the quote deducts it."""
        return issue_down_payment(self, self.ctx, day or self.today(), quote_id=quote_id, text=text)

    def _letter_from_editor(self, quote_id: int) -> None:
        if self.reminder_letter(quote_id) is not None and self.editor is not None:
            self.editor.load()  # the reminder count and next date changed

    def send(self, quote_id: int, day: dt.date | None = None) -> Any:
        """Number the draft and send it: by e-mail (PDF attached) or as a PDF to print, once
        the user has confirmed the number, the date it will carry and where it goes."""
        day = day or self.today()
        try:
            preview = self.ctx.query(sending.send_preview, quote_id, day)
        except PropreoError as exc:
            show_error(self, exc)
            return None
        how = self._ask_send(preview)
        if how is None:
            return None
        quote = self._do(transitions.send_quote, quote_id, day)
        if quote is None:
            return None
        if how == "email":
            self.email(quote_id, day)
        else:
            self.print_quote(quote_id)
        return quote

    def _ask_send(self, preview: sending.QuoteSendPreview) -> str | None:
        box = QMessageBox(
            QMessageBox.Icon.Question, _("Envoyer le devis"), preview.text(), parent=self
        )
        by_mail = None
        if preview.can_email:
            by_mail = box.addButton(
                _("Numéroter et envoyer par e-mail"), QMessageBox.ButtonRole.AcceptRole
            )
        to_print = box.addButton(
            _("Numéroter et imprimer (PDF)"), QMessageBox.ButtonRole.ActionRole
        )
        cancel = box.addButton(_("Annuler"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        return "email" if clicked is by_mail else "print" if clicked is to_print else None

    def print_quote(self, quote_id: int) -> Path | None:
        """Save the sent quote's PDF in the firm's folder and open it for printing."""
        try:
            path = self.ctx.query(quote_pdf_file, quote_id)
        except (PropreoError, OSError) as exc:
            show_error(self, exc)
            return None
        self.last_pdf = path
        if self.open_documents:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        return path

    def accept(
        self,
        quote_id: int,
        day: dt.date | None = None,
        plan_date: dt.date | None = None,
        start_date: dt.date | None = None,
    ) -> Any:
        """The client's « Bon pour accord »: asks the contract's start date (contract quote)
        or the day the works are planned (TC quote) unless given."""
        day = day or self.today()
        if plan_date is None and start_date is None:
            try:
                kind, default = self.ctx.query(transitions.acceptance_default, quote_id, day)
            except PropreoError as exc:
                show_error(self, exc)
                return None
            contract = kind == QuoteKind.CONTRACT
            chosen = ask_date(
                self,
                _("Accepter le devis"),
                _("Début du contrat (créé en brouillon)")
                if contract
                else _("Date d'intervention (planifiée)"),
                default,
            )
            if chosen is None:
                return None
            start_date, plan_date = (chosen, None) if contract else (None, chosen)
        return self._do(
            transitions.accept_quote, quote_id, day, plan_date=plan_date, start_date=start_date
        )

    def refuse(self, quote_id: int, reason: str | None = None, day: dt.date | None = None) -> Any:
        if reason is None:
            reason, ok = QInputDialog.getText(self, _("Refus du devis"), _("Motif du refus :"))
            if not ok:
                return None
        return self._do(transitions.refuse_quote, quote_id, day or self.today(), reason)

    def revise(self, quote_id: int, day: dt.date | None = None) -> Any:
        new = self._do(transitions.revise_quote, quote_id, day or self.today())
        if new is not None:
            self.open_quote(new.id)
        return new

    def duplicate(self, quote_id: int) -> Any:
        """A new draft copied from the quote, dated today, opened in the editor (numbered
        when it is sent, like any draft)."""
        from app.quotes.duplicate import duplicate_quote

        new = self._do(duplicate_quote, quote_id, today=self.today())
        if new is not None:
            self.open_quote(new.id)
        return new

    def remind(
        self, quote_id: int, day: dt.date | None = None, *, by_email: bool | None = None
    ) -> Any:
        """Remind the client: by e-mail (the reminder with the quote PDF), or note a reminder
        made by letter or phone."""
        day = day or self.today()
        if by_email is None:
            mail = self.ctx.query(followup.reminder_text, quote_id, day)
            box = QMessageBox(self)
            box.setWindowTitle(_("Relance"))
            box.setText(
                _("À : {to}\nObjet : {subject}\n\n{body}").format(
                    to=mail.to or "—", subject=mail.subject, body=mail.body
                )
            )
            email_button = box.addButton(_("Envoyer par e-mail"), QMessageBox.ButtonRole.AcceptRole)
            letter_button = box.addButton(
                _("Lettre de relance (PDF, Word)…"), QMessageBox.ButtonRole.ActionRole
            )
            note_button = box.addButton(
                _("Noter une relance (téléphone)"), QMessageBox.ButtonRole.ActionRole
            )
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.exec()
            if box.clickedButton() is letter_button:
                return self.reminder_letter(quote_id, day=day)
            if box.clickedButton() not in (email_button, note_button):
                return None
            by_email = box.clickedButton() is email_button
        if by_email:
            return self.email(quote_id, day, reminder=True)
        return self._do(followup.record_reminder, quote_id, day)

    def reminder_letter(
        self, quote_id: int, path: str | None = None, day: dt.date | None = None
    ) -> Any:
        """Save the « Relance de devis » letter (PDF or Word, from the file's extension),
        open it for printing and count it as a reminder in the client's history."""
        day = day or self.today()
        if path is None:
            reference = self.ctx.query(lambda s: uc.get_quote(s, quote_id).reference)
            path, _f = QFileDialog.getSaveFileName(
                self,
                _("Lettre de relance du devis"),
                _("Relance devis {ref}.pdf").format(ref=reference.replace(" ", "-")),
                "PDF (*.pdf);;Word (*.docx)",
            )
            if not path:
                return None
            open_after = True
        else:
            open_after = False
        render = reminder_letter_docx if path.lower().endswith(".docx") else reminder_letter_pdf
        try:
            data = self.ctx.query(render, quote_id, day)
        except PropreoError as exc:
            show_error(self, exc)
            return None
        if not write_or_say(self, path, data):
            return None
        quote = self._do(record_letter_reminder, quote_id, day)
        if quote is not None and open_after:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))
        return quote

    def email(self, quote_id: int, day: dt.date | None = None, *, reminder: bool = False) -> Any:
        """E-mail the quote PDF (or a reminder) off the GUI thread; SMTP never in a write."""
        day = day or self.today()

        def work(session: Any, progress: Any) -> Any:
            return email_quote(session, quote_id, day, progress, reminder=reminder)

        def done(outcome: Any) -> None:
            self.ctx.bus.changed.emit("quotes")
            if not outcome.ok:
                QMessageBox.warning(
                    self, "Propreo", _("Envoi impossible : {error}").format(error=outcome.error)
                )

        return self.ctx.run(self, _("Envoi du devis par e-mail"), work, write=False, on_done=done)

    def expire(self) -> Any:
        """Mark « Expiré » the sent quotes past their validity, once confirmed."""
        due = self.ctx.query(transitions.expirable_quotes, self.today())
        if not due:
            QMessageBox.information(self, "Propreo", _("Aucun devis envoyé n'a passé sa validité."))
            return []
        text = ngettext(
            "{n} devis envoyé a passé sa date de validité et passera à « Expiré » :",
            "{n} devis envoyés ont passé leur date de validité et passeront à « Expiré » :",
            len(due),
        )
        listed = "\n".join(f"– {ref} ({day:%d/%m/%Y})" for ref, day in due[:10])
        if not confirm(
            self, _("Clore les devis échus"), text.format(n=len(due)), _("Clore"), listed
        ):
            return None
        return self._do(transitions.expire_quotes, self.today())

    def export_pdf(self, quote_id: int, path: str) -> None:
        write_or_say(self, path, self.ctx.query(quote_pdf, quote_id))

    def export_docx(self, quote_id: int, path: str) -> None:
        write_or_say(self, path, self.ctx.query(quote_docx, quote_id))

    def preview_quote(self, quote_id: int) -> None:
        """« Imprimer… »: the quote's PDF (the one « PDF… » saves) in the print preview."""
        try:
            pdf = self.ctx.query(quote_pdf, quote_id)
        except PropreoError as exc:
            show_error(self, exc)
            return
        print_pdf(self, pdf, _("Devis"))

    def _export_pdf(self, quote_id: int) -> None:
        path, _f = QFileDialog.getSaveFileName(self, _("Devis PDF"), "devis.pdf", "PDF (*.pdf)")
        if path:
            self._export(self.export_pdf, quote_id, path)

    def _export_docx(self, quote_id: int) -> None:
        path, _f = QFileDialog.getSaveFileName(self, _("Devis Word"), "devis.docx", "Word (*.docx)")
        if path:
            self._export(self.export_docx, quote_id, path)

    def _export(self, fn: Any, quote_id: int, path: str) -> None:
        try:
            fn(quote_id, path)
        except (PropreoError, OSError) as exc:
            show_error(self, exc)
