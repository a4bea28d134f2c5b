"""Pricing a quote with the cost builder: the site's cadencier and the cost grid in force
at the quote date in, the selling price on the quote's builder line and the whole
computation kept with the quote (JSON snapshot) out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.money import ZERO, format_amount, line_total, round_unit_price
from app.quotes import builder
from app.quotes.quotes import DEFAULT_VAT, get_quote, require_draft, trace, update_totals, vat_rates
from models.quotes import QuoteKind, QuoteLine, QuoteLineKind

BUILDER_LINE_LABEL = "Prestation de nettoyage selon cadencier"


def apply_builder(
    session: Session, quote_id: int, data: builder.BuilderInput, *, label: str = ""
) -> builder.BuilderResult:
    """Price a draft quote with the cost builder: keep the computation with the quote and
    put the selling price on the quote's builder line (created when missing)."""
    quote = get_quote(session, quote_id)
    require_draft(quote)
    result = builder.compute(data)
    quote.builder_snapshot = builder.snapshot(data, result)
    contract = quote.kind == QuoteKind.CONTRACT
    label = label or (BUILDER_LINE_LABEL if contract else quote.title or "Travaux selon descriptif")
    line = next((li for li in quote.lines if li.description == "builder"), None)
    if line is None:
        rate = vat_rates(session)[DEFAULT_VAT]
        line = QuoteLine(kind=QuoteLineKind.SERVICE, vat_rate_id=rate.id, description="builder")
        quote.lines.insert(0, line)
        for position, li in enumerate(quote.lines):
            li.position = position
    line.label = label[:200]
    line.quantity = Decimal("1.000")
    line.unit = "mois" if contract else "forfait"
    line.unit_price = round_unit_price(result.selling_price)
    line.discount = ZERO
    line.total_ht = line_total(line.quantity, line.unit_price)
    if contract:
        line.billing_frequency = line.billing_frequency or "monthly"
    if quote.duration_hours is None:
        quote.duration_hours = result.hours if not contract else None
    update_totals(session, quote)
    summary = (
        f"Chiffrage : prix de revient {format_amount(result.cost_price)}, prix de vente "
        f"{format_amount(result.selling_price)}, marge {result.margin_percent} %"
    )
    trace(session, quote, "price", summary)
    return result


def builder_input_for_site(
    session: Session,
    site_id: int,
    day: dt.date,
    *,
    one_off: bool = False,
    products: Decimal = ZERO,
    equipment: Decimal = ZERO,
    overheads_percent: Decimal = ZERO,
    margin_percent: Decimal | None = None,
    target_price: Decimal | None = None,
) -> builder.BuilderInput:
    """Builder inputs from the site's cadencier and the cost grid in force on ``day``."""
    from app.costs import hourly_cost
    from models.costs import Qualification
    from models.schedules import TaskSchedule

    rows = list(
        session.scalars(
            select(TaskSchedule)
            .where(TaskSchedule.site_id == site_id, TaskSchedule.active)
            .order_by(TaskSchedule.position, TaskSchedule.id)
        )
    )
    codes = {q.id: q.code for q in session.scalars(select(Qualification))}
    tasks = [
        builder.TaskLine(
            task=r.task,
            qualification=codes.get(r.qualification_id or 0, "AS1"),
            frequency=r.frequency,
            period=r.period,
            minutes_per_pass=r.minutes_per_pass,
            surface_m2=r.surface_m2,
            productivity_m2_h=r.productivity_m2_h,
            zone=r.zone,
        )
        for r in rows
    ]
    costs = {code: hourly_cost(session, code, day) for code in {t.qualification for t in tasks}}
    return builder.BuilderInput(
        tasks=tasks,
        hourly_costs=costs,
        products=products,
        equipment=equipment,
        overheads_percent=overheads_percent,
        margin_percent=margin_percent,
        target_price=target_price,
        one_off=one_off,
    )


def hourly_costs(session: Session, codes: list[str], day: dt.date) -> dict[str, Decimal]:
    """Loaded hourly cost of each qualification on ``day``; codes without a grid line at
    that date are left out (the builder then names them)."""
    from app.costs import hourly_cost

    costs = {}
    for code in codes:
        try:
            costs[code] = hourly_cost(session, code, day)
        except NotFoundError:
            continue
    return costs
