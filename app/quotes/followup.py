"""Quote follow-up: the list of quotes to remind today, the reminder text (e-mail or
letter) and recording that the client was reminded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.company import get_company
from app.errors import StateError
from app.lookup import get_row
from app.money import format_amount, round_money
from app.quotes.quotes import get_quote, trace
from app.quotes.transitions import DEFAULT_REMINDER_DAYS
from models.clients import Client, Contact, Site
from models.quotes import Quote, QuoteKind, QuoteStatus


@dataclass(frozen=True)
class QuoteRow:
    id: int
    reference: str
    version: int
    kind: str
    kind_label: str
    client_id: int
    client: str
    site: str
    title: str
    quote_date: dt.date
    validity_date: dt.date
    status: str
    status_label: str
    total_ht: Decimal
    total_ttc: Decimal
    probability: Decimal
    next_reminder_date: dt.date | None
    reminder_count: int
    sent_date: dt.date | None

    @property
    def weighted_ht(self) -> Decimal:

        return round_money(self.total_ht * self.probability / 100)


def quote_rows(session: Session, *, include_revised: bool = False) -> list[QuoteRow]:
    query = select(Quote).order_by(Quote.id.desc())
    if not include_revised:
        query = query.where(Quote.status != QuoteStatus.REVISED)
    clients = dict(session.execute(select(Client.id, Client.name)).all())
    sites = dict(session.execute(select(Site.id, Site.name)).all())
    return [
        QuoteRow(
            id=q.id,
            reference=q.reference,
            version=q.version,
            kind=q.kind,
            kind_label="TC" if q.kind == QuoteKind.EXTRA_WORK else "Contrat",
            client_id=q.client_id,
            client=clients.get(q.client_id, ""),
            site=sites.get(q.site_id or 0, ""),
            title=q.title,
            quote_date=q.quote_date,
            validity_date=q.validity_date,
            status=q.status,
            status_label=QuoteStatus.LABELS[q.status],
            total_ht=q.total_ht,
            total_ttc=q.total_ttc,
            probability=q.probability,
            next_reminder_date=q.next_reminder_date,
            reminder_count=q.reminder_count,
            sent_date=q.sent_date,
        )
        for q in session.scalars(query)
    ]


def reminders_due(session: Session, today: dt.date) -> list[QuoteRow]:
    """Sent quotes whose reminder date has come and that are still valid."""
    return [
        r
        for r in quote_rows(session)
        if r.status == QuoteStatus.SENT
        and r.next_reminder_date is not None
        and r.next_reminder_date <= today
        and r.validity_date >= today
    ]


@dataclass(frozen=True)
class Reminder:
    to: str
    subject: str
    body: str


def reminder_text(session: Session, quote_id: int, today: dt.date) -> Reminder:
    """The reminder e-mail (also printable as a letter) for one sent quote."""
    quote = get_quote(session, quote_id)
    client = get_row(session, Client, quote.client_id, "Client")
    company = get_company(session)
    contact = session.scalar(
        select(Contact).where(Contact.client_id == client.id).order_by(Contact.id).limit(1)
    )
    to = (contact.email if contact and contact.email else "") or client.email
    greeting = f"Bonjour {contact.name}," if contact else "Madame, Monsieur,"
    subject = f"Relance : notre devis n° {quote.reference}" + (
        f" — {quote.title}" if quote.title else ""
    )
    body = "\n".join(
        [
            greeting,
            "",
            f"Le {quote.sent_date or quote.quote_date:%d/%m/%Y}, nous vous avons adressé notre "
            f"devis n° {quote.reference} d'un montant de {format_amount(quote.total_ttc)} TTC "
            f"({format_amount(quote.total_ht)} HT).",
            f"Il reste valable jusqu'au {quote.validity_date:%d/%m/%Y}.",
            "Pour l'accepter, il suffit de nous le retourner daté et signé avec la mention "
            "« Bon pour accord ».",
            "Nous restons à votre disposition pour toute question ou adaptation.",
            "",
            "Cordialement,",
            company.name if company else "",
        ]
    )
    return Reminder(to=to, subject=subject, body=body)


def record_reminder(
    session: Session,
    quote_id: int,
    day: dt.date,
    *,
    next_in_days: int = DEFAULT_REMINDER_DAYS,
    means: str = "",
) -> Quote:
    quote = get_quote(session, quote_id)
    if quote.status != QuoteStatus.SENT:
        raise StateError("Seul un devis envoyé, en attente de réponse, se relance.")
    quote.reminder_count += 1
    quote.last_reminder_date = day
    nxt = day + dt.timedelta(days=next_in_days)
    quote.next_reminder_date = nxt if nxt <= quote.validity_date else None
    summary = f"Relance n° {quote.reminder_count} du devis {quote.reference}" + (
        f" ({means})" if means else ""
    )
    trace(session, quote, "remind", summary)
    return quote
