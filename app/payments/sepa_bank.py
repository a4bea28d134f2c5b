"""The bank's answers to a SEPA batch (:mod:`app.payments.sepa` builds and exports it).

Confirmed (the bank accepted the file): each pending line becomes a payment allocated to its
invoice, and only then is the collection counted on the mandate (FRST → RCUR, last
collection). Cancelled (never sent, or refused whole): its invoices are free again and
nothing was counted. A line rejected (R-transaction): the payment is marked rejected and its
allocation undone with a trace, the invoice is open again, and the mandate's counters are
recomputed from the collections that went through.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFoundError, ValidationError
from app.lookup import get_row
from app.money import format_amount
from app.payments.allocation_rules import AllocationLine
from app.payments.entry import PaymentForm, record_payment
from app.payments.sepa_mandates import get_mandate, trace_mandate
from app.payments.sepa_rules import FIRST, sequence_type
from app.payments.states import BATCH_LINE_WORKFLOW, BATCH_WORKFLOW, PAYMENT_WORKFLOW
from app.receivables import open_amount
from app.users import require
from models.invoices import Invoice
from models.payments import PaymentStatus, SepaBatch, SepaBatchLine, SepaBatchStatus, SepaLineStatus


def confirm_batch(session: Session, batch_id: int, on: dt.date | None = None) -> SepaBatch:
    """The bank accepted the batch: each pending line becomes a payment allocated to its invoice."""
    require(session, "payments")
    batch = get_row(session, SepaBatch, batch_id, "Lot de prélèvements")
    BATCH_WORKFLOW.move(batch, SepaBatchStatus.CONFIRMED, ref=batch.reference)
    for line in batch.lines:
        if line.status != SepaLineStatus.PENDING:
            continue
        invoice = get_row(session, Invoice, line.invoice_id, "Facture")
        available = open_amount(session, invoice)
        payment = record_payment(
            session,
            PaymentForm(
                client_id=invoice.client_id,
                date=batch.collection_date,
                means="direct_debit",
                amount=str(line.amount),
                reference=f"{batch.reference} {line.end_to_end_id}",
            ),
            [AllocationLine(invoice.id, min(line.amount, available))] if available > 0 else [],
        )
        line.payment_id = payment.id
        BATCH_LINE_WORKFLOW.move(line, SepaLineStatus.PAID)
    batch.confirmed_on = on or batch.collection_date
    summary = f"Lot {batch.reference} confirmé : {batch.count} prélèvement(s) encaissé(s)"
    return _closed(session, batch, "confirm", summary, f"lot {batch.reference} confirmé")


def cancel_batch(session: Session, batch_id: int, reason: str) -> SepaBatch:
    """The file was never sent or the bank refused it whole: its invoices are free again
    and its first collections stay first collections (nothing was counted on the mandates)."""
    require(session, "payments")
    batch = get_row(session, SepaBatch, batch_id, "Lot de prélèvements")
    BATCH_WORKFLOW.check(batch.status, SepaBatchStatus.CANCELLED, ref=batch.reference)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Motif", "Le motif de l'annulation du lot est obligatoire.")
    for line in batch.lines:
        if line.status == SepaLineStatus.PENDING:
            BATCH_LINE_WORKFLOW.move(line, SepaLineStatus.CANCELLED)
            line.reject_reason = reason[:200]
    BATCH_WORKFLOW.move(batch, SepaBatchStatus.CANCELLED, ref=batch.reference)
    summary = f"Lot {batch.reference} annulé (non confirmé par la banque) : {reason}"
    return _closed(session, batch, "cancel", summary, f"lot {batch.reference} annulé")


def _closed(session: Session, batch: SepaBatch, action: str, summary: str, why: str) -> SepaBatch:
    """Trace a batch confirmed or cancelled, then recount its mandates' collections (the
    bank's confirmation counts; files made before that rule counted the export: recount)."""
    audit.record(session, "sepa_batch", batch.id, action, summary)
    session.flush()
    for mandate_id in sorted({line.mandate_id for line in batch.lines}):
        _count_collections(session, mandate_id, why)
    return batch


def _count_collections(session: Session, mandate_id: int, why: str) -> None:
    """Collections done and last collection of a mandate = its debits the bank confirmed
    and that did not come back (so FRST → RCUR only after a confirmed first debit)."""
    mandate = get_mandate(session, mandate_id)
    done, last = session.execute(
        select(func.count(SepaBatchLine.id), func.max(SepaBatch.collection_date))
        .join(SepaBatch, SepaBatch.id == SepaBatchLine.batch_id)
        .where(SepaBatchLine.mandate_id == mandate_id, SepaBatchLine.status == SepaLineStatus.PAID)
    ).one()
    values = {"collections_done": int(done or 0), "last_collection": last}
    changes = audit.diff(mandate, values)
    if changes:
        summary = (
            f"Mandat SEPA {mandate.rum} : {mandate.collections_done} prélèvement(s) "
            f"encaissé(s), prochain en {sequence_type(mandate.kind, mandate.collections_done)} "
            f"({why})"
        )
        trace_mandate(session, mandate, "collections", summary, changes)


def reject_line(session: Session, line_id: int, reason: str, on: dt.date) -> SepaBatchLine:
    """R-transaction: the debit came back. The invoice is open again, with a trace."""

    require(session, "payments")
    line = session.get(SepaBatchLine, line_id)
    if line is None:
        raise NotFoundError("Prélèvement introuvable (n° interne {id}).", id=line_id)
    BATCH_LINE_WORKFLOW.check(line.status, SepaLineStatus.REJECTED, ref=line.end_to_end_id)
    reason = (reason or "").strip() or "Rejet bancaire"
    if line.sequence == FIRST:  # one FRST transaction: its other invoices come back too
        siblings = session.scalars(
            select(SepaBatchLine).where(
                SepaBatchLine.batch_id == line.batch_id,
                SepaBatchLine.mandate_id == line.mandate_id,
                SepaBatchLine.sequence == FIRST,
                SepaBatchLine.status != SepaLineStatus.REJECTED,
                SepaBatchLine.id != line.id,
            )
        ).all()
        for sibling in siblings:
            _reject_one(session, sibling, reason, on)
    return _reject_one(session, line, reason, on)


def _reject_one(session: Session, line: SepaBatchLine, reason: str, on: dt.date) -> SepaBatchLine:
    from app.payments.allocation import undo_allocation

    if line.payment_id is not None:
        from models.payments import Payment

        payment = get_row(session, Payment, line.payment_id, "Règlement")
        for allocation in payment.allocations:
            if allocation.undone_at is None:
                undo_allocation(session, allocation.id, f"Rejet du prélèvement : {reason}")
        PAYMENT_WORKFLOW.move(payment, PaymentStatus.REJECTED, ref=payment.number)
        payment.rejected_on = on
        payment.reject_reason = reason[:200]
    BATCH_LINE_WORKFLOW.move(line, SepaLineStatus.REJECTED, ref=line.end_to_end_id)
    line.reject_reason = reason[:200]
    session.flush()
    mandate = get_mandate(session, line.mandate_id)
    # A debit that came back does not count: a rejected first collection leaves FRST next.
    _count_collections(session, mandate.id, "prélèvement rejeté")
    invoice = session.get(Invoice, line.invoice_id)
    audit.record(
        session,
        "sepa_batch_line",
        line.id,
        "reject",
        f"Prélèvement de {invoice.number if invoice else '?'} rejeté ({format_amount(line.amount)}) : "
        f"{reason}",
        client_id=mandate.client_id,
    )
    session.flush()
    return line
