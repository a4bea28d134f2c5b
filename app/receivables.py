"""Receivables: what each issued invoice still owes, below billing and payments.

The amounts that settle an invoice, in one place: the payments allocated to it (with their
accepted rounding differences), the issued credit notes citing it (a credit note settles the
invoice it corrects before any payment), and from both its open amount and the open items of
a client. Billing (the client account rows, the invoice list), payments (entry, allocation)
and e-invoicing read them here; this module imports only the models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.money import ZERO
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.payments import Allocation, Payment, PaymentStatus


@dataclass(frozen=True)
class OpenItem:
    """An issued invoice (or down-payment invoice) with money still owed on it."""

    invoice_id: int
    number: str
    issue_date: dt.date
    due_date: dt.date
    open_amount: Decimal


def credited_by_invoice(
    session: Session, invoice_ids: list[int], *, on: dt.date | None = None
) -> dict[int, Decimal]:
    """TTC of the issued credit notes citing each invoice (up to ``on``): what the client no
    longer owes on it. A credit note settles the invoice it corrects before any payment."""
    if not invoice_ids:
        return {}
    query = select(Invoice.origin_invoice_id, Invoice.total_ttc).where(
        Invoice.kind == InvoiceKind.CREDIT_NOTE,
        Invoice.status == InvoiceStatus.ISSUED,
        Invoice.origin_invoice_id.in_(invoice_ids),
    )
    if on is not None:
        query = query.where(Invoice.issue_date <= on)
    totals: dict[int, Decimal] = {}
    for origin_id, amount in session.execute(query):
        if origin_id is not None:  # always set: the query selects on it
            totals[origin_id] = totals.get(origin_id, ZERO) + amount
    return totals


def allocated_by_invoice(session: Session, invoice_ids: list[int]) -> dict[int, Decimal]:
    """Σ active (amount + writeoff) per invoice."""
    if not invoice_ids:
        return {}
    rows = session.execute(
        select(Allocation.invoice_id, Allocation.amount, Allocation.writeoff).where(
            Allocation.invoice_id.in_(invoice_ids), Allocation.undone_at.is_(None)
        )
    ).all()
    totals: dict[int, Decimal] = {}
    for invoice_id, amount, writeoff in rows:
        totals[invoice_id] = totals.get(invoice_id, ZERO) + amount + writeoff
    return totals


def allocated_for_clients(session: Session, client_ids: Sequence[int]) -> dict[int, Decimal]:
    """:func:`allocated_by_invoice` of every invoice of these clients, in one query."""
    rows = session.execute(
        select(Allocation.invoice_id, Allocation.amount, Allocation.writeoff)
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .where(Invoice.client_id.in_(client_ids), Allocation.undone_at.is_(None))
    ).all()
    totals: dict[int, Decimal] = {}
    for invoice_id, amount, writeoff in rows:
        totals[invoice_id] = totals.get(invoice_id, ZERO) + amount + writeoff
    return totals


def open_amount(session: Session, invoice: Invoice) -> Decimal:
    """What the client still owes: amount due less payments and less credit notes citing it."""
    ids = [invoice.id]
    return (
        invoice.amount_due
        - allocated_by_invoice(session, ids).get(invoice.id, ZERO)
        - credited_by_invoice(session, ids).get(invoice.id, ZERO)
    )


def open_items(session: Session, client_id: int) -> list[OpenItem]:
    """Issued invoices and down-payment invoices of the client with money still owed."""
    invoices = list(
        session.scalars(
            select(Invoice).where(
                Invoice.client_id == client_id,
                Invoice.status.in_(InvoiceStatus.RECEIVABLE),
                Invoice.kind.in_((InvoiceKind.INVOICE, InvoiceKind.DOWN_PAYMENT)),
            )
        )
    )
    ids = [i.id for i in invoices]
    done = allocated_by_invoice(session, ids)
    credited = credited_by_invoice(session, ids)
    items = []
    for inv in invoices:
        left = inv.amount_due - done.get(inv.id, ZERO) - credited.get(inv.id, ZERO)
        if left > ZERO:
            items.append(
                OpenItem(
                    inv.id, inv.number or "", inv.issue_date, inv.due_date or inv.issue_date, left
                )
            )
    return items


def payment_allocated(payment: Payment) -> Decimal:
    return sum((a.amount for a in payment.allocations if a.undone_at is None), ZERO)


def payment_unallocated(payment: Payment) -> Decimal:
    """Credit left on the account by this payment (0 for a rejected payment)."""
    if payment.status != PaymentStatus.ACTIVE:
        return ZERO
    return payment.amount - payment_allocated(payment) - payment.excess_writeoff
