"""Invoicing a done or partly done TC job from its quote ("facturation ponctuelle avec
récupération de devis") through the billing engineer's ``create_draft_invoice``.

The draft invoice carries the quote's lines and cites the quote's number. A partial
invoice bills a share of every line (quantity = share, unit price = the line's total);
the closing invoice bills exactly what remains of each line, so the shares always add
up to the quote to the cent.

Down payments (issue E): after the draft is made, :func:`deduct_down_payments` hands the
invoice and the quote id to ``app.payments.down_payments.deduct_for_quote`` when the
payments module provides it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from decimal import Decimal

from sqlalchemy.orm import Session

from app import audit
from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.revenue import book_as_one_off
from app.errors import StateError, ValidationError
from app.money import ZERO, format_amount, line_total, round_money, round_quantity
from app.quotes.planning import get_job
from models.invoices import Invoice
from models.quotes import PlannedJob, Quote, QuoteLine

HUNDRED = Decimal(100)


def _steps(job: PlannedJob) -> list[Decimal]:
    return [Decimal(s) for s in json.loads(job.invoiced_steps or "[]")]


def already_invoiced(line: QuoteLine, steps: list[Decimal]) -> Decimal:
    """What earlier partial invoices billed of one line (same rounding as they did)."""
    return sum((line_total(step, line.total_ht) for step in steps), ZERO)


def draft_lines(
    quote: Quote, share: Decimal, steps: list[Decimal], closing: bool
) -> list[DraftLine]:
    """Invoice lines for ``share`` (0 < share ≤ 1) of the quote."""
    reference = quote.reference
    if share == 1 and not steps:
        return [
            DraftLine(
                description=line.label,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                article_id=line.article_id,
                vat_rate_id=line.vat_rate_id,
                unit=line.unit,
            )
            for line in quote.lines
        ]
    percent = f"{(share * HUNDRED).normalize():f}"
    result = []
    for line in quote.lines:
        if closing:
            remaining = line.total_ht - already_invoiced(line, steps)
            result.append(
                DraftLine(
                    description=f"{line.label} — solde selon devis {reference}",
                    quantity=Decimal(1),
                    unit_price=remaining,
                    article_id=line.article_id,
                    vat_rate_id=line.vat_rate_id,
                    unit="forfait",
                )
            )
        else:
            result.append(
                DraftLine(
                    description=f"{line.label} — avancement {percent} % du devis {reference}",
                    quantity=share,
                    unit_price=line.total_ht,
                    article_id=line.article_id,
                    vat_rate_id=line.vat_rate_id,
                    unit="forfait",
                )
            )
    return result


def invoice_job(session: Session, job_id: int, issue_date: dt.date) -> Invoice:
    """Make the draft invoice of what was done on a job and is not invoiced yet."""
    job = get_job(session, job_id)
    quote = job.quote
    share_percent = job.progress_percent - job.invoiced_percent
    if share_percent <= 0:
        raise StateError(
            "Rien à facturer : l'avancement ({progress} %) est déjà facturé.",
            progress=f"{job.progress_percent.normalize():f}",
        )
    share = round_quantity(share_percent / HUNDRED)
    if share * HUNDRED != share_percent:
        raise ValidationError(
            "Avancement (%)", "Pour facturer, l'avancement doit avoir au plus une décimale."
        )
    others = sum((j.invoiced_percent for j in quote.jobs if j.id != job.id), ZERO)
    if others + job.progress_percent > HUNDRED:
        raise StateError("Ce devis serait facturé au-delà de 100 % avec ses autres interventions.")
    steps = _steps(job)
    closing = job.progress_percent == HUNDRED
    done = job.done_date or issue_date
    end = done if closing else issue_date
    invoice = create_draft_invoice(
        session,
        quote.client_id,
        draft_lines(quote, share, steps, closing),
        issue_date=issue_date,
        site_id=quote.site_id,
        title=f"Travaux selon devis n° {quote.reference}"
        + (f" : {quote.title}" if quote.title else ""),
        notes=f"Facture établie d'après notre devis n° {quote.reference} du "
        f"{quote.quote_date:%d/%m/%Y}, accepté le "
        f"{(quote.decision_date or quote.quote_date):%d/%m/%Y}.",
        # Done (or invoiced) before the planned day: the service ran until then, so the
        # period starts no later than it ends (BT-73 ≤ BT-74).
        period_start=min(job.planned_date, end),
        period_end=end,
    )
    book_as_one_off(session, invoice)
    job.invoiced_steps = json.dumps([str(s) for s in [*steps, share]])
    job.invoiced_percent = job.progress_percent
    job.invoice_id = invoice.id
    audit.record(
        session,
        "planned_job",
        job.id,
        "invoice",
        f"Devis {quote.reference} facturé à {job.progress_percent.normalize():f} % "
        f"(facture provisoire {format_amount(round_money(invoice.total_ht))} HT)",
        client_id=quote.client_id,
    )
    deduct_down_payments(session, invoice, quote)
    return invoice


def deduct_down_payments(session: Session, invoice: Invoice, quote: Quote) -> None:
    """Hook for issue E: deduct the quote's down-payment invoices from this invoice."""
    try:
        module = importlib.import_module("app.payments.down_payments")
    except ModuleNotFoundError:
        return
    deduct = getattr(module, "deduct_for_quote", None)
    if deduct is not None:
        deduct(session, invoice, quote.id)
