"""SEPA direct debit: batches of due invoices → pain.008 (the bank's answers — confirmed,
cancelled, a debit rejected — are in :mod:`app.payments.sepa_bank`).

A batch takes the issued invoices due on or before the collection date whose clients pay
by direct debit and hold a usable mandate, issued at least the pre-notification delay
(company setting, 14 days) before it; the collection date must be a TARGET2 business day
after the export (D-1). The file is validated against the ISO XSD before anything is
written (a failure rolls the batch back). The collection is counted on the mandate only
once the bank confirms the batch: an exported batch that is cancelled or never confirmed
leaves the mandate's next collection a FRST.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.company import get_company
from app.errors import DocumentInvalid, StateError, ValidationError, ValidationErrors
from app.lookup import get_row
from app.money import ZERO, format_amount
from app.payments.sepa_mandates import (
    MandateForm,
    MandateRow,
    get_mandate,
    list_mandates,
    mandate_form,
    planned_collection_date,
    prenotification,
    revoke_mandate,
    save_mandate,
    suggest_rum,
    usable_mandate,
)
from app.payments.sepa_prenotify import announced_date, renotified_dates, renotify
from app.payments.sepa_rules import (
    FIRST,
    ONE_OFF,
    check_collection_date,
    collection_problem,
    sequence_type,
    validate_ics,
)
from app.progress import NO_PROGRESS, Progress
from app.receivables import open_amount
from app.storage import FileBatch, discard_if_rolled_back, write_file
from app.users import require
from models.clients import Client
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.payments import (
    SepaBatch,
    SepaBatchLine,
    SepaBatchStatus,
    SepaLineStatus,
    SepaMandate,
)
from reports.sepa_xml import Creditor, DebitLine, build_pain008

# Mandate functions live in app.payments.sepa_mandates; callers keep using ``sepa.<name>``.
__all__ = [
    "MandateForm",
    "MandateRow",
    "announced_date",
    "get_mandate",
    "list_mandates",
    "mandate_form",
    "planned_collection_date",
    "prenotification",
    "renotify",
    "revoke_mandate",
    "save_mandate",
    "suggest_rum",
    "usable_mandate",
]


ANNOUNCED_PROBLEM = "prélèvement annoncé au client"


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
    problem: str  # "" when it can be collected, else why it is left out (French)
    issue_date: dt.date | None = None
    sequence: str = ""  # FRST / RCUR / OOFF it would be collected with


def prenotification_days(session: Session) -> int:
    """Calendar days of pre-notification agreed with direct-debit clients (setting)."""
    return get_company(session).sepa_prenotification_days


def _pending_first(session: Session) -> dict[int, str]:
    """Mandates whose first (or one-off) collection sits in a batch not yet confirmed."""
    rows = session.execute(
        select(SepaBatchLine.mandate_id, SepaBatch.reference)
        .join(SepaBatch, SepaBatch.id == SepaBatchLine.batch_id)
        .where(
            SepaBatch.status == SepaBatchStatus.EXPORTED,
            SepaBatchLine.status == SepaLineStatus.PENDING,
            SepaBatchLine.sequence.in_(("FRST", "OOFF")),
        )
    ).all()
    return {mandate_id: reference for mandate_id, reference in rows}


def candidates(
    session: Session,
    collection_date: dt.date,
    *,
    invoice_ids: list[int] | None = None,
) -> list[Candidate]:
    """Open invoices due on or before the date, of clients paying by direct debit.

    Each row says why it would be left out (no usable mandate, pre-notification too short,
    first collection of the mandate still awaiting the bank's confirmation, one-off mandate
    already taken by another invoice) or the sequence type it would be collected with.
    """
    notice_days = prenotification_days(session)
    pending = select(SepaBatchLine.invoice_id).where(SepaBatchLine.status == SepaLineStatus.PENDING)
    query = (
        select(Invoice, Client)
        .join(Client, Client.id == Invoice.client_id)
        .where(
            # Open items taken over from the old software are collected like the others.
            Invoice.status.in_(InvoiceStatus.RECEIVABLE),
            Invoice.kind.in_((InvoiceKind.INVOICE, InvoiceKind.DOWN_PAYMENT)),
            Invoice.due_date <= collection_date,
            Client.payment_means == "direct_debit",
            Invoice.id.not_in(pending),
        )
        .order_by(Invoice.due_date, Invoice.number)
    )
    if invoice_ids is not None:
        query = query.where(Invoice.id.in_(invoice_ids))
    waiting = _pending_first(session)
    renotified = renotified_dates(session)
    mandates: dict[int, SepaMandate | None] = {}
    taken: set[int] = set()  # mandates already used by an earlier row of this selection
    out: list[Candidate] = []
    for invoice, client in session.execute(query).all():
        amount = open_amount(session, invoice)
        if amount <= ZERO:
            continue
        if client.id not in mandates:
            mandates[client.id] = usable_mandate(session, client.id, collection_date)
        mandate = mandates[client.id]
        due = invoice.due_date or invoice.issue_date
        problem, sequence = "", ""
        if mandate is None:
            problem = "aucun mandat SEPA valide"
        else:
            problem = collection_problem(invoice.issue_date, due, collection_date, notice_days)
            # A mandate's first debit is FRST; its other invoices of the same file join that
            # one FRST transaction (see batch_xml): never an RCUR beside its FRST.
            sequence = sequence_type(mandate.kind, mandate.collections_done)
            announced = renotified.get(invoice.id) or planned_collection_date(session, invoice)
            if problem:
                pass
            elif mandate.id in waiting:
                problem = (
                    f"premier prélèvement du mandat en attente de confirmation "
                    f"(lot {waiting[mandate.id]})"
                )
            elif mandate.kind == ONE_OFF and mandate.id in taken:
                problem = "mandat ponctuel : un seul prélèvement possible"
            elif announced != collection_date:
                problem = (
                    f"{ANNOUNCED_PROBLEM} pour le {announced:%d/%m/%Y} : prélever à "
                    f"cette date, ou lui envoyer une nouvelle pré-notification pour le "
                    f"{collection_date:%d/%m/%Y}"
                )
            else:
                taken.add(mandate.id)
        out.append(
            Candidate(
                invoice.id,
                invoice.number or "",
                client.id,
                client.name,
                due,
                amount,
                mandate.id if mandate else None,
                mandate.rum if mandate else "",
                mandate.scheme if mandate else "",
                problem,
                invoice.issue_date,
                "" if problem else sequence,
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
    """One batch per scheme (Core, B2B) from the collectable candidates.

    The mandates are not touched here: a collection counts only once the bank confirms it.
    """
    require(session, "payments")
    created_on = created_on or dt.date.today()
    check_collection_date(collection_date, created_on)
    cred = creditor(session)
    found = candidates(session, collection_date, invoice_ids=invoice_ids)
    chosen = [c for c in found if not c.problem]
    if invoice_ids is not None and (refused := [c for c in found if c.problem]):
        raise ValidationErrors(
            [
                ValidationError("Factures", "{number} : {problem}.", number=c.invoice_number,
                                problem=c.problem)
                for c in refused
            ]
        )  # fmt: skip
    if not chosen:
        raise ValidationError(
            "Date de prélèvement",
            "Aucune facture à prélever le {date} (factures échues de clients en prélèvement "
            "avec mandat valide et préavis respecté){left}.",
            date=collection_date.strftime("%d/%m/%Y"),
            left=f" ; {len(found)} facture(s) écartée(s)" if found else "",
        )
    batches = []
    for scheme in sorted({c.scheme for c in chosen}):
        batch = SepaBatch(
            reference=_batch_reference(session, collection_date),
            created_on=created_on,
            collection_date=collection_date,
            scheme=scheme,
        )
        session.add(batch)
        session.flush()
        for c in (c for c in chosen if c.scheme == scheme):
            if c.mandate_id is None:
                raise StateError(
                    "Facture {number} : aucun mandat SEPA utilisable.", number=c.invoice_number
                )
            batch.lines.append(
                SepaBatchLine(
                    invoice_id=c.invoice_id,
                    mandate_id=c.mandate_id,
                    amount=c.amount,
                    sequence=c.sequence,
                    end_to_end_id=c.invoice_number[:35],
                )
            )
        batch.count = len(batch.lines)
        batch.total = sum((line.amount for line in batch.lines), ZERO)
        session.flush()
        batch_xml(session, batch.id, cred)  # validated against the XSD before commit
        firsts = sum(1 for line in batch.lines if line.sequence != "RCUR")
        audit.record(
            session,
            "sepa_batch",
            batch.id,
            "create",
            f"Lot de prélèvements {batch.reference} ({scheme}) : {batch.count} facture(s) "
            f"dont {firsts} premier(s) prélèvement(s), {format_amount(batch.total)}, "
            f"échéance {collection_date.strftime('%d/%m/%Y')}",
        )
        batches.append(batch)
    return batches


@dataclass(frozen=True)
class ExportedBatch:
    """A batch recorded by :func:`export_batches`, and where its file went."""

    id: int
    reference: str
    scheme: str
    count: int
    total: Decimal
    path: Path


def out_paths(out: Path, schemes: list[str]) -> list[Path]:
    """The first scheme goes to ``out``; a second one (B2B) gets a suffixed name."""
    return [
        out if i == 0 else out.with_name(f"{out.stem}-{s}{out.suffix}")
        for i, s in enumerate(schemes)
    ]


def export_batches(
    session: Session, collection_date: dt.date, out: Path, progress: Progress = NO_PROGRESS
) -> list[ExportedBatch]:
    """« Créer le lot et enregistrer le fichier… » and ``sepa export``: the batches of
    ``collection_date`` recorded (:func:`create_batches`) and their pain.008 files written
    (``out``; a B2B batch beside it, :func:`out_paths`), all or nothing: a file the disk
    refuses, a cancel through ``progress`` or a transaction that does not commit leaves
    neither batch nor file. ``session``: a write session."""
    batches = create_batches(session, collection_date)
    files = FileBatch()
    discard_if_rolled_back(session, files.paths)
    exported = []
    for index, (batch, path) in enumerate(
        zip(batches, out_paths(out, [b.scheme for b in batches]), strict=True)
    ):
        progress.step(index, len(batches), "Écriture des fichiers SEPA")
        written = files.write(path, batch_xml(session, batch.id))
        exported.append(
            ExportedBatch(
                batch.id, batch.reference, batch.scheme, batch.count, batch.total, written
            )
        )
    progress.step(len(batches), len(batches), "Enregistrement des lots")
    return exported


def batch_xml(session: Session, batch_id: int, cred: Creditor | None = None) -> bytes:
    """The pain.008.001.02 file of a batch (XSD-validated)."""
    batch = get_row(session, SepaBatch, batch_id, "Lot de prélèvements")
    cred = cred or creditor(session)
    lines = []
    for group in transactions(
        [
            x
            for x in batch.lines
            if not (
                x.status == SepaLineStatus.REJECTED and batch.status == SepaBatchStatus.EXPORTED
            )
        ]
    ):
        line = group[0]
        mandate = get_mandate(session, line.mandate_id)
        invoices = [session.get(Invoice, x.invoice_id) for x in group]
        texts = [f"{i.number} du {i.issue_date:%d/%m/%Y}" for i in invoices if i is not None]
        label = "Facture" if len(texts) == 1 else "Factures"
        lines.append(
            DebitLine(
                end_to_end_id=line.end_to_end_id,
                amount=sum((x.amount for x in group), ZERO),
                debtor_name=mandate.debtor_name,
                iban=mandate.iban,
                bic=mandate.bic,
                mandate_id=mandate.rum,
                mandate_date=mandate.signature_date,
                sequence=line.sequence,
                description=f"{label} {', '.join(texts)}"[:140],
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


def transactions(lines: list[SepaBatchLine]) -> list[list[SepaBatchLine]]:
    """The debits of a file: one per line, except that the lines of a mandate's first debit
    (FRST) form one transaction — a mandate never has an RCUR beside its FRST in a file."""
    groups: dict[object, list[SepaBatchLine]] = {}
    for line in lines:
        key = ("FRST", line.mandate_id) if line.sequence == FIRST else ("line", line.id)
        groups.setdefault(key, []).append(line)
    return list(groups.values())


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


LINE_STATUS = SepaLineStatus.LABELS


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


def waiting_for_notice(
    session: Session, collection_date: dt.date, numbers: list[str] | None = None
) -> list[int]:
    """Invoices that would be collected on ``collection_date`` but for the date announced
    to the client (all of them, or those numbered ``numbers``)."""
    found = candidates(session, collection_date)
    if numbers is not None:
        known = {c.invoice_number: c for c in found}
        missing = [n for n in numbers if n not in known]
        if missing:
            raise ValidationError(
                "Factures",
                "{numbers} : pas à prélever le {date} (réglée, hors prélèvement ou non échue).",
                numbers=", ".join(missing),
                date=f"{collection_date:%d/%m/%Y}",
            )
        found = [known[n] for n in numbers]
    return [c.invoice_id for c in found if c.problem.startswith(ANNOUNCED_PROBLEM)]


def renotify_to_file(
    session: Session,
    invoice_ids: list[int],
    collection_date: dt.date,
    out: Path,
    progress: Progress = NO_PROGRESS,
) -> list[str]:
    """« Nouvelle pré-notification… » and ``sepa prenotifier``: the new pre-notifications
    recorded (:func:`~app.payments.sepa_prenotify.renotify`) and their texts written to
    ``out`` (one a line), all or none: a refused file, a cancel or a transaction that does
    not commit leaves neither. ``session``: a write session."""
    texts = renotify(session, invoice_ids, collection_date) if invoice_ids else []
    progress.step(0, 1, "Texte des pré-notifications")
    written: list[Path] = []
    discard_if_rolled_back(session, written)
    written.append(write_file(out, "\n".join(texts) + ("\n" if texts else "")))
    progress.step(1, 1, "Enregistrement des pré-notifications")
    return texts
