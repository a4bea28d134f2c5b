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
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from app.billing.issue_build import client_snapshot, issue_terms
from app.billing.records import client_records
from app.company_snapshot import seller_snapshot
from app.db import Database, insert_rows
from app.documents import render
from app.documents.build import build_document
from app.errors import DocumentInvalid, PropreoError
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


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _rows(session: Session, table: Any, column: Any, ids: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        result = session.execute(select(table).where(column.in_(ids[start : start + _CHUNK])))
        rows.extend(dict(r._mapping) for r in result)
    return rows


def _keep(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _SKIPPED}


def fingerprints(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The fingerprint of each draft: its row and lines, its client (and syndic's name),
    site, contract, corrected invoice, active mandate, and the company settings."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    session.flush()
    invoices = _rows(session, Invoice.__table__, Invoice.__table__.c.id, wanted)
    lines: dict[int, list[dict[str, Any]]] = {}
    line_table = InvoiceLine.__table__
    for row in sorted(
        _rows(session, line_table, line_table.c.invoice_id, wanted),
        key=lambda r: (r["position"], r["id"]),
    ):
        lines.setdefault(row["invoice_id"], []).append(_keep(row))
    clients = client_records(session, {i["client_id"] for i in invoices})

    def related(model: Any, key: str, column: str = "id") -> dict[Any, list[dict[str, Any]]]:
        values = sorted({i[key] for i in invoices if i[key] is not None})
        out: dict[Any, list[dict[str, Any]]] = {}
        table = model.__table__
        for row in _rows(session, table, table.c[column], values) if values else []:
            out.setdefault(row[column], []).append(_keep(row))
        return out

    sites = related(Site, "site_id")
    contracts = related(Contract, "contract_id")
    origins = related(Invoice, "origin_invoice_id")
    mandates = {
        client_id: [m for m in rows if m.get("status") == "active"]
        for client_id, rows in related(SepaMandate, "client_id", "client_id").items()
    }
    company = session.get(CompanySettings, 1)
    company_values = (
        {c.key: getattr(company, c.key) for c in CompanySettings.__table__.columns}
        if company
        else {}
    )
    company_hash = hashlib.sha256(
        _canonical({k: v for k, v in company_values.items() if k not in _SKIPPED}).encode()
    ).hexdigest()
    out: dict[int, str] = {}
    for invoice in invoices:
        client = clients.get(invoice["client_id"])
        client_values = dict(vars(client)) if client else {}
        client_values["manager"] = client.manager.name if client and client.manager else None
        origin = origins.get(invoice["origin_invoice_id"], [{}])[0]
        content = {
            "rules": RULES_VERSION,
            "invoice": _keep(invoice),
            "lines": lines.get(invoice["id"], []),
            "client": client_values,
            "site": sites.get(invoice["site_id"]),
            "contract": contracts.get(invoice["contract_id"]),
            "origin": [origin.get("number"), origin.get("issue_date")],
            "mandates": mandates.get(invoice["client_id"]),
            "company": company_hash,
        }
        out[invoice["id"]] = hashlib.sha256(_canonical(content).encode()).hexdigest()
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
    table = DraftCheck.__table__
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


def _provisional_document(session: Session, invoice: Invoice, company: Any) -> Any:
    """The InvoiceDocument of a draft as it would be issued now (nothing is written: the
    values set for the build are expired again)."""
    client = session.get(Client, invoice.client_id)
    site = session.get(Site, invoice.site_id) if invoice.site_id else None
    due_date, label = issue_terms(invoice, client, company)
    provisional = {
        "number": f"PROV-{invoice.id}",
        "client_snapshot": client_snapshot(client, site),
        "seller_snapshot": seller_snapshot(company),
        "due_date": due_date,
        "payment_terms": label,
    }
    try:
        with session.no_autoflush:
            for key, value in provisional.items():
                setattr(invoice, key, value)
            return build_document(session, invoice.id, allow_draft=True)
    finally:
        session.expire(invoice, list(provisional))


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
    errors: dict[int, str] = {}
    built: list[int] = []
    drafts, _held = _preload(session, ids)

    def documents() -> Iterator[Any]:
        # Built one by one while the pool validates the chunks already sent.
        for invoice_id, invoice in drafts.items():
            try:
                doc = _provisional_document(session, invoice, company)
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


def check_drafts(
    database: Database, ids: Iterable[int], progress: Progress = NO_PROGRESS
) -> dict[int, str]:
    """Check drafts outside any write transaction; refusal per id ("" = valid).

    Drafts whose fingerprint matches their last check are not checked again. The drafts
    are read and built in a read session, validated (on the rendering pool when they are
    many), and the results recorded in one short write.
    """
    wanted = list(dict.fromkeys(ids))
    with database.read() as session:
        wanted = still_drafts(session, wanted)
        prints = fingerprints(session, wanted)
        known = stored_checks(session, wanted)
        todo = [i for i in wanted if known.get(i, ("", ""))[0] != prints[i]]
        progress.step(0, max(len(todo), 1), f"Contrôle de {len(todo)} brouillon(s)")
        errors = _check_now(session, todo)
        session.rollback()
    with database.write() as session:
        # A draft changed meanwhile keeps no record: issuing will check it again.
        current = fingerprints(session, todo)
        store_checks(
            session, {i: (prints[i], errors[i]) for i in todo if current.get(i) == prints[i]}
        )
    progress.step(1, 1, "Brouillons contrôlés")
    return {i: errors[i] if i in errors else known[i][1] for i in wanted}


def confirm_checked(session: Session, ids: list[int]) -> None:
    """Inside the numbering transaction: every draft's fingerprint must be the one its
    check passed with. Refused drafts raise :class:`DraftsRefused`."""
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
