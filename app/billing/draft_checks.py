"""Validate before numbering: a draft is checked as it would be issued, once per content.

A draft is rendered as the Factur-X XML it would become (provisional number, its issue
date, the client, site and company as they would be frozen now) and checked with the
rule sets of its buyer (``reports.rule_sets``: XSD, EN 16931, BR-FR where it applies,
mandatory mentions). What was checked is kept as a *fingerprint* — a SHA-256 of every
value the document is built from — with the French reason of a refusal, in
``draft_checks``. The use cases check drafts outside any write transaction (many at once
on the rendering pool, :func:`check_drafts`; the issuing use case that chains the check and
the numbering is :mod:`app.billing.checked_issue`); the numbering transaction
(:func:`confirm_checked`, called by ``issue_invoices``) only recomputes the fingerprints
(a few set-based reads) and refuses a draft whose check failed. A draft changed since its
check — or never checked because its caller skipped :func:`check_drafts` — is checked
there as a last resort: nothing is ever numbered unchecked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, select, type_coerce
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.sqltypes import NULLTYPE

from app.billing.issue_build import client_snapshot, issue_terms
from app.company_snapshot import seller_values
from app.db import Database, insert_rows
from app.documents import render
from app.documents.build import build_document
from app.errors import DocumentInvalid, PropreoError
from app.lookup import get_row
from app.progress import NO_PROGRESS, Progress
from models.clients import Client, Site
from models.company import CompanySettings
from models.contracts import Contract
from models.invoices import DraftCheck, Invoice, InvoiceLine, InvoiceStatus
from models.payments import SepaMandate

# Bumped when the rules or the way a document is built change: every draft is rechecked.
RULES_VERSION = "2026-12-07"
_SKIPPED = frozenset(
    {
        "id",
        "invoice_id",
        "status",
        "number",
        "created_at",
        "updated_at",
        "content_hash",
        "previous_hash",
        "chain_index",
        "issued_at",
        "issued_by_id",
    }
)
_CHUNK = 500


def _rows(session: Session, table: Any, column: Any, ids: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        result = session.execute(select(table).where(column.in_(ids[start : start + _CHUNK])))
        rows.extend(dict(r._mapping) for r in result)
    return rows


def _stored(table: Any) -> list[Any]:
    """The columns of ``table`` a fingerprint covers (all but :data:`_SKIPPED`), read as
    stored: no conversion of each value to its Python type."""
    return [type_coerce(c, NULLTYPE).label(c.key) for c in table.columns if c.key not in _SKIPPED]


def _by_key(
    session: Session,
    columns: list[Any],
    key: Any,
    ids: Iterable[Any],
    *,
    order: tuple[Any, ...] = (),
    where: tuple[Any, ...] = (),
    from_: Any = None,
) -> dict[Any, list[tuple[Any, ...]]]:
    """Rows (tuples of ``columns``) whose ``key`` is in ``ids``, grouped by that key."""
    wanted = sorted({i for i in ids if i is not None})
    out: dict[Any, list[tuple[Any, ...]]] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = select(key, *columns).where(key.in_(wanted[start : start + _CHUNK]), *where)
        if from_ is not None:
            query = query.select_from(from_)
        for row in session.execute(query.order_by(key, *order)):
            out.setdefault(row[0], []).append(tuple(row[1:]))
    return out


def fingerprints(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The fingerprint of each draft: its row and lines, its client (and syndic's name),
    site, contract, corrected invoice, active mandates, and the company settings — every
    column as stored (timestamps, ids and what the issue sets aside: :data:`_SKIPPED`), in
    the table's column order, hashed as one ``repr`` (a change of schema changes every
    fingerprint: the drafts are checked again)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    session.flush()
    invoices_t, lines_t = Invoice.__table__, InvoiceLine.__table__
    clients_t, sites_t = Client.__table__, Site.__table__
    contracts_t, mandates_t = Contract.__table__, SepaMandate.__table__
    refs = ("client_id", "site_id", "contract_id", "origin_invoice_id")
    invoices = _by_key(
        session, [*(invoices_t.c[k] for k in refs), *_stored(invoices_t)], invoices_t.c.id, wanted
    )
    lines = _by_key(
        session,
        _stored(lines_t),
        lines_t.c.invoice_id,
        wanted,
        order=(lines_t.c.position, lines_t.c.id),
    )
    refs_of = {i: rows[0][:4] for i, rows in invoices.items()}
    manager = clients_t.alias("manager")
    clients = _by_key(
        session,
        [*_stored(clients_t), manager.c.name],
        clients_t.c.id,
        (r[0] for r in refs_of.values()),
        from_=clients_t.outerjoin(manager, manager.c.id == clients_t.c.manager_id),
    )
    sites = _by_key(session, _stored(sites_t), sites_t.c.id, (r[1] for r in refs_of.values()))
    contracts = _by_key(
        session, _stored(contracts_t), contracts_t.c.id, (r[2] for r in refs_of.values())
    )
    origins = _by_key(
        session,
        [invoices_t.c.number, type_coerce(invoices_t.c.issue_date, NULLTYPE)],
        invoices_t.c.id,
        (r[3] for r in refs_of.values()),
    )
    mandates = _by_key(  # what a direct-debit document announces (app.documents.build)
        session,
        [mandates_t.c.rum, mandates_t.c.iban],
        mandates_t.c.client_id,
        (r[0] for r in refs_of.values()),
        order=(mandates_t.c.id,),
        where=(mandates_t.c.status == "active",),
    )
    company = session.execute(select(*_stored(CompanySettings.__table__))).first()
    company_hash = hashlib.sha256(repr(tuple(company or ())).encode()).hexdigest()
    out: dict[int, str] = {}
    for invoice_id, rows in invoices.items():
        client_id, site_id, contract_id, origin_id = refs_of[invoice_id]
        content = (
            RULES_VERSION,
            rows[0][4:],
            lines.get(invoice_id),
            clients.get(client_id),
            sites.get(site_id),
            contracts.get(contract_id),
            origins.get(origin_id),
            mandates.get(client_id),
            company_hash,
        )
        out[invoice_id] = hashlib.sha256(repr(content).encode()).hexdigest()
    return out


def stored_checks(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """(fingerprint, refusal) of the last check of each draft."""
    table = DraftCheck.__table__
    return {
        row["invoice_id"]: (row["fingerprint"], row["error"])
        for row in _rows(session, table, table.c.invoice_id, ids)
    }


def store_checks(session: Session, results: dict[int, tuple[str, str]]) -> None:
    """Record (fingerprint, refusal) for each draft checked (replacing an older check)."""
    if not results:
        return
    table = cast(Table, DraftCheck.__table__)
    ids = list(results)
    for start in range(0, len(ids), _CHUNK):
        session.execute(delete(table).where(table.c.invoice_id.in_(ids[start : start + _CHUNK])))
    now = dt.datetime.now(dt.UTC)
    insert_rows(
        session,
        table,
        [
            {"invoice_id": i, "fingerprint": fp, "error": error, "checked_at": now}
            for i, (fp, error) in results.items()
        ],
    )


@dataclass(frozen=True)
class Refusal:
    invoice_id: int
    message: str


# What to change, by the rule (or business term) a refused draft failed.
ADVICE = (
    (
        ("MENTION-SIREN-CLIENT", "BT-47"),
        "le client {code} n'a pas de SIREN : renseignez-le sur sa fiche (onglet Identité), "
        "ou classez-le en particulier s'il n'est pas une entreprise",
    ),
    (
        ("BR-FR-12", "BT-49"),
        "le client {code} n'a pas d'adresse de facturation électronique : renseignez son "
        "SIREN ou son adresse électronique sur sa fiche",
    ),
    (
        ("MENTION-AVOIR", "BR-FR-CO-05", "BT-25", "BT-26"),
        "l'avoir doit citer la facture qu'il corrige : émettez d'abord cette facture, ou "
        "établissez l'avoir depuis la facture (Facturation › Avoir)",
    ),
    (
        ("MENTION-CLIENT",),
        "complétez le nom et l'adresse du client {code} sur sa fiche",
    ),
    (
        ("MENTION-VENDEUR", "BT-27", "BT-30", "BT-31", "BT-34"),
        "complétez l'identité de l'entreprise (Paramètres › Société)",
    ),
)
DEFAULT_ADVICE = "corrigez la donnée nommée par la règle, puis émettez à nouveau"


def advice(rule: str, text: str, code: str) -> str:
    for keys, what in ADVICE:
        if any(k in rule or k in text for k in keys):
            return what.format(code=code)
    return DEFAULT_ADVICE


def refusal_text(draft: Any, client_code: str, findings: list[tuple[str, str, str]]) -> str:
    """« Brouillon n° 12 (Contrat CT00003 — décembre 2026), client DUPO001 : règle …,
    champ … : … — à faire : … » for the first failed rule, the others named after it."""
    rule, field, text = findings[0]
    others = sorted({f[0] for f in findings[1:]})
    where = f" ({draft.title})" if draft.title else ""
    field_text = f", champ « {field} »" if field else ""
    more = f" Autres règles : {', '.join(others)}." if others else ""
    return (
        f"Brouillon n° {draft.id}{where}, client {client_code} : règle {rule}{field_text} : "
        f"{text[:300]} — à faire : {advice(rule, text, client_code)}.{more}"
    )


@dataclass(frozen=True)
class _Batch:
    """What every draft of a check shares: the company, its seller values (computed once:
    they hash the logo) and default terms."""

    company: CompanySettings | None
    seller: dict[str, Any]


def _provisional_document(session: Session, invoice: Invoice, batch: _Batch) -> Any:
    """The InvoiceDocument of a draft as it would be issued now (nothing is written: the
    values the issue would set are given to the build as loaded, then put back)."""
    client = get_row(session, Client, invoice.client_id, "Client")
    site = session.get(Site, invoice.site_id) if invoice.site_id else None
    due_date, label = issue_terms(invoice, client, batch.company)
    provisional = {
        "number": f"PROV-{invoice.id}",
        "client_snapshot": client_snapshot(client, site),
        "due_date": due_date,
        "payment_terms": label,
    }
    before = {key: getattr(invoice, key) for key in provisional}
    try:
        for key, value in provisional.items():
            set_committed_value(invoice, key, value)
        return build_document(session, invoice.id, allow_draft=True, draft_seller=batch.seller)
    finally:
        for key, value in before.items():
            set_committed_value(invoice, key, value)


def _preload(session: Session, ids: list[int]) -> tuple[dict[int, Invoice], list[Any]]:
    """The drafts with their lines, and their clients (and syndics), sites, contracts and
    corrected invoices in the session, in a few queries: building each document then
    finds them there instead of querying row by row (the caller keeps the second list:
    the session holds its objects only while they are referenced)."""
    drafts: dict[int, Invoice] = {}
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(Invoice)
            .where(Invoice.id.in_(ids[start : start + _CHUNK]))
            .options(selectinload(Invoice.lines))
        )
        drafts.update((i.id, i) for i in session.scalars(query))

    def load(model: Any, wanted: set[Any]) -> list[Any]:
        keys = sorted(k for k in wanted if k is not None)
        return [
            row
            for start in range(0, len(keys), _CHUNK)
            for row in session.scalars(
                select(model).where(model.id.in_(keys[start : start + _CHUNK]))
            )
        ]

    clients = load(Client, {d.client_id for d in drafts.values()})
    held = clients + load(Client, {c.manager_id for c in clients})
    held += load(Site, {d.site_id for d in drafts.values()})
    held += load(Contract, {d.contract_id for d in drafts.values()})
    held += load(Invoice, {d.origin_invoice_id for d in drafts.values()})
    return {i: drafts[i] for i in ids if i in drafts}, held


def _check_now(session: Session, ids: list[int]) -> dict[int, str]:
    """Build and validate these drafts (the session's data); refusal per id ("" = valid)."""
    session.flush()
    company = session.get(CompanySettings, 1)
    batch = _Batch(company, seller_values(company) if company is not None else {})
    errors: dict[int, str] = {}
    built: list[int] = []
    drafts, _held = _preload(session, ids)

    def documents() -> Iterator[Any]:
        # Built one by one while the pool validates the chunks already sent.
        for invoice_id, invoice in drafts.items():
            try:
                doc = _provisional_document(session, invoice, batch)
            except PropreoError as exc:
                code = _code(session, invoice)
                errors[invoice_id] = refusal_text(invoice, code, [("", "", str(exc))])
                continue
            built.append(invoice_id)
            yield doc

    found = render.validate_stream(documents(), len(drafts))
    for invoice_id, findings in zip(built, found, strict=True):
        invoice = drafts[invoice_id]
        errors[invoice_id] = (
            refusal_text(invoice, _code(session, invoice), findings) if findings else ""
        )
    return errors


def _code(session: Session, invoice: Invoice) -> str:
    client = session.get(Client, invoice.client_id)
    return client.code if client else "?"


@dataclass(frozen=True)
class Checks:
    """Drafts checked outside any write, not recorded yet: the fingerprint each was read
    with, its refusal ("" = valid), and those validated now (``new``; the others matched
    their recorded check)."""

    prints: dict[int, str]
    errors: dict[int, str]
    new: tuple[int, ...]


def check_outside(
    database: Database, ids: Iterable[int], progress: Progress = NO_PROGRESS
) -> Checks:
    """Read, build and validate (on the rendering pool when they are many) the drafts whose
    fingerprint does not match their last check, in a read session."""
    wanted = list(dict.fromkeys(ids))
    with database.read() as session:
        wanted = still_drafts(session, wanted)
        prints = fingerprints(session, wanted)
        known = stored_checks(session, wanted)
        todo = [i for i in wanted if known.get(i, ("", ""))[0] != prints[i]]
        progress.step(0, max(len(todo), 1), f"Contrôle de {len(todo)} brouillon(s)")
        errors = _check_now(session, todo)
        session.rollback()
    errors.update((i, known[i][1]) for i in wanted if i not in errors)
    return Checks(prints, {i: errors[i] for i in wanted}, tuple(todo))


def record_checks(session: Session, checks: Checks, also: Iterable[int] = ()) -> dict[int, str]:
    """In a write transaction: record the new checks of the drafts unchanged since (a draft
    changed meanwhile keeps no record: issuing checks it again). Returns the current
    fingerprints of the drafts checked now and of ``also`` — one pass for both, which the
    numbering of the same transaction confirms (:func:`confirm_checked`)."""
    current = fingerprints(session, dict.fromkeys([*checks.new, *also]))
    store_checks(
        session,
        {
            i: (checks.prints[i], checks.errors[i])
            for i in checks.new
            if current.get(i) == checks.prints[i]
        },
    )
    return current


def check_drafts(
    database: Database, ids: Iterable[int], progress: Progress = NO_PROGRESS
) -> dict[int, str]:
    """Check drafts outside any write transaction; refusal per id ("" = valid).

    Drafts whose fingerprint matches their last check are not checked again. The drafts
    are read and built in a read session, validated (on the rendering pool when they are
    many), and the results recorded in one short write.
    """
    checks = check_outside(database, ids, progress)
    if checks.new:
        with database.write() as session:
            record_checks(session, checks)
    progress.step(1, 1, "Brouillons contrôlés")
    return checks.errors


def confirm_checked(
    session: Session, ids: list[int], fingerprinted: Mapping[int, str] | None = None
) -> None:
    """Inside the numbering transaction: every draft's fingerprint must be the one its
    check passed with. Refused drafts raise :class:`DraftsRefused`. ``fingerprinted``: the
    drafts' fingerprints already computed in this transaction, nothing written since
    (:func:`record_checks`), not computed again."""
    if fingerprinted is not None and all(i in fingerprinted for i in ids):
        prints = dict(fingerprinted)
    else:
        prints = fingerprints(session, ids)
    known = stored_checks(session, ids)
    stale = [i for i in ids if known.get(i, ("", ""))[0] != prints[i]]
    errors = {i: known[i][1] for i in ids if i not in stale}
    if stale:  # a caller that did not check beforehand: check here, before any number
        errors.update(_check_now(session, stale))
    refused = [Refusal(i, errors[i]) for i in ids if errors[i]]
    if refused:
        raise DraftsRefused(refused)


class DraftsRefused(DocumentInvalid):
    """Drafts that would not be valid documents: none of the batch is numbered."""

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals
        shown = "\n".join(r.message for r in refusals[:10])
        more = f"\n… et {len(refusals) - 10} autre(s)." if len(refusals) > 10 else ""
        super().__init__(
            "{count} brouillon(s) refusé(s) à la validation, restés brouillons (sans numéro) :\n"
            "{details}{more}",
            count=len(refusals),
            details=shown,
            more=more,
        )


def still_drafts(session: Session, ids: list[int]) -> list[int]:
    drafts: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        drafts.update(
            session.scalars(
                select(Invoice.id).where(
                    Invoice.id.in_(ids[start : start + _CHUNK]),
                    Invoice.status == InvoiceStatus.DRAFT,
                )
            )
        )
    return [i for i in ids if i in drafts]
