"""Allocation use cases (lettrage): allocate a payment, undo an allocation, matching letters.

The pure rules (oldest first, partial, tolerance) are in :mod:`app.payments.allocation_rules`.
When an invoice becomes fully settled, its active allocations receive the client's next
matching letter (A, B, …, Z, AA, …): the FEC prints it in EcritureLet on the invoice's
411 line and on each payment's 411 line, with DateLet the date of the settling allocation.
Undoing an allocation never deletes it: it is stamped undone (who, when, why) and the
invoice's letter is withdrawn, so the invoice is open again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFoundError, StateError, ValidationError
from app.lookup import get_row
from app.money import ZERO, format_amount
from app.payments.allocation_rules import AllocationLine, check_allocation
from app.receivables import credited_by_invoice, open_items, payment_allocated
from app.users import require
from models.base import utcnow
from models.invoices import Invoice
from models.payments import Allocation, Payment, PaymentStatus


def letter_code(n: int) -> str:
    """1 → A, 26 → Z, 27 → AA (spreadsheet-style column letters)."""
    if n < 1:
        raise ValueError(n)
    text = ""
    while n:
        n, rest = divmod(n - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def _next_letter(session: Session, client_id: int) -> str:
    used = set(
        session.scalars(
            select(Allocation.letter)
            .join(Payment, Payment.id == Allocation.payment_id)
            .where(Payment.client_id == client_id, Allocation.letter != "")
        )
    )
    n = 1
    while letter_code(n) in used:
        n += 1
    return letter_code(n)


def _refresh_letter(session: Session, invoice: Invoice) -> None:
    """Give a settled invoice's allocations a common letter; withdraw it when reopened."""
    session.flush()
    allocations = list(
        session.scalars(select(Allocation).where(Allocation.invoice_id == invoice.id))
    )
    active = [a for a in allocations if a.undone_at is None]
    credited = credited_by_invoice(session, [invoice.id]).get(invoice.id, ZERO)
    settled = sum((a.amount + a.writeoff for a in active), credited) >= invoice.amount_due
    current = next((a.letter for a in active if a.letter), "")
    if settled and active:
        letter = current or _next_letter(session, invoice.client_id)
        for a in active:
            a.letter = letter
    for a in allocations:
        if a.undone_at is not None or not settled:
            a.letter = ""


def apply_lines(session: Session, payment: Payment, lines: list[AllocationLine]) -> None:
    """Write allocation rows for ``payment`` after checking them against the open invoices."""
    if payment.status != PaymentStatus.ACTIVE:
        raise StateError(
            "Le règlement {number} est rejeté : il ne peut être imputé.", number=payment.number
        )
    lines = [line for line in lines if line.amount > ZERO or line.writeoff > ZERO]
    items = open_items(session, payment.client_id)
    check_allocation(
        payment.amount - payment.excess_writeoff, payment_allocated(payment), items, lines
    )
    numbers = {i.invoice_id: i.number for i in items}
    for line in lines:
        allocation = Allocation(
            invoice_id=line.invoice_id,
            date=payment.date,
            amount=line.amount,
            writeoff=line.writeoff,
            created_by_id=audit.current_user_id(session),
        )
        payment.allocations.append(allocation)
        session.flush()
        summary = (
            f"{payment.number} imputé sur {numbers[line.invoice_id]} : {format_amount(line.amount)}"
        )
        if line.writeoff:
            summary += f" (écart de règlement passé en perte : {format_amount(line.writeoff)})"
        audit.record(
            session, "allocation", allocation.id, "create", summary, client_id=payment.client_id
        )
        invoice = get_row(session, Invoice, line.invoice_id, "Facture")
        _refresh_letter(session, invoice)


def allocate(session: Session, payment_id: int, lines: list[AllocationLine]) -> Payment:
    """Allocate (more of) an existing payment's credit to open invoices."""
    require(session, "payments")
    payment = get_row(session, Payment, payment_id, "Règlement")
    if not lines:
        raise ValidationError("Montant imputé", "Indiquez au moins une facture à régler.")
    apply_lines(session, payment, lines)
    session.flush()
    return payment


def undo_allocation(
    session: Session, allocation_id: int, reason: str, *, on: dt.datetime | None = None
) -> Allocation:
    """Cancel one allocation (not the payment): the money goes back to unallocated credit."""
    require(session, "payments")
    allocation = session.get(Allocation, allocation_id)
    if allocation is None:
        raise NotFoundError("Imputation introuvable (n° interne {id}).", id=allocation_id)
    if allocation.undone_at is not None:
        raise StateError("Cette imputation a déjà été annulée.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Motif", "Indiquez le motif de l'annulation de l'imputation.")
    allocation.undone_at = on or utcnow()
    allocation.undone_by_id = audit.current_user_id(session)
    allocation.undo_reason = reason[:200]
    invoice = get_row(session, Invoice, allocation.invoice_id, "Facture")
    _refresh_letter(session, invoice)
    payment = allocation.payment
    audit.record(
        session,
        "allocation",
        allocation.id,
        "undo",
        f"Imputation de {payment.number} sur {invoice.number} annulée "
        f"({format_amount(allocation.amount)}) : {reason}",
        client_id=payment.client_id,
    )
    session.flush()
    return allocation
