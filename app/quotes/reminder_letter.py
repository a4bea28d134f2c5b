"""The printable reminder letter of a sent quote (« Relance de devis »), and recording it.

Rendering is a read (nothing is counted until the user has the letter); once the letter
is saved for printing, :func:`record_letter_reminder` counts the reminder and writes it in
the client's history, exactly like a reminder e-mail that went out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.addressing import billing_address_lines
from app.company import get_company
from app.errors import StateError
from app.lookup import get_row
from app.quotes.followup import record_reminder
from app.quotes.quotes import get_quote
from models.clients import Client, Contact, Site
from models.quotes import Quote, QuoteStatus
from reports.quote_reminder import (
    QuoteReminderLetter,
    render_quote_reminder_docx,
    render_quote_reminder_pdf,
)

LETTER_MEANS = "lettre"


def _require_sent(quote: Quote) -> None:
    if quote.status != QuoteStatus.SENT:
        raise StateError(
            "Le devis {ref} n'est pas en attente de réponse : il ne se relance pas.",
            ref=quote.reference,
        )


def reminder_letter(session: Session, quote_id: int, day: dt.date) -> QuoteReminderLetter:
    """The letter's plain values for one sent quote, addressed like its invoices would be."""
    quote = get_quote(session, quote_id)
    _require_sent(quote)
    if quote.validity_date < day:
        raise StateError(
            "Le devis {ref} n'est plus valable depuis le {date} : une lettre de relance "
            "ne peut pas l'annoncer valable. Révisez-le (nouvelle version) ou classez-le.",
            ref=quote.reference,
            date=f"{quote.validity_date:%d/%m/%Y}",
        )
    client = get_row(session, Client, quote.client_id, "Client")
    company = get_company(session)
    lines = billing_address_lines(client)
    contact = session.scalar(
        select(Contact).where(Contact.client_id == client.id).order_by(Contact.id).limit(1)
    )
    if contact is not None and contact.name:
        lines.insert(1, f"À l'attention de {contact.name}")
    site = session.get(Site, quote.site_id) if quote.site_id else None
    return QuoteReminderLetter(
        reference=quote.reference,
        title=quote.title,
        sent_date=quote.sent_date or quote.quote_date,
        validity_date=quote.validity_date,
        total_ht=quote.total_ht,
        total_ttc=quote.total_ttc,
        recipient_lines=tuple(lines),
        on=day,
        site=site.name if site else "",
        phone=company.phone if company else "",
        signature="Le service commercial",
    )


def reminder_letter_pdf(session: Session, quote_id: int, day: dt.date) -> bytes:
    from app.documents.printing import letterhead

    return render_quote_reminder_pdf(letterhead(session), reminder_letter(session, quote_id, day))


def reminder_letter_docx(session: Session, quote_id: int, day: dt.date) -> bytes:
    from app.documents.printing import letterhead

    return render_quote_reminder_docx(letterhead(session), reminder_letter(session, quote_id, day))


def record_letter_reminder(session: Session, quote_id: int, day: dt.date) -> Quote:
    """Count the printed letter as a reminder (next reminder date, client history)."""
    return record_reminder(session, quote_id, day, means=LETTER_MEANS)
