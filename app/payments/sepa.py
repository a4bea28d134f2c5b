"""SEPA direct debit: mandates, batches of due invoices → pain.008, confirmation, rejects.

A batch takes the issued invoices due on or before the collection date whose clients pay
by direct debit and hold a usable mandate; it is validated against the ISO XSD before
anything is written (a failure rolls the batch back). Confirming the batch (the bank
accepted it) turns each line into a payment allocated to its invoice. A reject
(R-transaction) marks the payment rejected and undoes its allocation with a trace: the
invoice is open again, and a first collection goes back to FRST.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, identifiers
from app.company import get_company
from app.errors import DocumentInvalid, NotFoundError, StateError, ValidationError, ValidationErrors
from app.money import ZERO, format_amount
from app.payments.allocation_rules import AllocationLine
from app.payments.entry import PaymentForm, open_amount, record_payment
from app.payments.sepa_rules import (
    CORE,
    MANDATE_KINDS,
    SCHEMES,
    mandate_usable,
    prenotification_text,
    sequence_type,
    validate_ics,
    validate_rum,
)
from app.users import require
from models.clients import Client
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.payments import (
    PaymentStatus,
    SepaBatch,
    SepaBatchLine,
    SepaMandate,
)
from reports.sepa_xml import Creditor, DebitLine, build_pain008


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


def save_mandate(session: Session, mandate_id: int | None, form: MandateForm) -> SepaMandate:
    """Create or correct a mandate (all fields checked at once)."""
    require(session, "payments")
    errors: list[ValidationError] = []
    values: dict[str, object] = {}

    def run(name: str, fn: object, *args: object) -> None:
        try:
            values[name] = fn(*args)  # type: ignore[operator]
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
    if errors:
        raise ValidationErrors(errors)
    assert client is not None
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
        audit.record(
            session,
            "sepa_mandate",
            mandate.id,
            "create",
            f"Mandat SEPA {mandate.rum} enregistré",
            client_id=client.id,
        )
    else:
        mandate = get_mandate(session, mandate_id)
        changes = audit.diff(mandate, values)
        if changes:
            audit.record(
                session,
                "sepa_mandate",
                mandate.id,
                "update",
                f"Mandat SEPA {mandate.rum} modifié",
                client_id=client.id,
                changes=changes,
            )
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
    if mandate.status != "active":
        raise StateError("Le mandat {rum} n'est pas actif.", rum=mandate.rum)
    mandate.status = "revoked"
    mandate.revoked_on = on
    audit.record(
        session,
        "sepa_mandate",
        mandate.id,
        "revoke",
        f"Mandat SEPA {mandate.rum} révoqué le {on.strftime('%d/%m/%Y')}",
        client_id=mandate.client_id,
    )
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


def prenotification(session: Session, invoice: Invoice) -> str:
    """Pre-notification printed on the invoice of a direct-debit client ("" otherwise)."""
    client = session.get(Client, invoice.client_id)
    due = invoice.due_date or invoice.issue_date
    if client is None or client.payment_means != "direct_debit":
        return ""
    mandate = usable_mandate(session, client.id, due)
    if mandate is None:
        return ""
    ics = get_company(session).sepa_creditor_id
    return prenotification_text(format_amount(invoice.amount_due), due, mandate.rum, ics)


@dataclass(frozen=True)
class Candidate:
    invoice_id: int
    invoice_number: str
    client_id: int
    client_name: str
    due_date: dt.date
    amount: Decimal
    mandate_id: int | None
    rum: str
    scheme: str
    problem: str  # "" when it can be collected


def candidates(session: Session, collection_date: dt.date) -> list[Candidate]:
    """Open invoices due on or before the date, of clients paying by direct debit."""
    pending = select(SepaBatchLine.invoice_id).where(SepaBatchLine.status == "pending")
    rows = session.execute(
        select(Invoice, Client)
        .join(Client, Client.id == Invoice.client_id)
        .where(
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.kind.in_((InvoiceKind.INVOICE, InvoiceKind.DOWN_PAYMENT)),
            Invoice.due_date <= collection_date,
            Client.payment_means == "direct_debit",
            Invoice.id.not_in(pending),
        )
        .order_by(Invoice.due_date, Invoice.number)
    ).all()
    out: list[Candidate] = []
    for invoice, client in rows:
        amount = open_amount(session, invoice)
        if amount <= ZERO:
            continue
        mandate = usable_mandate(session, client.id, collection_date)
        problem = "" if mandate else "aucun mandat SEPA valide"
        out.append(
            Candidate(
                invoice.id,
                invoice.number or "",
                client.id,
                client.name,
                invoice.due_date or invoice.issue_date,
                amount,
                mandate.id if mandate else None,
                mandate.rum if mandate else "",
                mandate.scheme if mandate else "",
                problem,
            )
        )
    return out


def creditor(session: Session) -> Creditor:
    company = get_company(session)
    errors: list[ValidationError] = []
    try:
        ics = validate_ics(company.sepa_creditor_id)
    except ValidationError as exc:
        errors.append(exc)
    if not company.iban or not company.bic:
        errors.append(
            ValidationError(
                "IBAN", "L'IBAN et le BIC de la société sont nécessaires pour prélever."
            )
        )
    if errors:
        raise ValidationErrors(errors)
    return Creditor(company.name, company.iban, company.bic, ics)


def _batch_reference(session: Session, day: dt.date) -> str:
    prefix = f"PRLV{day:%Y%m%d}-"
    n = 1
    while session.scalar(select(SepaBatch.id).where(SepaBatch.reference == f"{prefix}{n:02d}")):
        n += 1
    return f"{prefix}{n:02d}"


def create_batches(
    session: Session,
    collection_date: dt.date,
    *,
    created_on: dt.date | None = None,
    invoice_ids: list[int] | None = None,
) -> list[SepaBatch]:
    """One batch per scheme (Core, B2B) from the collectable candidates."""
    require(session, "payments")
    cred = creditor(session)
    chosen = [c for c in candidates(session, collection_date) if not c.problem]
    if invoice_ids is not None:
        chosen = [c for c in chosen if c.invoice_id in set(invoice_ids)]
    if not chosen:
        raise ValidationError(
            "Date de prélèvement",
            "Aucune facture échue au {date} à prélever (clients en prélèvement avec mandat valide).",
            date=collection_date.strftime("%d/%m/%Y"),
        )
    batches = []
    for scheme in sorted({c.scheme for c in chosen}):
        batch = SepaBatch(
            reference=_batch_reference(session, collection_date),
            created_on=created_on or dt.date.today(),
            collection_date=collection_date,
            scheme=scheme,
        )
        session.add(batch)
        session.flush()
        for c in (c for c in chosen if c.scheme == scheme):
            assert c.mandate_id is not None
            mandate = get_mandate(session, c.mandate_id)
            line = SepaBatchLine(
                invoice_id=c.invoice_id,
                mandate_id=mandate.id,
                amount=c.amount,
                sequence=sequence_type(mandate.kind, mandate.collections_done),
                end_to_end_id=c.invoice_number[:35],
            )
            batch.lines.append(line)
            mandate.collections_done += 1
            mandate.last_collection = collection_date
        batch.count = len(batch.lines)
        batch.total = sum((line.amount for line in batch.lines), ZERO)
        session.flush()
        batch_xml(session, batch.id, cred)  # validated against the XSD before commit
        audit.record(
            session,
            "sepa_batch",
            batch.id,
            "create",
            f"Lot de prélèvements {batch.reference} ({scheme}) : {batch.count} facture(s), "
            f"{format_amount(batch.total)}, échéance {collection_date.strftime('%d/%m/%Y')}",
        )
        batches.append(batch)
    return batches


def batch_xml(session: Session, batch_id: int, cred: Creditor | None = None) -> bytes:
    """The pain.008.001.02 file of a batch (XSD-validated)."""
    batch = session.get(SepaBatch, batch_id)
    if batch is None:
        raise NotFoundError("Lot de prélèvements introuvable (n° interne {id}).", id=batch_id)
    cred = cred or creditor(session)
    lines = []
    for line in batch.lines:
        if line.status == "rejected" and batch.status == "exported":
            continue
        mandate = get_mandate(session, line.mandate_id)
        invoice = session.get(Invoice, line.invoice_id)
        assert invoice is not None
        lines.append(
            DebitLine(
                end_to_end_id=line.end_to_end_id,
                amount=line.amount,
                debtor_name=mandate.debtor_name,
                iban=mandate.iban,
                bic=mandate.bic,
                mandate_id=mandate.rum,
                mandate_date=mandate.signature_date,
                sequence=line.sequence,
                description=f"Facture {invoice.number} du {invoice.issue_date:%d/%m/%Y}",
            )
        )
    try:
        return build_pain008(
            cred, batch.reference, batch.collection_date, lines, scheme=batch.scheme
        )
    except DocumentInvalid:
        raise
    except Exception as exc:  # sepaxml raises bare Exceptions on bad input
        raise DocumentInvalid(
            "Fichier SEPA impossible à produire : {error}", error=str(exc)
        ) from exc


def confirm_batch(session: Session, batch_id: int, on: dt.date | None = None) -> SepaBatch:
    """The bank accepted the batch: each pending line becomes a payment allocated to its invoice."""
    require(session, "payments")
    batch = session.get(SepaBatch, batch_id)
    if batch is None:
        raise NotFoundError("Lot de prélèvements introuvable (n° interne {id}).", id=batch_id)
    if batch.status != "exported":
        raise StateError("Le lot {ref} est déjà confirmé.", ref=batch.reference)
    for line in batch.lines:
        if line.status != "pending":
            continue
        invoice = session.get(Invoice, line.invoice_id)
        assert invoice is not None
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
        line.status = "paid"
    batch.status = "confirmed"
    batch.confirmed_on = on or batch.collection_date
    audit.record(
        session,
        "sepa_batch",
        batch.id,
        "confirm",
        f"Lot {batch.reference} confirmé : {batch.count} prélèvement(s) encaissé(s)",
    )
    session.flush()
    return batch


def reject_line(session: Session, line_id: int, reason: str, on: dt.date) -> SepaBatchLine:
    """R-transaction: the debit came back. The invoice is open again, with a trace."""
    from app.payments.allocation import undo_allocation

    require(session, "payments")
    line = session.get(SepaBatchLine, line_id)
    if line is None:
        raise NotFoundError("Prélèvement introuvable (n° interne {id}).", id=line_id)
    if line.status == "rejected":
        raise StateError("Ce prélèvement est déjà rejeté.")
    reason = (reason or "").strip() or "Rejet bancaire"
    if line.payment_id is not None:
        from models.payments import Payment

        payment = session.get(Payment, line.payment_id)
        assert payment is not None
        for allocation in payment.allocations:
            if allocation.undone_at is None:
                undo_allocation(session, allocation.id, f"Rejet du prélèvement : {reason}")
        payment.status = PaymentStatus.REJECTED
        payment.rejected_on = on
        payment.reject_reason = reason[:200]
    line.status = "rejected"
    line.reject_reason = reason[:200]
    mandate = get_mandate(session, line.mandate_id)
    if line.sequence == "FRST":
        # The first collection did not go through: the next one is a first one again.
        mandate.collections_done = max(mandate.collections_done - 1, 0)
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


@dataclass(frozen=True)
class BatchRow:
    id: int
    reference: str
    collection_date: dt.date
    scheme: str
    count: int
    total: Decimal
    status: str


def list_batches(session: Session) -> list[BatchRow]:
    return [
        BatchRow(b.id, b.reference, b.collection_date, b.scheme, b.count, b.total, b.status)
        for b in session.scalars(select(SepaBatch).order_by(SepaBatch.collection_date.desc()))
    ]


@dataclass(frozen=True)
class BatchLineRow:
    id: int
    invoice_number: str
    client: str
    amount: Decimal
    sequence: str
    status: str
    status_label: str


LINE_STATUS = {"pending": "En attente", "paid": "Encaissé", "rejected": "Rejeté"}


def batch_lines(session: Session, batch_id: int) -> list[BatchLineRow]:
    rows = session.execute(
        select(SepaBatchLine, Invoice.number, Client.name)
        .join(Invoice, Invoice.id == SepaBatchLine.invoice_id)
        .join(Client, Client.id == Invoice.client_id)
        .where(SepaBatchLine.batch_id == batch_id)
        .order_by(SepaBatchLine.id)
    ).all()
    out = []
    for line, number, name in rows:
        label = LINE_STATUS.get(line.status, line.status)
        if line.reject_reason:
            label += f" : {line.reject_reason}"
        out.append(
            BatchLineRow(
                line.id, number or "", name, line.amount, line.sequence, line.status, label
            )
        )
    return out


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
