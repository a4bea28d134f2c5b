"""Payment entry (saisie d'un encaissement): validate, number, allocate, audit.

A payment is numbered in series "payment" when it is recorded. It is allocated at once
(oldest invoices first unless the user filled the grid); what is left stays as credit
on the client's account, explicitly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from app import audit, identifiers, numbering
from app.errors import ValidationError, ValidationErrors
from app.money import ZERO, format_amount, round_money, to_decimal
from app.payments.allocation import apply_lines
from app.payments.allocation_rules import (
    AllocationLine,
    suggest_allocation,
)
from app.receivables import open_items
from app.users import require
from models.clients import Client
from models.payments import Payment, PaymentMeans

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
