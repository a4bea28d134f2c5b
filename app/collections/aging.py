"""Aged balance (balance âgée): open invoice amounts by lateness, per client and in total.

Buckets by days past the due date on the reference day: not due (≤ 0), 1–30, 31–60, 61–90,
> 90. An invoice's open amount is its amount due less the active allocations of payments
(and write-offs); issued credit notes not yet allocated reduce the client's "not due"
column, so a row's total is what the client owes on its invoices.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.money import ZERO
from models.clients import Client
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.payments import Allocation

BUCKETS = ("not_due", "d1_30", "d31_60", "d61_90", "over_90")
BUCKET_LABELS = {
    "not_due": "Non échu",
    "d1_30": "1 à 30 j",
    "d31_60": "31 à 60 j",
    "d61_90": "61 à 90 j",
    "over_90": "Plus de 90 j",
}


@dataclass(frozen=True)
class OpenItem:
    """One open document of a client (amount signed: credit notes negative)."""

    client_id: int
    invoice_id: int
    number: str
    issue_date: dt.date
    due_date: dt.date | None
    amount: Decimal


@dataclass
class AgedRow:
    client_id: int | None
    client: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets["not_due"]


@dataclass(frozen=True)
class AgedBalance:
    on: dt.date
    rows: list[AgedRow]
    total: AgedRow


def days_late(due_date: dt.date | None, on: dt.date) -> int:
    return 0 if due_date is None else max((on - due_date).days, 0)


def bucket_of(days: int) -> str:
    if days <= 0:
        return "not_due"
    if days <= 30:
        return "d1_30"
    if days <= 60:
        return "d31_60"
    if days <= 90:
        return "d61_90"
    return "over_90"


def age(items: Iterable[OpenItem], names: dict[int, str], on: dt.date) -> AgedBalance:
    """Pure: spread the open items into buckets, one row per client (sorted by name)."""
    rows: dict[int, AgedRow] = {}
    total = AgedRow(None, "Total")
    for item in items:
        if item.amount == ZERO:
            continue
        row = rows.setdefault(
            item.client_id, AgedRow(item.client_id, names.get(item.client_id, ""))
        )
        key = "not_due" if item.amount < 0 else bucket_of(days_late(item.due_date, on))
        row.buckets[key] += item.amount
        total.buckets[key] += item.amount
    ordered = sorted(
        (r for r in rows.values() if r.total != ZERO or r.overdue != ZERO), key=lambda r: r.client
    )
    return AgedBalance(on, ordered, total)


def allocated_until(session: Session, invoice_ids: list[int], on: dt.date) -> dict[int, Decimal]:
    """Σ active allocations (amount + write-off) per invoice dated up to ``on``: the balance at
    a past date ignores the payments received after it."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for start in range(0, len(invoice_ids), 500):
        chunk = invoice_ids[start : start + 500]
        for invoice_id, amount, writeoff in session.execute(
            select(Allocation.invoice_id, Allocation.amount, Allocation.writeoff).where(
                Allocation.invoice_id.in_(chunk),
                Allocation.undone_at.is_(None),
                Allocation.date <= on,
            )
        ):
            totals[invoice_id] += amount + writeoff
    return totals


def open_items(session: Session, on: dt.date, client_id: int | None = None) -> list[OpenItem]:
    """Issued documents dated up to ``on`` whose amount is not fully allocated."""
    query = select(Invoice).where(
        Invoice.status.in_(InvoiceStatus.RECEIVABLE), Invoice.issue_date <= on
    )
    if client_id is not None:
        query = query.where(Invoice.client_id == client_id)
    invoices = list(session.scalars(query.order_by(Invoice.due_date, Invoice.id)))
    paid = allocated_until(session, [i.id for i in invoices], on)
    open_of = {inv.id: inv.amount_due - paid.get(inv.id, ZERO) for inv in invoices}
    # A credit note first settles the invoice it cites; only the rest is a credit on account.
    for inv in invoices:
        if inv.kind == InvoiceKind.CREDIT_NOTE and inv.origin_invoice_id in open_of:
            imputed = max(ZERO, min(open_of[inv.id], open_of[inv.origin_invoice_id]))
            open_of[inv.id] -= imputed
            open_of[inv.origin_invoice_id] -= imputed
    items = []
    for inv in invoices:
        open_amount = open_of[inv.id]
        if open_amount <= ZERO:
            continue
        sign = -1 if inv.kind == InvoiceKind.CREDIT_NOTE else 1
        items.append(
            OpenItem(
                inv.client_id,
                inv.id,
                inv.number or "",
                inv.issue_date,
                inv.due_date,
                sign * open_amount,
            )
        )
    return items


def aged_balance(session: Session, on: dt.date) -> AgedBalance:
    items = open_items(session, on)
    names: dict[int, str] = defaultdict(str)
    names.update(
        session.execute(
            select(Client.id, Client.name).where(Client.id.in_({i.client_id for i in items}))
        ).all()
    )
    return age(items, names, on)
