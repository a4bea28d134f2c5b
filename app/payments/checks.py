"""``propreo check`` controls of the payments: nothing allocated beyond what was received
or owed, remittance slips agreeing with their cheques, SEPA batches with their lines."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.check import register_check
from app.money import ZERO
from models.invoices import Invoice
from models.payments import (
    Allocation,
    ChequeRemittance,
    Payment,
    PaymentStatus,
    SepaBatch,
)


@register_check("Règlements")
def check_payments(session: Session) -> list[str]:
    problems: list[str] = []
    per_invoice: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for p in session.scalars(select(Payment).options(selectinload(Payment.allocations))):
        active = [a for a in p.allocations if a.undone_at is None]
        if p.status == PaymentStatus.REJECTED and active:
            problems.append(f"{p.number} : règlement rejeté encore imputé")
        allocated = sum((a.amount for a in active), ZERO)
        if allocated + p.excess_writeoff > p.amount:
            problems.append(
                f"{p.number} : imputations ({allocated}) supérieures au montant ({p.amount})"
            )
        for a in active:
            per_invoice[a.invoice_id] += a.amount + a.writeoff
    for invoice_id, total in per_invoice.items():
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None and total > invoice.amount_due:
            problems.append(f"{invoice.number} : réglée {total} pour {invoice.amount_due} dus")
    for a in session.scalars(select(Allocation).where(Allocation.undone_at.is_not(None))):
        if not a.undo_reason:
            problems.append(f"Imputation n° {a.id} annulée sans motif")
    for r in session.scalars(
        select(ChequeRemittance).options(selectinload(ChequeRemittance.lines))
    ):
        total = sum((line.payment.amount for line in r.lines), ZERO)
        if total != r.total or len(r.lines) != r.count:
            problems.append(f"Remise {r.reference} : total ou nombre de chèques incohérent")
    for b in session.scalars(select(SepaBatch).options(selectinload(SepaBatch.lines))):
        if sum((line.amount for line in b.lines), ZERO) != b.total or len(b.lines) != b.count:
            problems.append(f"Lot SEPA {b.reference} : total ou nombre de prélèvements incohérent")
    return problems
