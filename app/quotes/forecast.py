"""Pipeline of open quotes and billing forecast for the next 12 months.

Pipeline: open quotes (draft, sent) per status and month of the quote, with amounts
weighted by each quote's probability. Forecast: the contracts' billing plans
(``app.billing.plan``) plus accepted TC quotes not invoiced yet, per month and per
article family. The aggregation is pure; the queries only gather plain items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.billing.plan import add_months
from app.money import ZERO, round_money
from models.catalog import Article, ArticleFamily
from models.quotes import Quote, QuoteKind, QuoteStatus

NO_FAMILY = "Sans famille"
CONTRACTS, TC = "contract", "extra_work"


@dataclass(frozen=True)
class Item:
    month: dt.date  # first day of the month
    family: str
    source: str  # contract / extra_work
    amount: Decimal


@dataclass
class Forecast:
    months: list[dt.date]
    # family → amounts per month (same order as ``months``)
    by_family: dict[str, list[Decimal]] = field(default_factory=dict)
    by_source: dict[str, list[Decimal]] = field(default_factory=dict)

    @property
    def totals(self) -> list[Decimal]:
        return [
            sum((row[i] for row in self.by_family.values()), ZERO) for i in range(len(self.months))
        ]

    @property
    def grand_total(self) -> Decimal:
        return sum(self.totals, ZERO)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def aggregate(items: Iterable[Item], start: dt.date, months: int = 12) -> Forecast:
    """Sum items per family and per source over ``months`` months from ``start``'s month.
    Items before the window are counted in its first month (late, still to bill)."""
    window = [add_months(month_start(start), i) for i in range(months)]
    index = {m: i for i, m in enumerate(window)}
    result = Forecast(window)
    for item in items:
        m = max(month_start(item.month), window[0])
        if m not in index:
            continue
        for table, key in ((result.by_family, item.family), (result.by_source, item.source)):
            row = table.setdefault(key, [ZERO] * months)
            row[index[m]] += item.amount
    result.by_family = dict(sorted(result.by_family.items()))
    return result


@dataclass(frozen=True)
class PipelineCell:
    status: str
    month: dt.date
    count: int
    amount_ht: Decimal
    weighted_ht: Decimal


def pipeline(session: Session) -> list[PipelineCell]:
    """Open quotes grouped by status and month of the quote."""
    cells: dict[tuple[str, dt.date], list[Decimal]] = {}
    counts: dict[tuple[str, dt.date], int] = {}
    for q in session.scalars(select(Quote).where(Quote.status.in_(QuoteStatus.OPEN))):
        key = (q.status, month_start(q.quote_date))
        amounts = cells.setdefault(key, [ZERO, ZERO])
        amounts[0] += q.total_ht
        amounts[1] += round_money(q.total_ht * q.probability / 100)
        counts[key] = counts.get(key, 0) + 1
    return [
        PipelineCell(status, month, counts[(status, month)], a, w)
        for (status, month), (a, w) in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


def _families(session: Session) -> dict[int, str]:
    labels = dict(session.execute(select(ArticleFamily.id, ArticleFamily.label)).all())
    return {
        a_id: labels.get(f_id, NO_FAMILY) if f_id else NO_FAMILY
        for a_id, f_id in session.execute(select(Article.id, Article.family_id))
    }


def tc_items(session: Session, families: dict[int, str]) -> list[Item]:
    """Accepted TC quotes: what is not invoiced yet, in the month of their (last) job."""
    items = []
    quotes = session.scalars(
        select(Quote)
        .where(Quote.kind == QuoteKind.EXTRA_WORK, Quote.status == QuoteStatus.ACCEPTED)
        .options(selectinload(Quote.lines), selectinload(Quote.jobs))
    )
    for q in quotes:
        invoiced = sum((j.invoiced_percent for j in q.jobs), ZERO)
        remaining = (Decimal(100) - invoiced) / 100
        if remaining <= 0:
            continue
        when = max((j.planned_date for j in q.jobs), default=q.decision_date or q.quote_date)
        for line in q.lines:
            family = families.get(line.article_id or 0, NO_FAMILY)
            items.append(Item(when, family, TC, round_money(line.total_ht * remaining)))
    return items


def contract_items(
    session: Session, start: dt.date, months: int, families: dict[int, str]
) -> list[Item]:
    """What the contracts' billing plans still have to bill up to the window's end: periods
    due in the window, and earlier periods not (fully) billed yet, less the billing ledger."""
    from app.billing.contracts import contract_spec
    from app.billing.plan import billing_plan
    from models.billing import BillingLedger
    from models.contracts import Contract, ContractLine, ContractLineVersion, ContractStatus

    first = month_start(start)
    until = add_months(first, months) - dt.timedelta(days=1)
    article_of = dict(
        session.execute(select(ContractLineVersion.id, ContractLineVersion.article_id)).all()
    )
    billed: dict[tuple[int, dt.date], Decimal] = {}
    for line_id, period_start, amount in session.execute(
        select(BillingLedger.contract_line_id, BillingLedger.period_start, BillingLedger.amount)
    ):
        billed[(line_id, period_start)] = billed.get((line_id, period_start), ZERO) + amount
    contracts = session.scalars(
        select(Contract)
        .where(
            Contract.status.in_(
                (ContractStatus.ACTIVE, ContractStatus.SUSPENDED, ContractStatus.TERMINATED)
            )
        )
        .options(
            selectinload(Contract.lines).selectinload(ContractLine.versions),
            selectinload(Contract.suspensions),
        )
    )
    items = []
    for contract in contracts:
        for period in billing_plan(contract_spec(contract), until):
            remaining = period.amount - billed.get(period.key, ZERO)
            if period.due > until or not remaining:
                continue
            article_id = article_of.get(period.version.version_id or 0)
            family = families.get(article_id or 0, NO_FAMILY)
            items.append(Item(period.due, family, CONTRACTS, remaining))
    return items


def billing_forecast(session: Session, start: dt.date, months: int = 12) -> Forecast:
    families = _families(session)
    items = contract_items(session, start, months, families) + tc_items(session, families)
    return aggregate(items, start, months)
