"""Billing history of one contract: every invoice, credit note and down-payment invoice that
bills (or credits) it, with the share of its lines that belongs to the contract.

A month-end run may group several contracts of a site or payer on one invoice, so the
contract's documents are found through their lines (``contract_line_id``) as well as through
``Invoice.contract_id`` (down-payment and out-of-plan invoices).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.money import ZERO
from models.contracts import ContractLine
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus


@dataclass(frozen=True)
class ContractInvoiceRow:
    invoice_id: int
    number: str  # « Brouillon » for a draft
    kind_label: str
    status_label: str
    issue_date: dt.date
    period_start: dt.date | None
    period_end: dt.date | None
    contract_ht: Decimal  # HT of the lines billing this contract (negative for a credit note)
    total_ttc: Decimal  # the whole document (it may bill other contracts too)
    shared: bool  # the document also bills other contracts


def contract_invoices(session: Session, contract_id: int) -> list[ContractInvoiceRow]:
    """The contract's documents, most recent first (drafts included, marked as such)."""
    line_ids = select(ContractLine.id).where(ContractLine.contract_id == contract_id)
    invoice_ids = select(InvoiceLine.invoice_id).where(InvoiceLine.contract_line_id.in_(line_ids))
    invoices = session.scalars(
        select(Invoice)
        .where(or_(Invoice.id.in_(invoice_ids), Invoice.contract_id == contract_id))
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    ).all()
    if not invoices:
        return []
    ours = set(session.scalars(line_ids))
    lines = session.execute(
        select(
            InvoiceLine.invoice_id,
            InvoiceLine.contract_line_id,
            InvoiceLine.total_ht,
            InvoiceLine.period_start,
            InvoiceLine.period_end,
        ).where(InvoiceLine.invoice_id.in_([i.id for i in invoices]))
    ).all()
    by_invoice: dict[int, list[tuple[int | None, Decimal, dt.date | None, dt.date | None]]] = {}
    for invoice_id, line_id, total, start, end in lines:
        by_invoice.setdefault(invoice_id, []).append((line_id, total, start, end))
    rows = []
    for inv in invoices:
        own = [
            ln
            for ln in by_invoice.get(inv.id, [])
            if ln[0] in ours or inv.contract_id == contract_id
        ]
        others = any(ln[0] is not None and ln[0] not in ours for ln in by_invoice.get(inv.id, []))
        sign = -1 if inv.kind == InvoiceKind.CREDIT_NOTE else 1
        starts = [ln[2] for ln in own if ln[2] is not None]
        ends = [ln[3] for ln in own if ln[3] is not None]
        rows.append(
            ContractInvoiceRow(
                invoice_id=inv.id,
                number=inv.number or InvoiceStatus.LABELS[InvoiceStatus.DRAFT],
                kind_label=InvoiceKind.LABELS.get(inv.kind, inv.kind),
                status_label=InvoiceStatus.LABELS.get(inv.status, inv.status),
                issue_date=inv.issue_date,
                period_start=min(starts) if starts else inv.period_start,
                period_end=max(ends) if ends else inv.period_end,
                contract_ht=sign * sum((ln[1] for ln in own), ZERO),
                total_ttc=sign * inv.total_ttc,
                shared=others,
            )
        )
    return rows
