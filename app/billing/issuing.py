"""Issuing: number, freeze, snapshot and chain draft invoices.

Issuing runs inside the caller's write transaction: the number is taken there
(``app.numbering.next_number``), so a rollback gives it back. An issued document never
changes again. This is enforced twice below the UI:

- an ORM ``before_flush`` guard (:mod:`app.billing.guard`, installed at start-up) refuses
  any change to an issued invoice or its lines;
- SQLite triggers (installed on first issue) refuse UPDATE/DELETE of issued rows even
  from another program; someone who drops them and edits the file is caught by the hash
  chain in ``propreo check``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Any, cast

from sqlalchemy import Row, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app import audit, clock, users
from app.billing import vat_rules
from app.billing.chain import LINE_FIELDS, LINE_FIELDS_V2
from app.billing.draft_checks import confirm_checked
from app.billing.issue_build import (
    HASHED,
    AnyClient,
    IssueBuild,
    IssueContext,
    IssueDraft,
    SiteRecord,
    build_issue,
    company_terms,
    contract_reference,
)
from app.billing.issue_dates import FIELD, check_open_months
from app.billing.records import ClientRecord, client_records
from app.billing.states import INVOICE_WORKFLOW
from app.company_snapshot import freeze_logo, seller_snapshot
from app.db import paused_gc, update_rows
from app.errors import StateError, ValidationError
from app.money import ZERO
from app.numbering import Number, next_numbers
from app.progress import Progress
from models.clients import Site
from models.company import CompanySettings
from models.contracts import Contract
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus

TRIGGERS = {
    "trg_invoices_issued_update": """
        CREATE TRIGGER IF NOT EXISTS trg_invoices_issued_update
        BEFORE UPDATE ON invoices WHEN OLD.status = 'issued'
        BEGIN SELECT RAISE(ABORT, 'Document émis : modification interdite'); END""",
    "trg_invoices_issued_delete": """
        CREATE TRIGGER IF NOT EXISTS trg_invoices_issued_delete
        BEFORE DELETE ON invoices WHEN OLD.status = 'issued'
        BEGIN SELECT RAISE(ABORT, 'Document émis : suppression interdite'); END""",
    "trg_invoice_lines_issued_update": """
        CREATE TRIGGER IF NOT EXISTS trg_invoice_lines_issued_update
        BEFORE UPDATE ON invoice_lines
        WHEN (SELECT status FROM invoices WHERE id = OLD.invoice_id) = 'issued'
        BEGIN SELECT RAISE(ABORT, 'Ligne de document émis : modification interdite'); END""",
    "trg_invoice_lines_issued_delete": """
        CREATE TRIGGER IF NOT EXISTS trg_invoice_lines_issued_delete
        BEFORE DELETE ON invoice_lines
        WHEN (SELECT status FROM invoices WHERE id = OLD.invoice_id) = 'issued'
        BEGIN SELECT RAISE(ABORT, 'Ligne de document émis : suppression interdite'); END""",
    "trg_invoice_lines_issued_insert": """
        CREATE TRIGGER IF NOT EXISTS trg_invoice_lines_issued_insert
        BEFORE INSERT ON invoice_lines
        WHEN (SELECT status FROM invoices WHERE id = NEW.invoice_id) = 'issued'
        BEGIN SELECT RAISE(ABORT, 'Document émis : ajout de ligne interdit'); END""",
}


def install_triggers(session: Session) -> None:
    """Create the immutability triggers (idempotent, inside the transaction); PostgreSQL's
    in :mod:`app.billing.pg_triggers`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from app.billing.pg_triggers import install

        install(session)
        return
    if dialect != "sqlite":
        return
    for ddl in TRIGGERS.values():
        session.execute(text(ddl))


def _mandates(
    session: Session, invoices: list[Any], clients: dict[int, Any]
) -> dict[int, tuple[str, str]]:
    """Invoice id → the mandate its direct debit announces (RUM, IBAN): the client's active
    mandate at issue, as app.documents.build prints it. Without one the invoice asks for a
    transfer until a mandate is signed, and nothing is frozen."""
    from models.payments import SepaMandate

    debited = {
        i.id: i.client_id
        for i in invoices
        if (i.payment_means or clients[i.client_id].payment_means) == "direct_debit"
    }
    if not debited:
        return {}
    active: dict[int, tuple[str, str]] = {}
    for client_id, rum, iban in session.execute(
        select(SepaMandate.client_id, SepaMandate.rum, SepaMandate.iban)
        .where(SepaMandate.client_id.in_(set(debited.values())), SepaMandate.status == "active")
        .order_by(SepaMandate.id)
    ):
        active.setdefault(client_id, (rum, iban))
    return {i: active[c] for i, c in debited.items() if c in active}


def _contract_references(session: Session, invoices: list[Any]) -> dict[int, str]:
    """Contract id → its BT-12 text, for the contracts these invoices cite."""
    ids = sorted({i.contract_id for i in invoices if i.contract_id})
    return {
        row.id: contract_reference(row.code, row.reference)
        for start in range(0, len(ids), 500)
        for row in session.execute(
            select(Contract.id, Contract.code, Contract.reference).where(
                Contract.id.in_(ids[start : start + 500])
            )
        )
    }


def _last_hash(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(Invoice.chain_index, Invoice.content_hash)
        .where(Invoice.chain_index.is_not(None))
        .order_by(Invoice.chain_index.desc())
        .limit(1)
    ).first()
    return (row[0] or 0, row[1]) if row else (0, "")


def legal_problems(client: AnyClient) -> list[str]:
    """Client data a legal invoice needs (name, address; SIREN for a business)."""
    problems = []
    if not client.street or not client.postcode or not client.city:
        problems.append("adresse de facturation incomplète")
    if client.is_professional and client.country == "FR" and not client.siren:
        problems.append("SIREN manquant")
    return problems


_CATEGORY = LINE_FIELDS.index("vat_category")


def _refuse_blocked(invoices: list[Any], clients: dict[int, Any]) -> None:
    from app.clients import refuse_if_blocked

    for invoice in invoices:
        if invoice.kind != InvoiceKind.CREDIT_NOTE:
            refuse_if_blocked(clients[invoice.client_id], "émission de ses factures")


def _check_issuable(
    invoice: Any,
    client: ClientRecord,
    lines: list[Any] | None = None,
    today: dt.date | None = None,
) -> None:
    if not INVOICE_WORKFLOW.can(invoice.status, InvoiceStatus.ISSUED):
        raise StateError("Le document {number} est déjà émis.", number=invoice.number)
    if today is not None and invoice.issue_date > today:
        raise ValidationError(
            FIELD,
            "Le brouillon de {client} est daté du {day}, après aujourd'hui ({today}) : un "
            "document est daté du jour de son émission. Corrigez sa date (ou relancez la "
            "facturation du mois) avant de l'émettre.",
            client=client.name,
            day=f"{invoice.issue_date:%d/%m/%Y}",
            today=f"{today:%d/%m/%Y}",
        )
    if not (invoice.lines if lines is None else lines):
        raise ValidationError("Lignes", "Un document sans ligne ne peut pas être émis.")
    if invoice.total_ttc < ZERO:
        raise ValidationError(
            "Total", "Une facture au total négatif ne peut être émise : établissez un avoir."
        )
    missing = legal_problems(client)
    if missing:
        raise ValidationError(
            "Client",
            "Facture impossible pour {client} : {missing}.",
            client=client.name,
            missing=", ".join(missing),
        )
    if lines is None:
        categories = [line.vat_category for line in invoice.lines]
    else:  # rows in LINE_FIELDS order
        categories = [row[_CATEGORY] for row in lines]
    vat_rules.check_reverse_charge(categories, client)


# The draft's columns an issue reads: its hashed fields the issue does not set, and what
# the checks, the numbering and the issued values need (not the timestamps, notes...).
_READ_COLUMNS = tuple(
    Invoice.__table__.c[f]
    for f in dict.fromkeys(
        (
            "id",
            "status",
            "number",
            "kind",
            "series_code",
            "issue_date",
            "client_id",
            "site_id",
            "run_id",
            "payment_means",
            "total_ttc",
            *(f for f, issued in HASHED if not issued),
        )
    )
)


@paused_gc()
def issue_invoices(
    session: Session,
    invoice_ids: Iterable[int],
    *,
    progress: Progress | None = None,
    issued_at: dt.datetime | None = None,
    include_blocked: bool = False,
    fingerprinted: Mapping[int, str] | None = None,
) -> list[str]:
    """Issue drafts (in issue-date order); return their numbers. All or nothing.

    An invoice of a blocked client is refused (its credit notes are not): leave it out of
    the selection, or unblock the client. ``include_blocked`` is for rebuilding a history
    (the demo firm) where the client was blocked later. ``fingerprinted``: the drafts'
    fingerprints computed earlier in this transaction (:func:`app.billing.draft_checks.
    record_checks`), confirmed without computing them again.

    Load (:func:`_load_drafts`: plain rows, no ORM objects) → check (each draft, then the
    validation of the drafts' checks) → number (:func:`_take_numbers`, in this
    transaction) → build (:func:`app.billing.issue_build.build_issue`, no session: the
    issued values, the hash chain, the audit rows) → write (:func:`_write_issued`).
    """
    users.require(session, "issue_invoice")
    ids = list(dict.fromkeys(invoice_ids))
    if not ids:
        return []
    install_triggers(session)
    session.flush()
    invoices, lines_of = _load_drafts(session, ids)
    clients = client_records(session, {i.client_id for i in invoices})
    if not include_blocked:
        _refuse_blocked(invoices, clients)
    today = clock.today()  # nothing dated after today is numbered (app.billing.issue_dates)
    for invoice in invoices:
        _check_issuable(invoice, clients[invoice.client_id], lines_of.get(invoice.id, []), today)
    check_open_months(session, {i.issue_date for i in invoices})  # app.closings
    # Validated before numbering: the drafts' checks must match what is issued now.
    confirm_checked(session, [i.id for i in invoices], fingerprinted)
    company = session.get(CompanySettings, 1)
    freeze_logo(session, company)
    index, previous = _last_hash(session)
    drafts = [_issue_draft(i) for i in invoices]
    build = build_issue(
        drafts,
        numbers=_take_numbers(session, invoices),
        lines_of=lines_of,
        clients=clients,
        sites=_sites(session, {i.site_id for i in invoices if i.site_id}),
        mandates=_mandates(session, invoices, clients),
        contracts=_contract_references(session, invoices),
        context=IssueContext(
            seller=seller_snapshot(company),  # every setting the documents show
            default_terms=company_terms(company),
            now=issued_at or clock.now(),
            user_id=audit.current_user_id(session),
            chain_index=index,
            previous_hash=previous,
        ),
        progress=progress,
    )
    _write_issued(session, build)
    return build.numbers


def _load_drafts(
    session: Session, ids: list[int]
) -> tuple[list[Row[Any]], dict[int, list[tuple[object, ...]]]]:
    """The drafts' rows (:data:`_READ_COLUMNS`) in issue order (date, series, id), and each
    one's lines as their hashed values (LINE_FIELDS_V2 order) by position (ties by id, the
    order the lines were written in)."""
    invoice_table, line_table = Invoice.__table__, InvoiceLine.__table__
    invoices: list[Row[Any]] = []
    lines_of: dict[int, list[tuple[object, ...]]] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        invoices.extend(
            session.execute(select(*_READ_COLUMNS).where(invoice_table.c.id.in_(chunk)))
        )
        for line in session.execute(
            select(line_table.c.invoice_id, *(line_table.c[f] for f in LINE_FIELDS_V2))
            .where(line_table.c.invoice_id.in_(chunk))
            .order_by(line_table.c.invoice_id, line_table.c.position, line_table.c.id)
        ):
            lines_of.setdefault(line[0], []).append(tuple(line[1:]))
    invoices.sort(key=lambda i: (i.issue_date, i.series_code, i.id))
    return invoices, lines_of


def _issue_draft(row: Row[Any]) -> IssueDraft:
    return IssueDraft(
        row.id,
        row.kind,
        row.issue_date,
        row.client_id,
        row.site_id,
        row.contract_id,
        row.run_id,
        row.payment_means,
        row.total_ttc,
        cast(Mapping[str, object], row._mapping),  # read in place, not copied
    )


def _take_numbers(session: Session, invoices: list[Row[Any]]) -> dict[int, Number]:
    """Draft id → its number, taken per (series, date, kind) in issue order."""
    assigned: dict[int, Number] = {}
    for (series_code, issue_date, kind), group in groupby(
        invoices, key=lambda i: (i.series_code, i.issue_date, i.kind)
    ):
        ids = [i.id for i in group]
        taken = next_numbers(session, series_code, issue_date, ids, doc_type=kind)
        assigned.update(zip(ids, taken, strict=True))
    return assigned


def _sites(session: Session, site_ids: set[int]) -> dict[int, SiteRecord]:
    if not site_ids:
        return {}
    columns = (Site.id, Site.code, Site.name, Site.street, Site.postcode, Site.city, Site.country)
    return {
        row[0]: SiteRecord(*row)
        for row in session.execute(select(*columns).where(Site.id.in_(site_ids)))
    }


def _write_issued(session: Session, build: IssueBuild) -> None:
    """One executemany for every issued row (drafts until now: the triggers allow it) and
    one for their audit rows; invoices already loaded in the session are brought in step
    with the rows without becoming dirty."""
    update_rows(session, Invoice.__table__, build.updates)
    audit.record_rows(session, build.events)
    by_id = {row["id"]: row for row in build.updates}
    for obj in list(session.identity_map.values()):
        identity = inspect(obj).identity if isinstance(obj, Invoice) else None
        if identity and identity[0] in by_id:
            for key, value in by_id[identity[0]].items():
                if key != "id":
                    set_committed_value(obj, key, value)
    session.flush()
