"""SEPA mandates: create, correct, revoke, list; the usable one on a date; the
pre-notification printed on invoices; the printable mandate form (PDF).

Split from ``app.payments.sepa`` (batches), which re-exports these names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, identifiers
from app.company import get_company
from app.errors import NotFoundError, ValidationError, ValidationErrors
from app.lookup import get_row
from app.money import format_amount
from app.payments.sepa_rules import (
    CORE,
    MANDATE_KINDS,
    SCHEMES,
    earliest_collection,
    first_target_day_from,
    mandate_usable,
    prenotification_text,
    sequence_type,
    validate_rum,
)
from app.payments.states import MANDATE_WORKFLOW
from app.users import require
from models.clients import Client
from models.invoices import Invoice
from models.payments import MandateStatus, SepaMandate


@dataclass
class MandateForm:
    client_id: int | None = None
    rum: str = ""
    signature_date: dt.date | None = None
    signature_place: str = ""
    kind: str = "recurrent"
    scheme: str = CORE
    debtor_name: str = ""
    iban: str = ""
    bic: str = ""
    notes: str = ""


@dataclass(frozen=True)
class MandateRow:
    id: int
    client_id: int
    rum: str
    signature_date: dt.date
    kind: str
    scheme: str
    iban: str
    bic: str
    status: str
    next_sequence: str
    last_collection: dt.date | None


def suggest_rum(session: Session, client_id: int) -> str:
    client = session.get(Client, client_id)
    code = client.code if client else str(client_id)
    n = 1
    while session.scalar(select(SepaMandate.id).where(SepaMandate.rum == f"RUM-{code}-{n:03d}")):
        n += 1
    return f"RUM-{code}-{n:03d}"


def trace_mandate(
    session: Session,
    mandate: SepaMandate,
    action: str,
    summary: str,
    changes: dict[str, tuple[object, object]] | None = None,
) -> None:
    """The mandate's line in its client's history (create, update, revoke, collections)."""
    audit.record(
        session,
        "sepa_mandate",
        mandate.id,
        action,
        summary,
        client_id=mandate.client_id,
        changes=changes,
    )


def save_mandate(session: Session, mandate_id: int | None, form: MandateForm) -> SepaMandate:
    """Create or correct a mandate (all fields checked at once)."""
    require(session, "payments")
    errors: list[ValidationError] = []
    values: dict[str, object] = {}

    def run(name: str, fn: Callable[..., object], *args: object) -> None:
        try:
            values[name] = fn(*args)
        except ValidationError as exc:
            errors.append(exc)

    client = session.get(Client, form.client_id) if form.client_id else None
    if client is None:
        errors.append(ValidationError("Client", "Le mandat doit être rattaché à un client."))
    run("rum", validate_rum, form.rum)
    run("iban", identifiers.iban, form.iban, "IBAN")
    run("bic", identifiers.bic, form.bic, "BIC")
    run("debtor_name", identifiers.text, form.debtor_name, "Titulaire du compte", 140)
    run("signature_place", identifiers.text, form.signature_place, "Lieu de signature", 100)
    run("notes", identifiers.text, form.notes, "Notes", 2000)
    if not values.get("iban") and "iban" in values:
        errors.append(ValidationError("IBAN", "L'IBAN du débiteur est obligatoire."))
    if form.signature_date is None:
        errors.append(ValidationError("Date de signature", "La date de signature est obligatoire."))
    if form.kind not in MANDATE_KINDS:
        errors.append(ValidationError("Type de mandat", "Type de mandat inconnu."))
    if form.scheme not in SCHEMES:
        errors.append(ValidationError("Schéma", "Schéma SEPA inconnu (Core ou B2B)."))
    if client is not None and form.scheme == "B2B" and not client.is_professional:
        errors.append(
            ValidationError(
                "Schéma", "Le prélèvement B2B est réservé aux débiteurs professionnels."
            )
        )
    rum = values.get("rum")
    if rum:
        other = session.scalar(select(SepaMandate).where(SepaMandate.rum == rum))
        if other is not None and other.id != mandate_id:
            errors.append(ValidationError("RUM", "La RUM « {rum} » est déjà utilisée.", rum=rum))
    if errors or client is None:  # no client: its error is in the list
        raise ValidationErrors(errors)
    values.update(
        client_id=client.id,
        signature_date=form.signature_date,
        kind=form.kind,
        scheme=form.scheme,
    )
    if not values["debtor_name"]:
        values["debtor_name"] = client.name
    if mandate_id is None:
        mandate = SepaMandate(**values)
        session.add(mandate)
        session.flush()
        trace_mandate(session, mandate, "create", f"Mandat SEPA {mandate.rum} enregistré")
    else:
        mandate = get_mandate(session, mandate_id)
        changes = audit.diff(mandate, values)
        if changes:
            trace_mandate(session, mandate, "update", f"Mandat SEPA {mandate.rum} modifié", changes)
    session.flush()
    return mandate


def get_mandate(session: Session, mandate_id: int) -> SepaMandate:
    mandate = session.get(SepaMandate, mandate_id)
    if mandate is None:
        raise NotFoundError("Mandat SEPA introuvable (n° interne {id}).", id=mandate_id)
    return mandate


def revoke_mandate(session: Session, mandate_id: int, on: dt.date) -> SepaMandate:
    require(session, "payments")
    mandate = get_mandate(session, mandate_id)
    MANDATE_WORKFLOW.move(mandate, MandateStatus.REVOKED, ref=mandate.rum)
    mandate.revoked_on = on
    summary = f"Mandat SEPA {mandate.rum} révoqué le {on.strftime('%d/%m/%Y')}"
    trace_mandate(session, mandate, "revoke", summary)
    return mandate


def list_mandates(session: Session, client_id: int | None = None) -> list[MandateRow]:
    query = select(SepaMandate).order_by(SepaMandate.signature_date.desc(), SepaMandate.id)
    if client_id is not None:
        query = query.where(SepaMandate.client_id == client_id)
    return [
        MandateRow(
            m.id,
            m.client_id,
            m.rum,
            m.signature_date,
            m.kind,
            m.scheme,
            m.iban,
            m.bic,
            m.status,
            sequence_type(m.kind, m.collections_done),
            m.last_collection,
        )
        for m in session.scalars(query)
    ]


def usable_mandate(session: Session, client_id: int, on: dt.date) -> SepaMandate | None:
    """The client's most recent mandate usable on ``on``."""
    for m in session.scalars(
        select(SepaMandate)
        .where(SepaMandate.client_id == client_id)
        .order_by(SepaMandate.signature_date.desc(), SepaMandate.id.desc())
    ):
        reason = mandate_usable(
            m.kind, m.status, m.signature_date, m.last_collection, m.collections_done, on
        )
        if not reason:
            return m
    return None


def planned_collection_date(session: Session, invoice: Invoice) -> dt.date:
    """The date to pre-notify on the invoice: its due date, unless that leaves fewer than
    the pre-notification delay after the issue date (then issue date + delay), moved to a
    TARGET2 business day. A batch never collects the invoice before that date."""
    from app.company_snapshot import prenotification_days

    days = prenotification_days(session, invoice, get_company(session))  # as announced
    due = invoice.due_date or invoice.issue_date
    return first_target_day_from(max(due, earliest_collection(invoice.issue_date, days)))


def prenotification(session: Session, invoice: Invoice) -> str:
    """Pre-notification printed on the invoice of a direct-debit client ("" otherwise)."""
    client = session.get(Client, invoice.client_id)
    if client is None or client.payment_means != "direct_debit":
        return ""
    day = planned_collection_date(session, invoice)
    mandate = usable_mandate(session, client.id, day)
    if mandate is None:
        return ""
    ics = get_company(session).sepa_creditor_id
    return prenotification_text(format_amount(invoice.amount_due), day, mandate.rum, ics)


def mandate_form(session: Session, mandate_id: int) -> MandateForm:
    m = get_mandate(session, mandate_id)
    return MandateForm(
        client_id=m.client_id,
        rum=m.rum,
        signature_date=m.signature_date,
        signature_place=m.signature_place,
        kind=m.kind,
        scheme=m.scheme,
        debtor_name=m.debtor_name,
        iban=m.iban,
        bic=m.bic,
        notes=m.notes,
    )


def mandate_pdf(session: Session, mandate_id: int) -> bytes:
    """The printable mandate form of a mandate record (to sign, or a copy of it)."""
    from app.addressing import COUNTRY_NAMES
    from app.payments.sepa_rules import validate_ics
    from reports.mandate_pdf import MandateFormData, Party, render_mandate

    mandate = get_mandate(session, mandate_id)
    client = get_row(session, Client, mandate.client_id, "Client")
    company = get_company(session)
    ics = validate_ics(company.sepa_creditor_id)  # a mandate without the ICS is not valid

    def party(name: str, street: str, street2: str, postcode: str, city: str, cc: str) -> Party:
        return Party(
            name=name,
            street=", ".join(p for p in (street, street2) if p),
            postcode_city=" ".join(p for p in (postcode, city) if p),
            country=COUNTRY_NAMES.get(cc or "FR", cc),
        )

    return render_mandate(
        MandateFormData(
            rum=mandate.rum,
            creditor=party(
                company.name, company.street, company.street2, company.postcode,
                company.city, company.country,
            ),
            creditor_id=ics,
            debtor=party(
                mandate.debtor_name or client.name, client.street, client.street2,
                client.postcode, client.city, client.country,
            ),
            iban=_spaced_iban(mandate.iban),
            bic=mandate.bic,
            kind=mandate.kind,
            scheme=mandate.scheme,
            signature_place=mandate.signature_place,
            signature_date=mandate.signature_date,
        )
    )  # fmt: skip


def _spaced_iban(iban: str) -> str:
    compact = "".join(iban.split())
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
