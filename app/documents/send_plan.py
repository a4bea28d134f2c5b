"""Which documents an e-mail sending will really send, and to whom, said before it is done:
documents already sent, or whose last sending was cut off (nobody knows whether the client
got it), are left out unless a new sending is asked for; documents whose client has no
e-mail address are named. Read-only; the window shows it in the confirmation and
``documents send`` prints it: both send exactly ``plan.ids``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.addressing import display_name
from app.documents.build import invoice_email
from app.documents.email import email_recipients, failed_documents
from app.i18n import _, ngettext
from app.lookup import get_row
from models.clients import Client
from models.documents import DocumentSending, SendStatus
from models.invoices import Invoice

SHOWN = 8  # recipients listed by name in the confirmation, the rest counted


@dataclass(frozen=True)
class PlannedMail:
    invoice_id: int
    number: str
    client: str
    to: str


@dataclass(frozen=True)
class SendPlan:
    to_send: tuple[PlannedMail, ...]
    already_sent: tuple[PlannedMail, ...]  # left out (unless resend)
    no_address: tuple[PlannedMail, ...]  # cannot be e-mailed
    uncertain: tuple[PlannedMail, ...] = ()  # last sending cut off: left out (unless resend)

    @property
    def ids(self) -> list[int]:
        return [m.invoice_id for m in self.to_send]

    def text(self) -> str:
        """The confirmation's wording (French): how many, to whom, what is left out."""
        n = len(self.to_send)
        lines = [
            ngettext(
                "{n} document sera envoyé par e-mail :",
                "{n} documents seront envoyés par e-mail :",
                n,
            ).format(n=n)
            if n
            else _("Aucun document à envoyer.")
        ]
        lines += [f"– {m.number} à {m.client} <{m.to}>" for m in self.to_send[:SHOWN]]
        if n > SHOWN:
            lines.append(_("– et {n} autre(s)").format(n=n - SHOWN))
        if self.already_sent:
            lines.append(
                ngettext(
                    "{n} document déjà envoyé est laissé de côté ({numbers}).",
                    "{n} documents déjà envoyés sont laissés de côté ({numbers}).",
                    len(self.already_sent),
                ).format(n=len(self.already_sent), numbers=_numbers(self.already_sent))
            )
        if self.uncertain:
            lines.append(
                ngettext(
                    "{n} document dont l'envoi a été interrompu est laissé de côté ({numbers}) "
                    ": vérifiez auprès du client s'il l'a reçu.",
                    "{n} documents dont l'envoi a été interrompu sont laissés de côté "
                    "({numbers}) : vérifiez auprès des clients s'ils les ont reçus.",
                    len(self.uncertain),
                ).format(n=len(self.uncertain), numbers=_numbers(self.uncertain))
            )
        if self.no_address:
            lines.append(
                _("Sans adresse e-mail, non envoyé(s) : {numbers}.").format(
                    numbers=_numbers(self.no_address)
                )
            )
        return "\n".join(lines)


def _numbers(mails: tuple[PlannedMail, ...]) -> str:
    shown = ", ".join(m.number for m in mails[:SHOWN])
    return shown + ("…" if len(mails) > SHOWN else "")


def sent_documents(session: Session, invoice_ids: Iterable[int]) -> set[int]:
    """Documents of ``invoice_ids`` already e-mailed successfully at least once."""
    ids = list(invoice_ids)
    sent: set[int] = set()
    for start in range(0, len(ids), 500):
        sent.update(
            session.scalars(
                select(DocumentSending.invoice_id).where(
                    DocumentSending.invoice_id.in_(ids[start : start + 500]),
                    DocumentSending.status == SendStatus.SENT,
                )
            )
        )
    return sent


def cut_off_documents(session: Session, invoice_ids: list[int]) -> set[int]:
    """Documents of ``invoice_ids`` whose latest sending attempt was cut off (crash, kill)."""
    latest: dict[int, str] = {}
    for start in range(0, len(invoice_ids), 500):
        for invoice_id, status in session.execute(
            select(DocumentSending.invoice_id, DocumentSending.status)
            .where(DocumentSending.invoice_id.in_(invoice_ids[start : start + 500]))
            .order_by(DocumentSending.id)
        ):
            if invoice_id is not None:
                latest[invoice_id] = status
    return {i for i, status in latest.items() if status == SendStatus.IN_PROGRESS}


def send_plan(session: Session, invoice_ids: Iterable[int], *, resend: bool = False) -> SendPlan:
    """What e-mailing ``invoice_ids`` will send; ``resend``: the already-sent and the
    cut-off ones again too (the user knows)."""
    ids = list(dict.fromkeys(invoice_ids))
    sent = sent_documents(session, ids)
    cut_off = cut_off_documents(session, ids)
    to_send: list[PlannedMail] = []
    already: list[PlannedMail] = []
    missing: list[PlannedMail] = []
    unsure: list[PlannedMail] = []
    for invoice_id in ids:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or not invoice.number:
            continue
        client = get_row(session, Client, invoice.client_id, "Client")
        mail = PlannedMail(invoice_id, invoice.number, display_name(client), invoice_email(client))
        if not mail.to:
            missing.append(mail)
        elif invoice_id in sent and not resend:
            already.append(mail)
        elif invoice_id in cut_off and not resend:
            unsure.append(mail)
        else:
            to_send.append(mail)
    return SendPlan(tuple(to_send), tuple(already), tuple(missing), tuple(unsure))


def month_documents(session: Session, period: str, *, failed_only: bool = False) -> list[int]:
    """What « Envoyer par e-mail » without a selection and ``documents send`` take for a
    month: the documents of the month's « e-mail » clients; with ``failed_only``
    (« Renvoyer les échecs », ``--retry``) those whose last sending failed."""
    ids = email_recipients(session, period)
    return failed_documents(session, ids) if failed_only else ids
