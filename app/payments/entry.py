"""Payment entry (saisie d'un encaissement): validate, number, allocate, audit.

A payment is numbered in series "payment" when it is recorded. It is allocated at once
(oldest invoices first unless the user filled the grid); what is left stays as credit
on the client's account, explicitly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, identifiers, numbering
from app.errors import NotFoundError, ValidationError, ValidationErrors
from app.money import ZERO, format_amount, round_money, to_decimal
from app.payments.allocation_rules import (
    AllocationLine,
    OpenItem,
    suggest_allocation,
)
from app.users import require
from models.clients import Client
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.payments import Allocation, Payment, PaymentMeans, PaymentStatus

BANK_ACCOUNTS = {"512000": "Banque", "511200": "Chèques à encaisser", "530000": "Caisse"}


@dataclass
class PaymentForm:
    """What the entry form edits (plain values, amounts as typed)."""

    client_id: int | None = None
    date: dt.date = field(default_factory=dt.date.today)
    means: str = PaymentMeans.TRANSFER
    amount: str = ""
    reference: str = ""
    cheque_bank: str = ""
    cheque_number: str = ""
    drawer: str = ""
    bank_account: str = "512000"
    notes: str = ""


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
    from app.billing.credit_notes import credited_by_invoice

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
    from app.billing.credit_notes import credited_by_invoice

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


def validate(session: Session, form: PaymentForm) -> dict[str, object]:
    errors: list[ValidationError] = []
    values: dict[str, object] = {}
    client = session.get(Client, form.client_id) if form.client_id else None
    if client is None:
        errors.append(ValidationError("Client", "Choisissez le client qui règle."))
    if form.means not in PaymentMeans.LABELS:
        errors.append(ValidationError("Mode de règlement", "Mode de règlement inconnu."))
    try:
        amount = round_money(to_decimal(form.amount, field="Montant"))
        if amount <= ZERO or to_decimal(form.amount, field="Montant") != amount:
            raise ValidationError("Montant", "Le montant doit être positif et exprimé au centime.")
        values["amount"] = amount
    except ValidationError as exc:
        errors.append(exc)
    if not isinstance(form.date, dt.date):
        errors.append(ValidationError("Date", "La date du règlement est obligatoire."))
    for name, label, size in (
        ("reference", "Référence", 100),
        ("cheque_bank", "Banque du chèque", 100),
        ("cheque_number", "N° de chèque", 30),
        ("drawer", "Tireur", 150),
        ("notes", "Notes", 2000),
    ):
        try:
            values[name] = identifiers.text(getattr(form, name), label, size)
        except ValidationError as exc:
            errors.append(exc)
    if form.means == PaymentMeans.CHEQUE:
        if not form.cheque_number.strip():
            errors.append(ValidationError("N° de chèque", "Le numéro du chèque est obligatoire."))
        if not form.cheque_bank.strip():
            errors.append(
                ValidationError("Banque du chèque", "La banque du chèque est obligatoire.")
            )
    if form.bank_account not in BANK_ACCOUNTS:
        errors.append(ValidationError("Compte d'encaissement", "Compte d'encaissement inconnu."))
    if errors:
        raise ValidationErrors(errors)
    values.update(
        client_id=form.client_id, date=form.date, means=form.means, bank_account=form.bank_account
    )
    return values


def record_payment(
    session: Session,
    form: PaymentForm,
    lines: list[AllocationLine] | None = None,
    *,
    tolerance: Decimal = ZERO,
) -> Payment:
    """Record a payment and allocate it.

    ``lines`` None: oldest invoices first (with ``tolerance`` for rounding differences);
    a list (possibly empty): exactly that allocation, checked against the open amounts.
    """
    from app.payments.allocation import apply_lines

    require(session, "payments")
    values = validate(session, form)
    amount = values["amount"]
    if not isinstance(amount, Decimal):
        raise ValidationError("Montant", "Le {field} est obligatoire.")
    number = numbering.next_number(session, "payment", form.date, doc_type="payment")
    payment = Payment(number=number.text, created_by_id=audit.current_user_id(session), **values)
    session.add(payment)
    session.flush()
    numbering.attach_document(session, number.text, payment.id)
    means = PaymentMeans.LABELS[form.means]
    audit.record(
        session,
        "payment",
        payment.id,
        "create",
        f"Règlement {payment.number} ({means}) de {format_amount(amount)}",
        client_id=payment.client_id,
    )
    if lines is None:
        plan = suggest_allocation(
            amount, open_items(session, payment.client_id), tolerance=tolerance
        )
        lines = list(plan.lines)
        payment.excess_writeoff = plan.excess_writeoff
    apply_lines(session, payment, lines)
    session.flush()
    return payment


def get_payment(session: Session, payment_id: int) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFoundError("Règlement introuvable (n° interne {id}).", id=payment_id)
    return payment
