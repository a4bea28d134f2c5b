"""The payment rows of the client's account (app.ledger): payments, bank rejects and
settlement differences, and their set-based balance for the encours of many clients.

The encours itself is :func:`app.ledger.outstanding` (one rule): Σ issued invoices and
down-payment invoices − Σ issued credit notes − Σ active payments + overpayments taken as
gains − rounding differences written off. Positive: the client owes money; negative:
credit on the account.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.ledger import LedgerRow, LedgerSource
from app.money import ZERO
from models.invoices import Invoice
from models.payments import Allocation, Payment, PaymentMeans, PaymentStatus


def payment_ledger_rows(session: Session, client_id: int) -> list[LedgerRow]:
    """Payments (credit), bank rejects (debit back) and settlement differences of a client."""
    rows: list[LedgerRow] = []
    for p in session.scalars(
        select(Payment).where(Payment.client_id == client_id).order_by(Payment.date, Payment.id)
    ):
        allocations = [a for a in p.allocations if a.undone_at is None]
        letters = ", ".join(sorted({a.letter for a in allocations if a.letter}))
        invoices = allocated_numbers(session, allocations)
        label = f"Règlement {PaymentMeans.LABELS.get(p.means, p.means)}"
        if p.reference or p.cheque_number:
            label += f" {p.reference or p.cheque_number}"
        if invoices:
            label += f" — imputé sur {invoices}"
        if letters:
            label += f" (lettre {letters})"
        rows.append(LedgerRow(p.date, "payment", p.number, label, credit=p.amount))
        if p.status == PaymentStatus.REJECTED and p.rejected_on:
            rows.append(
                LedgerRow(
                    p.rejected_on,
                    "adjustment",
                    p.number,
                    f"Rejet / impayé : {p.reject_reason}",
                    debit=p.amount,
                )
            )
        writeoff = sum((a.writeoff for a in allocations), ZERO)
        if writeoff:
            rows.append(
                LedgerRow(
                    p.date, "adjustment", p.number, "Écart de règlement (perte)", credit=writeoff
                )
            )
        if p.excess_writeoff:
            rows.append(
                LedgerRow(
                    p.date,
                    "adjustment",
                    p.number,
                    "Écart de règlement (gain)",
                    debit=p.excess_writeoff,
                )
            )
    return rows


def payment_owed(session: Session, client_ids: Sequence[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Payments, rejects and settlement differences owe nothing of their own (LedgerRow.owed
    is zero on each): what is owed is read on the invoices."""
    return {}


def payment_balances(session: Session, client_ids: Sequence[int]) -> dict[int, Decimal]:
    """Σ debit − Σ credit of :func:`payment_ledger_rows` for each client, in two grouped
    queries: − every payment + the rejected ones (their reject row) + gains taken on
    overpayments − write-offs of the allocations not undone."""
    totals: dict[int, Decimal] = {}
    rejected = (Payment.status == PaymentStatus.REJECTED) & Payment.rejected_on.is_not(None)
    for client_id, is_rejected, amount, gains in session.execute(
        select(
            Payment.client_id,
            rejected,
            func.sum(Payment.amount),
            func.sum(Payment.excess_writeoff),
        )
        .where(Payment.client_id.in_(client_ids))
        .group_by(Payment.client_id, rejected)
    ):
        balance = gains if is_rejected else gains - amount
        totals[client_id] = totals.get(client_id, ZERO) + balance
    for client_id, writeoff in session.execute(
        select(Payment.client_id, func.sum(Allocation.writeoff))
        .join(Allocation, Allocation.payment_id == Payment.id)
        .where(Payment.client_id.in_(client_ids), Allocation.undone_at.is_(None))
        .group_by(Payment.client_id)
    ):
        totals[client_id] = totals.get(client_id, ZERO) - writeoff
    return totals


def allocated_numbers(session: Session, allocations: list[Allocation]) -> str:
    ids = [a.invoice_id for a in allocations]
    if not ids:
        return ""
    numbers = dict(
        session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids))).all()
    )
    return ", ".join(numbers.get(i) or "?" for i in ids)


# Registered at start-up by app.startup.install().
PAYMENT_ROWS = LedgerSource(payment_ledger_rows, payment_balances, payment_owed)
