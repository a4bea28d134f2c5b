"""E-mailing a quote (with its PDF) to the client, or a reminder for a sent quote, through
the firm's SMTP settings (:mod:`app.documents.smtp_settings`).

Call with a read session: the PDF is rendered and the mail sent outside any write
transaction; the sending log (and, for a reminder, the reminder itself) is written
afterwards in a short unit of work — a failed e-mail is logged but not counted as a reminder.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app.addressing import display_name
from app.company import get_company
from app.documents.build import invoice_email
from app.documents.mailer import Outcome, Outgoing, deliver, log_outcomes
from app.documents.smtp_settings import config_from
from app.errors import StateError
from app.lookup import get_row
from app.money import format_amount
from app.progress import NO_PROGRESS, Progress
from app.quotes.documents import quote_pdf
from app.quotes.followup import record_reminder, reminder_text
from app.quotes.quotes import get_quote
from models.clients import Client
from models.quotes import QuoteStatus


def quote_mail(session: Session, quote_id: int) -> tuple[str, str]:
    """Subject and body of the e-mail carrying a quote."""
    quote = get_quote(session, quote_id)
    company = get_company(session)
    subject = f"Notre devis n° {quote.reference}" + (f" — {quote.title}" if quote.title else "")
    body = "\n".join(
        [
            "Madame, Monsieur,",
            "",
            f"Veuillez trouver ci-joint notre devis n° {quote.reference} d'un montant de "
            f"{format_amount(quote.total_ttc)} TTC, valable jusqu'au "
            f"{quote.validity_date:%d/%m/%Y}.",
            "Pour l'accepter, retournez-le daté et signé avec la mention « Bon pour accord ».",
            "",
            "Cordialement,",
            company.name,
            company.phone,
        ]
    )
    return subject, body


def email_quote(
    session: Session,
    quote_id: int,
    day: dt.date,
    progress: Progress = NO_PROGRESS,
    *,
    reminder: bool = False,
    override: str | None = None,
    retry_delay: float = 1.0,
) -> Outcome:
    quote = get_quote(session, quote_id)
    if quote.status != QuoteStatus.SENT:
        raise StateError("Seul un devis envoyé, en attente de réponse, s'envoie ou se relance.")
    client = get_row(session, Client, quote.client_id, "Client")
    config = config_from(session, override)
    if reminder:
        text = reminder_text(session, quote_id, day)
        to, subject, body = text.to or invoice_email(client), text.subject, text.body
    else:
        to = invoice_email(client)
        subject, body = quote_mail(session, quote_id)
    reference = quote.reference
    progress.step(0, 2, f"Devis {reference} : préparation du PDF")
    item = Outgoing(
        to=to,
        to_name=display_name(client),
        subject=subject,
        body=body,
        attachments=[(f"Devis {reference}.pdf", quote_pdf(session, quote_id))],
        client_id=client.id,
        number=reference,
        doc_type="quote",
        error="" if to else "aucune adresse e-mail pour ce client",
    )
    session.rollback()  # end the read transaction before talking to the server
    [outcome] = deliver(config, [item], progress, retry_delay=retry_delay)
    with session.info["database"].write() as write:
        log_outcomes(write, [outcome])
        if reminder and outcome.ok:
            record_reminder(write, quote_id, day)
    return outcome
