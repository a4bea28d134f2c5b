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
import json
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app import audit, clock, users
from app.billing import vat_rules
from app.billing.chain import (
    HASH_VERSION,
    INVOICE_FIELDS_V2,
    LINE_FIELDS,
    LINE_FIELDS_V2,
    content_hash_values,
)
from app.billing.draft_checks import confirm_checked
from app.billing.issue_dates import FIELD, check_open_months
from app.billing.records import client_records
from app.billing.states import INVOICE_WORKFLOW
from app.company_snapshot import freeze_logo, seller_snapshot
from app.db import insert_rows, paused_gc, update_rows
from app.errors import StateError, ValidationError
from app.money import ZERO, format_amount
from app.numbering import Number, next_numbers
from app.progress import Progress
from app.terms import PaymentTerms
from models.audit import AuditEvent
from models.clients import Client, ClientKind, Site
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


# json.dumps(data, ensure_ascii=False, sort_keys=True) with one encoder for every
# invoice of a run (same text: default separators).
_SNAPSHOT_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def client_snapshot(
    client: Client,
    site: Site | Any | None,
    mandate: tuple[str, str] | None = None,
    contract: str = "",
) -> str:
    """The buyer as the document shows it, frozen at issue: identity, address (for a
    copropriété, its syndic's mailing address too), its payment terms, for a direct debit
    the mandate announced (RUM, debtor IBAN), and the contract cited (BT-12)."""
    from app.addressing import postal_address

    data = {
        "code": client.code,
        "name": client.name,
        "kind": client.kind,
        "legal_form": client.legal_form,
        "siren": client.siren,
        "siret": client.siret,
        "vat_number": client.vat_number,
        "street": client.street,
        "street2": client.street2,
        "postcode": client.postcode,
        "city": client.city,
        "country": client.country,
        "email": client.invoice_email or client.email,
        "chorus_service_code": client.chorus_service_code,
        "chorus_commitment": client.chorus_commitment,
        "account_code": client.account_code,
        "manager": client.manager.name if client.manager_id and client.manager else "",
        "payment_term_kind": client.payment_term_kind,
        "payment_term_days": client.payment_term_days,
    }
    if mandate is not None:
        data["mandate"] = {"rum": mandate[0], "iban": mandate[1]}
    if client.kind == ClientKind.CONDOMINIUM and client.manager_id and client.manager:
        data["manager_address"] = postal_address(client)
    if contract:
        data["contract_reference"] = contract
    if site is not None:
        data["site"] = {
            "code": site.code,
            "name": site.name,
            "street": site.street,
            "postcode": site.postcode,
            "city": site.city,
            "country": getattr(site, "country", None) or "FR",
        }
    return _SNAPSHOT_JSON(data)


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


def contract_reference(code: str, reference: str) -> str:
    """BT-12: the contract code, and the client's own reference when it gave one."""
    return f"{code} ({reference})" if reference else code


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
    return (row[0], row[1]) if row else (0, "")


def legal_problems(client: Client) -> list[str]:
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
    invoice: Any, client: Client, lines: list[Any] | None = None, today: dt.date | None = None
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


def company_terms(company: CompanySettings | None) -> PaymentTerms:
    if company is None:
        return PaymentTerms()
    return PaymentTerms(company.payment_term_kind, company.payment_term_days)


def payment_terms_of(client: Any, default: PaymentTerms) -> PaymentTerms:
    """The client's payment terms (the firm's when the client's are not valid)."""
    try:
        return PaymentTerms(client.payment_term_kind, client.payment_term_days)
    except ValidationError:
        return default


def issued_due_date(invoice: Any, terms: PaymentTerms) -> dt.date:
    """A credit note is due at once; a month-end run's invoice is periodic (45 days from
    issue at most)."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return invoice.issue_date
    return terms.due_date(invoice.issue_date, periodic=invoice.run_id is not None)


def issue_terms(invoice: Any, client: Any, company: CompanySettings | None) -> tuple[dt.date, str]:
    """(due date, terms label) the draft gets when it is issued."""
    terms = payment_terms_of(client, company_terms(company))
    return issued_due_date(invoice, terms), terms.label()


# The fields an issue sets (the hashed ones among them come from the issued values,
# the others from the draft row as it is).
_ISSUE_SETS = frozenset(
    {
        "number",
        "status",
        "due_date",
        "payment_terms",
        "payment_means",
        "client_snapshot",
        "seller_snapshot",
        "issued_at",
        "issued_by_id",
        "chain_index",
        "previous_hash",
    }
)
# (field, set by the issue), fields of the current hash version
_HASHED = tuple((f, f in _ISSUE_SETS) for f in INVOICE_FIELDS_V2)
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
            *(f for f, issued in _HASHED if not issued),
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
) -> list[str]:
    """Issue drafts (in issue-date order); return their numbers. All or nothing.

    An invoice of a blocked client is refused (its credit notes are not): leave it out of
    the selection, or unblock the client. ``include_blocked`` is for rebuilding a history
    (the demo firm) where the client was blocked later.

    Invoices and lines are read as plain rows (no ORM objects: the canonical content and
    the hash chain are built in one pass over them), the issued values are written with
    one executemany, and invoices already loaded in the session are brought in step.
    """
    users.require(session, "issue_invoice")
    ids = list(dict.fromkeys(invoice_ids))
    if not ids:
        return []
    install_triggers(session)
    session.flush()
    invoice_table, line_table = Invoice.__table__, InvoiceLine.__table__
    invoices: list[Any] = []
    lines_of: dict[int, list[Any]] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        invoices.extend(
            session.execute(select(*_READ_COLUMNS).where(invoice_table.c.id.in_(chunk)))
        )
        # Each line as its hashed values (LINE_FIELDS_V2 order) after its invoice id, by
        # position (ties by id, the order the lines were written in).
        for line in session.execute(
            select(line_table.c.invoice_id, *(line_table.c[f] for f in LINE_FIELDS_V2))
            .where(line_table.c.invoice_id.in_(chunk))
            .order_by(line_table.c.invoice_id, line_table.c.position, line_table.c.id)
        ):
            lines_of.setdefault(line[0], []).append(line[1:])
    invoices.sort(key=lambda i: (i.issue_date, i.series_code, i.id))
    company = session.get(CompanySettings, 1)
    seller = seller_snapshot(company)  # every setting the documents show (app.company_snapshot)
    freeze_logo(session, company)
    default_terms = company_terms(company)
    clients = client_records(session, {i.client_id for i in invoices})
    index, previous = _last_hash(session)
    now = issued_at or clock.now()
    user_id = audit.current_user_id(session)
    numbers: list[str] = []
    updates: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    site_ids = {i.site_id for i in invoices if i.site_id}
    sites = (
        {
            st.id: st
            for st in session.execute(
                select(
                    Site.id,
                    Site.code,
                    Site.name,
                    Site.street,
                    Site.postcode,
                    Site.city,
                    Site.country,
                ).where(Site.id.in_(site_ids))
            )
        }
        if site_ids
        else {}
    )
    if not include_blocked:
        _refuse_blocked(invoices, clients)
    today = clock.today()  # nothing dated after today is numbered (app.billing.issue_dates)
    for invoice in invoices:
        _check_issuable(invoice, clients[invoice.client_id], lines_of.get(invoice.id, []), today)
    check_open_months(session, {i.issue_date for i in invoices})  # app.closings
    # Validated before numbering: the drafts' checks must match what is issued now.
    confirm_checked(session, [i.id for i in invoices])
    assigned: dict[int, Number] = {}
    for (series_code, issue_date, kind), group in groupby(
        invoices, key=lambda i: (i.series_code, i.issue_date, i.kind)
    ):
        ids_ = [i.id for i in group]
        taken = next_numbers(session, series_code, issue_date, ids_, doc_type=kind)
        assigned.update(zip(ids_, taken, strict=True))
    mandates = _mandates(session, invoices, clients)
    contracts = _contract_references(session, invoices)
    terms_of: dict[int, PaymentTerms] = {}
    for n, invoice in enumerate(invoices, 1):
        client = clients[invoice.client_id]
        terms = terms_of.get(client.id)
        if terms is None:
            terms = terms_of[client.id] = payment_terms_of(client, default_terms)
        site = sites.get(invoice.site_id) if invoice.site_id else None
        number = assigned[invoice.id]
        index += 1
        values = {
            "number": number.text,
            "status": InvoiceStatus.ISSUED,
            "due_date": issued_due_date(invoice, terms),
            "payment_terms": terms.label(),
            "payment_means": invoice.payment_means or client.payment_means,
            "client_snapshot": client_snapshot(
                client, site, mandates.get(invoice.id), contracts.get(invoice.contract_id, "")
            ),
            "seller_snapshot": seller,
            "issued_at": now,
            "issued_by_id": user_id,
            "chain_index": index,
            "previous_hash": previous,
        }
        # The invoice seen with the values it is being issued with (for its content hash).
        row = invoice._mapping
        hashed = [values[f] if issued else row[f] for f, issued in _HASHED]
        values["content_hash"] = previous = content_hash_values(
            hashed, lines_of.get(invoice.id, []), version=HASH_VERSION
        )
        updates.append({"id": invoice.id, **values})
        # What audit.record adds, written below in one executemany.
        events.append(
            {
                "user_id": user_id,
                "entity_type": "invoice",
                "entity_id": invoice.id,
                "client_id": invoice.client_id,
                "action": "issue",
                "summary": f"{InvoiceKind.LABELS[invoice.kind]} {number.text} émise "
                f"({format_amount(invoice.total_ttc)} TTC)",
                "details": "",
            }
        )
        numbers.append(number.text)
        if progress is not None and (n % 50 == 0 or n == len(invoices)):
            progress.step(n, len(invoices), number.text)
    # One executemany for every issued row (drafts until now: the triggers allow it).
    update_rows(session, invoice_table, updates)
    insert_rows(session, AuditEvent.__table__, events)
    # Keep invoices already loaded in the session in step with the rows, without making
    # them dirty.
    by_id = {row["id"]: row for row in updates}
    for obj in list(session.identity_map.values()):
        identity = inspect(obj).identity if isinstance(obj, Invoice) else None
        if identity and identity[0] in by_id:
            for key, value in by_id[identity[0]].items():
                if key != "id":
                    set_committed_value(obj, key, value)
    session.flush()
    return numbers
