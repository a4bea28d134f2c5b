"""Read models for the Règlements tab: plain rows, never ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.money import ZERO
from app.receivables import open_items, payment_unallocated
from models.clients import Client
from models.invoices import Invoice
from models.payments import (
    Allocation,
    ChequeRemittanceLine,
    Payment,
    PaymentMeans,
    PaymentStatus,
)


@dataclass(frozen=True)
class PaymentRow:
    id: int
    number: str
    date: dt.date
    client_id: int
    client: str
    means: str
    means_label: str
    amount: Decimal
    allocated: Decimal
    unallocated: Decimal
    reference: str
    status: str
    status_label: str
    remitted: bool
    invoices: str


def list_payments(session: Session) -> list[PaymentRow]:
    remitted = set(session.scalars(select(ChequeRemittanceLine.payment_id)))
    numbers = dict(session.execute(select(Invoice.id, Invoice.number)).all())
    rows = []
    query = (
        select(Payment, Client.name)
        .join(Client, Client.id == Payment.client_id)
        .options(selectinload(Payment.allocations))
        .order_by(Payment.date.desc(), Payment.id.desc())
    )
    for p, name in session.execute(query).all():
        active = [a for a in p.allocations if a.undone_at is None]
        allocated = sum((a.amount for a in active), ZERO)
        reference = p.reference
        if p.means == PaymentMeans.CHEQUE:
            reference = f"Chq {p.cheque_number} {p.cheque_bank}".strip()
        rows.append(
            PaymentRow(
                p.id,
                p.number,
                p.date,
                p.client_id,
                name,
                p.means,
                PaymentMeans.LABELS.get(p.means, p.means),
                p.amount,
                allocated,
                payment_unallocated(p),
                reference,
                p.status,
                PaymentStatus.LABELS.get(p.status, p.status),
                p.id in remitted,
                ", ".join(numbers.get(a.invoice_id) or "?" for a in active),
            )
        )
    return rows


@dataclass(frozen=True)
class AllocationRow:
    id: int
    invoice_number: str
    invoice_date: dt.date
    amount: Decimal
    writeoff: Decimal
    letter: str
    active: bool
    state: str


def payment_allocations(session: Session, payment_id: int) -> list[AllocationRow]:
    rows = []
    for a, number, day in session.execute(
        select(Allocation, Invoice.number, Invoice.issue_date)
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .where(Allocation.payment_id == payment_id)
        .order_by(Allocation.id)
    ).all():
        state = "Active"
        if a.undone_at is not None:
            state = f"Annulée le {a.undone_at.astimezone():%d/%m/%Y} : {a.undo_reason}"
        rows.append(
            AllocationRow(
                a.id, number or "", day, a.amount, a.writeoff, a.letter, a.undone_at is None, state
            )
        )
    return rows


@dataclass(frozen=True)
class OpenInvoiceRow:
    invoice_id: int
    number: str
    issue_date: dt.date
    due_date: dt.date
    open_amount: Decimal


def open_invoices(session: Session, client_id: int) -> list[OpenInvoiceRow]:
    from app.payments.allocation_rules import oldest_first

    return [
        OpenInvoiceRow(i.invoice_id, i.number, i.issue_date, i.due_date, i.open_amount)
        for i in oldest_first(open_items(session, client_id))
    ]


def client_choices(session: Session) -> list[tuple[int, str]]:
    from app import choices

    return choices.clients(session)
