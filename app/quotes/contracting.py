"""Acceptance of a contract quote: a draft maintenance contract made from it through the
billing engineer's contract use case (lines, prices, sites). No contract row is written here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from app.billing.contracts import ContractForm, LineForm, create_contract
from app.errors import ValidationError
from app.money import format_amount, line_total, round_unit_price
from models.quotes import Quote, QuoteLine, QuoteLineKind

DEFAULT_FREQUENCY = "monthly"


def contract_from_quote(session: Session, quote: Quote) -> int:
    """Create the draft contract of an accepted contract quote; returns its id."""
    start = quote.start_date or _first_of_next_month(quote.decision_date or quote.quote_date)
    lines = [
        _contract_line(line, quote.site_id)
        for line in quote.lines
        if line.kind != QuoteLineKind.TRAVEL or line.total_ht
    ]
    if not lines:
        raise ValidationError("Lignes", "Le devis accepté n'a aucune ligne à reprendre au contrat.")
    end = None
    if quote.contract_months:
        from app.billing.plan import add_months

        end = add_months(start, quote.contract_months) - dt.timedelta(days=1)
    form = ContractForm(
        client_id=quote.client_id,
        start_date=start,
        title=quote.title or f"Contrat issu du devis {quote.reference}",
        site_id=quote.site_id,
        reference=quote.reference,
        end_date=end,
        notes=f"Issu du devis {quote.reference} accepté le "
        f"{(quote.decision_date or quote.quote_date):%d/%m/%Y}.",
    )
    contract = create_contract(session, form, lines, today=quote.decision_date or quote.quote_date)
    return contract.id


def _contract_line(line: QuoteLine, site_id: int | None) -> LineForm:
    """The contract line billing what the quote line was accepted at, discount deducted
    (a contract line has no discount: its unit price is the net one). When the net price
    per unit is not exact, the line is billed as one lump sum of its net total."""
    quantity, unit_price, description = line.quantity, line.unit_price, line.label
    if line.discount:
        net = round_unit_price(line.total_ht / quantity) if quantity else Decimal(0)
        if quantity and line_total(quantity, net) == line.total_ht:
            unit_price = net
        else:
            quantity, unit_price = Decimal(1), line.total_ht
        description = f"{line.label} (remise de {format_amount(line.discount)} déduite)"
    return LineForm(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        frequency=line.billing_frequency or DEFAULT_FREQUENCY,
        article_id=line.article_id,
        site_id=site_id,
    )


def _first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
