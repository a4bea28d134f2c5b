"""A quote's life after its draft: send (numbered then), revise into version n+1, accept
(into a draft contract or a planned job), refuse, expire. Every change of status goes
through :data:`WORKFLOW`; none of these functions commits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.money import ZERO
from app.numbering import attach_document, next_number
from app.quotes.contracting import contract_from_quote
from app.quotes.planning import plan_job
from app.quotes.quotes import apply_form, copy_contents, form_of, get_quote, trace
from app.workflow import Workflow
from models.quotes import Quote, QuoteKind, QuoteStatus

S = QuoteStatus
WORKFLOW = Workflow(
    "Devis",
    dict(S.LABELS),
    frozenset(
        {
            (S.DRAFT, S.SENT),
            (S.SENT, S.ACCEPTED),
            (S.SENT, S.REFUSED),
            (S.SENT, S.EXPIRED),
            (S.SENT, S.REVISED),
            (S.REFUSED, S.REVISED),
            (S.EXPIRED, S.REVISED),
        }
    ),
)
DEFAULT_REMINDER_DAYS = 10


def send_quote(
    session: Session,
    quote_id: int,
    sent_date: dt.date,
    *,
    reminder_days: int = DEFAULT_REMINDER_DAYS,
) -> Quote:
    """Send (issue) a quote. A first version takes its number now, dated the day it leaves;
    a revision keeps its predecessor's number with the next version index."""
    quote = get_quote(session, quote_id)
    WORKFLOW.check(quote.status, S.SENT)
    if not quote.lines:
        raise ValidationError("Lignes", "Un devis sans ligne ne peut pas être envoyé.")
    if quote.total_ht <= 0 and not any(li.total_ht for li in quote.lines):
        raise ValidationError("Lignes", "Le devis ne porte aucun montant.")
    if sent_date < quote.quote_date:
        raise ValidationError("Date d'envoi", "La date d'envoi précède la date du devis.")
    if quote.number is None:
        validity = (quote.validity_date - quote.quote_date).days
        quote.quote_date = sent_date
        quote.validity_date = sent_date + dt.timedelta(days=validity)
        number = next_number(session, "quote", sent_date, doc_type="quote", doc_id=quote.id)
        quote.number = number.text
        attach_document(session, number.text, quote.id)
    WORKFLOW.move(quote, S.SENT, ref=quote.reference)
    quote.sent_date = sent_date
    quote.next_reminder_date = sent_date + dt.timedelta(days=reminder_days)
    trace(session, quote, "send", f"Devis {quote.reference} envoyé")
    return quote


def revise_quote(session: Session, quote_id: int, revision_date: dt.date) -> Quote:
    """Create version n+1 (a draft) from a sent quote; the old version stays as it was sent."""
    old = get_quote(session, quote_id)
    WORKFLOW.check(old.status, S.REVISED)
    form = form_of(old, session)
    form.quote_date = max(revision_date, old.quote_date)
    form.validity_date = form.quote_date + (old.validity_date - old.quote_date)
    new = Quote(
        status=S.DRAFT,
        number=old.number,
        version=old.version + 1,
        previous_id=old.id,
        salesperson_id=old.salesperson_id,
        builder_snapshot=old.builder_snapshot,
    )
    apply_form(session, new, form)
    session.add(new)
    copy_contents(session, old, new)
    WORKFLOW.move(old, S.REVISED, ref=old.reference)
    old.next_reminder_date = None
    session.flush()
    trace(session, new, "revise", f"Devis {old.reference} révisé : version {new.version} créée")
    return new


def accept_quote(
    session: Session,
    quote_id: int,
    decision_date: dt.date,
    *,
    plan_date: dt.date | None = None,
    team: str = "",
    start_date: dt.date | None = None,
) -> Quote:
    """The client signed "Bon pour accord": a contract quote becomes a draft contract starting
    on ``start_date`` (default: the quote's, else the first of next month), a TC quote a
    job planned on ``plan_date`` (default: a week after the decision)."""
    quote = get_quote(session, quote_id)
    WORKFLOW.check(quote.status, S.ACCEPTED)
    _decide(quote, decision_date)
    if start_date is not None:
        quote.start_date = start_date
    WORKFLOW.move(quote, S.ACCEPTED, ref=quote.reference)
    quote.probability = Decimal(100)
    quote.next_reminder_date = None
    trace(session, quote, "accept", f"Devis {quote.reference} accepté")
    if quote.kind == QuoteKind.CONTRACT:
        quote.contract_id = contract_from_quote(session, quote)
    else:
        plan_job(
            session,
            quote.id,
            plan_date or decision_date + dt.timedelta(days=7),
            team=team,
            duration_hours=quote.duration_hours or Decimal(0),
        )
    return quote


def acceptance_default(
    session: Session, quote_id: int, decision_date: dt.date
) -> tuple[str, dt.date]:
    """The quote's kind and the date its acceptance asks for: a contract's start (the quote's
    start date, else the first of the month after the decision), a TC job's day (a week on)."""
    quote = get_quote(session, quote_id)
    WORKFLOW.check(quote.status, S.ACCEPTED)
    if quote.kind == QuoteKind.CONTRACT:
        first_next = (decision_date.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return quote.kind, quote.start_date or first_next
    return quote.kind, decision_date + dt.timedelta(days=7)


def _decide(quote: Quote, day: dt.date) -> None:
    if quote.sent_date and day < quote.sent_date:
        raise ValidationError("Date", "La date de décision précède l'envoi du devis.")
    quote.decision_date = day


def refuse_quote(
    session: Session, quote_id: int, decision_date: dt.date, reason: str = ""
) -> Quote:
    quote = get_quote(session, quote_id)
    WORKFLOW.check(quote.status, S.REFUSED)
    _decide(quote, decision_date)
    WORKFLOW.move(quote, S.REFUSED, ref=quote.reference)
    quote.refusal_reason = reason.strip()
    quote.probability = ZERO
    quote.next_reminder_date = None
    trace(
        session,
        quote,
        "refuse",
        f"Devis {quote.reference} refusé" + (f" : {reason.strip()}" if reason.strip() else ""),
    )
    return quote


def _expirable(today: dt.date) -> Select[Quote]:
    return select(Quote).where(Quote.status == S.SENT, Quote.validity_date < today)


def expirable_quotes(session: Session, today: dt.date) -> list[tuple[str, dt.date]]:
    """Reference and validity date of the sent quotes ``expire_quotes`` would close."""
    return [(q.reference, q.validity_date) for q in session.scalars(_expirable(today))]


def expire_quotes(session: Session, today: dt.date) -> list[Quote]:
    """Sent quotes whose validity date has passed become expired."""
    expired = list(session.scalars(_expirable(today)))
    for quote in expired:
        WORKFLOW.move(quote, S.EXPIRED, ref=quote.reference)
        quote.next_reminder_date = None
        trace(
            session,
            quote,
            "expire",
            f"Devis {quote.reference} expiré (validité au {quote.validity_date:%d/%m/%Y})",
        )
    return expired
