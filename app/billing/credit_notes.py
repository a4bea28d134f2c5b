"""Credit notes (avoirs): full or partial, from an issued invoice, in their own series.

A credit note cites the original number and date, repeats the VAT of each credited line,
and never exceeds what remains creditable: per original line, its total HT minus what
other credit notes (issued or draft) already credit on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import users
from app.billing.invoices import DraftLine, create_draft_invoice, get_invoice
from app.billing.issue_new import Confirm, Issued, issue_new
from app.db import Database
from app.errors import StateError, ValidationError
from app.money import ZERO, round_money, to_decimal
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind


@dataclass(frozen=True)
class Creditable:
    line_id: int
    position: int
    description: str
    total_ht: Decimal
    credited: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.total_ht - self.credited


def creditable_lines(session: Session, invoice_id: int) -> list[Creditable]:
    """What remains creditable on each line of an issued invoice."""
    invoice = get_invoice(session, invoice_id)
    credited = dict(
        session.execute(
            select(InvoiceLine.origin_line_id, func.sum(InvoiceLine.total_ht))
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(
                Invoice.kind == InvoiceKind.CREDIT_NOTE,
                Invoice.origin_invoice_id == invoice.id,
                InvoiceLine.origin_line_id.is_not(None),
            )
            .group_by(InvoiceLine.origin_line_id)
        ).all()
    )
    return [
        Creditable(
            line.id, line.position, line.description, line.total_ht, credited.get(line.id) or ZERO
        )
        for line in invoice.lines
    ]


def create_credit_note(
    session: Session,
    invoice_id: int,
    *,
    issue_date: dt.date,
    amounts: dict[int, Decimal | str] | None = None,
    reason: str = "",
) -> Invoice:
    """A draft credit note for invoice ``invoice_id`` (issued like any draft; from a
    dialog or the CLI: :func:`issue_credit_note`).

    ``amounts`` maps original line id → amount HT to credit (positive); ``None`` credits
    everything that remains (full credit note).
    """
    users.require(session, "credit_note")
    invoice = get_invoice(session, invoice_id)
    if invoice.status != InvoiceStatus.ISSUED or invoice.kind == InvoiceKind.CREDIT_NOTE:
        raise StateError("Un avoir ne peut être établi que sur une facture émise.")
    if issue_date < invoice.issue_date:
        raise ValidationError("Date", "L'avoir ne peut être antérieur à la facture.")
    remaining = {c.line_id: c for c in creditable_lines(session, invoice_id)}
    wanted: dict[int, Decimal] = {}
    if amounts is None:
        wanted = {lid: c.remaining for lid, c in remaining.items() if c.remaining != ZERO}
    else:
        for line_id, value in amounts.items():
            if line_id not in remaining:
                raise ValidationError("Ligne", "Cette ligne n'appartient pas à la facture.")
            amount = round_money(to_decimal(value, field="Montant à créditer"))
            if amount == ZERO:
                continue
            c = remaining[line_id]
            if abs(amount) > abs(c.remaining) or (amount > 0) != (c.remaining > 0):
                raise ValidationError(
                    "Montant à créditer",
                    "Ligne {pos} : {amount} € dépasse ce qui reste à créditer ({left} €).",
                    pos=c.position,
                    amount=amount,
                    left=c.remaining,
                )
            wanted[line_id] = amount
    if not wanted:
        raise ValidationError(
            "Montant à créditer", "Il ne reste rien à créditer sur cette facture."
        )
    by_id = {line.id: line for line in invoice.lines}
    lines = []
    for line_id, amount in wanted.items():
        origin = by_id[line_id]
        lines.append(
            DraftLine(
                description=origin.description,
                quantity=Decimal(1 if amount > 0 else -1),
                unit_price=abs(amount),
                article_id=origin.article_id,
                vat_rate_id=origin.vat_rate_id,
                unit="forfait",
                kind=LineKind.NORMAL,
                contract_line_id=origin.contract_line_id,
                period_start=origin.period_start,
                period_end=origin.period_end,
                origin_line_id=origin.id,
            )
        )
    full = amounts is None
    note = create_draft_invoice(
        session,
        invoice.client_id,
        lines,
        issue_date=issue_date,
        kind=InvoiceKind.CREDIT_NOTE,
        site_id=invoice.site_id,
        contract_id=invoice.contract_id,
        purchase_order=invoice.purchase_order,
        origin_invoice_id=invoice.id,
        title=(
            f"Avoir {'total' if full else 'partiel'} sur facture {invoice.number} "
            f"du {invoice.issue_date:%d/%m/%Y}"
        ),
        notes=reason,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
    )
    return note


def issue_credit_note(
    database: Database,
    invoice_id: int,
    *,
    issue_date: dt.date,
    amounts: dict[int, Decimal | str] | None = None,
    reason: str = "",
    confirm: Confirm | None = None,
) -> Issued | None:
    """The credit-note use case of the dialog and the CLI: saved as a draft, checked
    outside any write, then numbered (:mod:`app.billing.issue_new`); None when the user
    declines the confirmation."""

    def make(session: Session) -> Invoice:
        return create_credit_note(
            session, invoice_id, issue_date=issue_date, amounts=amounts, reason=reason
        )

    return issue_new(database, make, confirm=confirm)
