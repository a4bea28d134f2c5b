"""Invoice and credit-note rows of the client account inquiry (an app.ledger source)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.ledger import LedgerRow, LedgerSource
from app.money import ZERO
from app.receivables import allocated_by_invoice, allocated_for_clients, credited_by_invoice
from models.invoices import Invoice, InvoiceKind, InvoiceStatus


def invoice_ledger_rows(session: Session, client_id: int) -> Iterable[LedgerRow]:
    today = clock.today()
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(Invoice.client_id == client_id, Invoice.status.in_(InvoiceStatus.RECEIVABLE))
            .order_by(Invoice.issue_date, Invoice.id)
        )
    )
    ids = [i.id for i in invoices if i.kind != InvoiceKind.CREDIT_NOTE]
    paid = allocated_by_invoice(session, ids)
    credited = credited_by_invoice(session, ids)
    rows = []
    for inv in invoices:
        label = inv.title or InvoiceKind.LABELS.get(inv.kind, inv.kind)
        # An open item of the old software (« Reprise ») has no PDF archived by Propreo.
        document = inv.id if inv.status == InvoiceStatus.ISSUED else None
        if inv.kind == InvoiceKind.CREDIT_NOTE:
            rows.append(
                LedgerRow(
                    inv.issue_date,
                    "credit_note",
                    inv.number or "",
                    label,
                    credit=inv.amount_due,
                    document_id=document,
                )
            )
            continue
        open_amount = inv.amount_due - paid.get(inv.id, ZERO) - credited.get(inv.id, ZERO)
        rows.append(
            LedgerRow(
                inv.issue_date,
                inv.kind,
                inv.number or "",
                label,
                debit=inv.amount_due,
                due_date=inv.due_date,
                overdue=inv.due_date is not None and inv.due_date < today and open_amount > ZERO,
                open_amount=max(open_amount, ZERO),
                document_id=document,
            )
        )
    return rows


def invoice_balances(session: Session, client_ids: Sequence[int]) -> dict[int, Decimal]:
    """Σ debit − Σ credit of :func:`invoice_ledger_rows` for each client, in one query:
    issued invoices and down-payment invoices (amount due) less issued credit notes."""
    # Grouped by the kind itself: PostgreSQL does not see ``kind = :p`` in the SELECT and
    # the same expression in the GROUP BY as one (each has its own bound parameter).
    totals: dict[int, Decimal] = {}
    for client_id, kind, amount in session.execute(
        select(Invoice.client_id, Invoice.kind, func.sum(Invoice.amount_due))
        .where(Invoice.client_id.in_(client_ids), Invoice.status.in_(InvoiceStatus.RECEIVABLE))
        .group_by(Invoice.client_id, Invoice.kind)
    ):
        signed = -amount if kind == InvoiceKind.CREDIT_NOTE else amount
        totals[client_id] = totals.get(client_id, ZERO) + signed
    return totals


def invoice_owed(session: Session, client_ids: Sequence[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """(Σ open amount, Σ open amount of the overdue ones) of :func:`invoice_ledger_rows` for
    each client, the same rule row for row (a test compares), in three grouped queries."""
    today = clock.today()
    invoices = session.execute(
        select(Invoice.id, Invoice.client_id, Invoice.amount_due, Invoice.due_date).where(
            Invoice.client_id.in_(client_ids),
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.kind != InvoiceKind.CREDIT_NOTE,
        )
    ).all()
    paid = allocated_for_clients(session, client_ids)
    origin = select(Invoice.id).where(Invoice.client_id.in_(client_ids))
    credited: dict[int, Decimal] = {}
    for origin_id, amount in session.execute(
        select(Invoice.origin_invoice_id, Invoice.total_ttc).where(
            Invoice.kind == InvoiceKind.CREDIT_NOTE,
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.origin_invoice_id.in_(origin),
        )
    ):
        if origin_id is not None:
            credited[origin_id] = credited.get(origin_id, ZERO) + amount
    sums: dict[int, tuple[Decimal, Decimal]] = {}
    for inv_id, client_id, amount_due, due_date in invoices:
        left = amount_due - paid.get(inv_id, ZERO) - credited.get(inv_id, ZERO)
        still, late = sums.get(client_id, (ZERO, ZERO))
        owed = max(left, ZERO)
        overdue = due_date is not None and due_date < today and left > ZERO
        sums[client_id] = (still + owed, late + (owed if overdue else ZERO))
    return sums


# Registered at start-up by app.startup.install().
INVOICE_ROWS = LedgerSource(invoice_ledger_rows, invoice_balances, invoice_owed)
