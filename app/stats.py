"""Revenue statistics per year / month and article family.

Reads issued invoices and credit notes when the billing tables exist (credit notes count
negatively); until then the statistics are simply empty. Amounts are HT. Down-payment
invoices and their deduction lines are left out: the final invoice carries the whole
service under its families, so nothing is counted twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from app.money import ZERO

NO_FAMILY = "Sans famille"


@dataclass(frozen=True)
class RevenuePoint:
    year: int
    month: int
    family: str
    amount: Decimal  # HT, credit notes deducted


def _has_tables(session: Session, *names: str) -> bool:
    inspector = inspect(session.connection())
    return all(inspector.has_table(n) for n in names)


def revenue_points(
    session: Session, client_id: int | None = None, *, by_client: bool = False
) -> list[RevenuePoint]:
    """Issued revenue per (year, month, family); optionally for one client. With
    ``by_client`` the points are per (year, month, client) and ``family`` holds the client's
    name (same amounts, grouped the other way: the dashboard's turnover by client)."""
    if not _has_tables(session, "invoices", "invoice_lines"):
        return []
    group = "c.name" if by_client else "COALESCE(f.label, af.label)"
    sql = f"""
        SELECT i.issue_date AS d, i.kind AS kind, {group} AS family,
               l.total_ht AS cents
        FROM invoice_lines l
        JOIN invoices i ON i.id = l.invoice_id
        JOIN clients c ON c.id = i.client_id
        LEFT JOIN article_families f ON f.id = l.family_id
        LEFT JOIN articles a ON a.id = l.article_id
        LEFT JOIN article_families af ON af.id = a.family_id
        WHERE i.status = 'issued' AND i.kind <> 'down_payment'
          AND l.kind <> 'down_payment_deduction'
    """
    params: dict[str, int] = {}
    if client_id is not None:
        sql += " AND i.client_id = :client_id"
        params["client_id"] = client_id
    totals: dict[tuple[int, int, str], Decimal] = defaultdict(lambda: ZERO)
    for row in session.execute(text(sql), params):
        day = row.d if not isinstance(row.d, str) else _parse(row.d)
        amount = Decimal(int(row.cents or 0)).scaleb(-2)
        if row.kind == "credit_note":
            amount = -abs(amount)
        totals[(day.year, day.month, row.family or NO_FAMILY)] += amount
    return [
        RevenuePoint(y, m, f, a.quantize(Decimal("0.01")))
        for (y, m, f), a in sorted(totals.items())
    ]


def _parse(value: str) -> dt.date:
    return dt.date.fromisoformat(value[:10])


def by_year_and_family(points: list[RevenuePoint]) -> dict[int, dict[str, Decimal]]:
    """{year: {family: amount}} (pure)."""
    table: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for p in points:
        table[p.year][p.family] += p.amount
    return {y: dict(f) for y, f in sorted(table.items())}


def by_month(points: list[RevenuePoint], year: int) -> dict[int, dict[str, Decimal]]:
    """{month 1..12: {family: amount}} for one year (pure)."""
    table: dict[int, dict[str, Decimal]] = {m: {} for m in range(1, 13)}
    for p in points:
        if p.year == year:
            table[p.month][p.family] = table[p.month].get(p.family, ZERO) + p.amount
    return table


def years(points: list[RevenuePoint]) -> list[int]:
    return sorted({p.year for p in points})
