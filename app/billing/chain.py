"""Hash chain of issued documents (invoices, credit notes, down-payment invoices).

Each issued document stores ``content_hash`` = SHA-256 of its canonical content, which
includes ``previous_hash`` (the content hash of the document issued just before it) and
its ``chain_index``. Changing any amount, line, date or frozen client/seller data of an
issued document, or removing one, breaks the chain at that document: :func:`verify_chain`
(run by ``propreo check``) names the first document that does not match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.check import register_check
from models.company import IssuedNumber
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus

INVOICE_FIELDS = (
    "kind",
    "series_code",
    "number",
    "issue_date",
    "due_date",
    "period_start",
    "period_end",
    "client_id",
    "site_id",
    "contract_id",
    "purchase_order",
    "origin_invoice_id",
    "total_ht",
    "total_vat",
    "total_ttc",
    "prepaid_total",
    "amount_due",
    "client_snapshot",
    "seller_snapshot",
    "payment_terms",
    "payment_means",
    "previous_hash",
    "chain_index",
)
LINE_FIELDS = (
    "position",
    "kind",
    "article_id",
    "revenue_account",
    "description",
    "quantity",
    "unit",
    "unit_code",
    "unit_price",
    "discount",
    "vat_rate",
    "vat_category",
    "vat_exemption",
    "total_ht",
    "contract_line_id",
    "period_start",
    "period_end",
)


# Version 2 (issue T §5): everything a document shows is sealed. The note and the title
# (printed, the note in the Factur-X too), who issued it and when, and the lines' VAT
# exemption code (BT-121), goods / SAP flags (mentions), family and credited line.
# Documents issued before keep their version 1 hash and verify as they always did: the
# chain is read in order, each document must match the version of the one before it or
# a later one, never an earlier one (docs/THREAT_MODEL.md, « Empreintes »). No column
# records the version: a downgrade of the schema could not lose it.
HASH_VERSION = 2
INVOICE_FIELDS_V2 = (*INVOICE_FIELDS, "title", "notes", "issued_at", "issued_by_id")
LINE_FIELDS_V2 = (
    *LINE_FIELDS,
    "vat_exemption_code",
    "goods",
    "sap",
    "family_id",
    "origin_line_id",
)
FIELDS = {1: (INVOICE_FIELDS, LINE_FIELDS), 2: (INVOICE_FIELDS_V2, LINE_FIELDS_V2)}


def _any_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # a timestamp (UTCDateTime) as stored: naive UTC, whatever zone it was given in
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


def _value(value: Any) -> Any:
    """The JSON value of a field: exact types first (the common case), then the general
    rule of :func:`_any_value` (subclasses of str/int, dates...)."""
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if kind is Decimal:
        return format(value.normalize(), "f")
    if kind is dt.date:
        return value.isoformat()  # what str() gives
    return _any_value(value)


_PLAIN = frozenset({str, int, type(None)})


_GETTERS = {v: (attrgetter(*inv), attrgetter(*line)) for v, (inv, line) in FIELDS.items()}
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def canonical(invoice: Any, lines: Iterable[Any], version: int = 1) -> bytes:
    """Canonical bytes of a document: sorted-key JSON of its fields and ordered lines.

    This text is what every content hash of the chain was computed on: any change to it
    breaks the verification of existing files (tests/test_chain_pinned.py pins it). The
    fields are those of hash ``version`` (:data:`FIELDS`)."""
    get_invoice, get_line = _GETTERS[version]
    return canonical_values(
        get_invoice(invoice),
        [get_line(line) for line in sorted(lines, key=_position)],
        version=version,
    )


def canonical_values(
    invoice_values: Sequence[Any], line_values: Iterable[Sequence[Any]], *, version: int = 1
) -> bytes:
    """:func:`canonical` from the values themselves: the invoice's and each line's in the
    order of the fields of ``version`` (:data:`FIELDS`), lines already by position
    (issuing reads them so: no attribute lookups per value)."""
    invoice_fields, line_fields = FIELDS[version]
    value, plain = _value, _PLAIN
    data = dict(
        zip(
            invoice_fields,
            [v if type(v) in plain else value(v) for v in invoice_values],
            strict=True,
        )
    )
    data["lines"] = [
        dict(zip(line_fields, [v if type(v) in plain else value(v) for v in line], strict=True))
        for line in line_values
    ]
    return _ENCODE(data).encode()


def _position(line: Any) -> Any:
    return line.position


def content_hash(invoice: Any, lines: Iterable[Any], version: int = 1) -> str:
    return hashlib.sha256(canonical(invoice, lines, version)).hexdigest()


def hash_version(invoice: Any, lines: list[Any], since: int = 1) -> int | None:
    """The hash version (``since`` or later) whose content hash the document's stored one
    is, None when none is (the document was changed after it was issued)."""
    for version in range(since, HASH_VERSION + 1):
        if content_hash(invoice, lines, version) == invoice.content_hash:
            return version
    return None


def content_hash_values(
    invoice_values: Sequence[Any], line_values: Iterable[Sequence[Any]], *, version: int = 1
) -> str:
    """:func:`content_hash` over values (see :func:`canonical_values`)."""
    return hashlib.sha256(
        canonical_values(invoice_values, line_values, version=version)
    ).hexdigest()


def verify_chain(session: Session) -> list[str]:
    """Recompute the chain in issue order; report the first document that does not match."""
    # A document that was ever issued keeps its chain index: one put back to draft is caught.
    _chained = (Invoice.status == InvoiceStatus.ISSUED) | Invoice.chain_index.is_not(None)
    invoices = list(
        session.scalars(select(Invoice).where(_chained).order_by(Invoice.chain_index, Invoice.id))
    )
    lines: dict[int, list[InvoiceLine]] = {}
    for line in session.scalars(
        select(InvoiceLine).join(Invoice, Invoice.id == InvoiceLine.invoice_id).where(_chained)
    ):
        lines.setdefault(line.invoice_id, []).append(line)
    previous, newest = "", 1  # hash version of the document before
    for expected, invoice in enumerate(invoices, 1):
        label = f"{'Avoir' if invoice.kind == 'credit_note' else 'Facture'} {invoice.number}"
        if invoice.status != InvoiceStatus.ISSUED:
            return [f"{label} : document émis repassé au statut « {invoice.status} »."]
        if invoice.chain_index != expected:
            return [
                f"{label} : rang {invoice.chain_index} dans la chaîne, {expected} attendu "
                "(document émis manquant ou inséré)."
            ]
        if invoice.previous_hash != previous:
            return [f"{label} : le chaînage avec le document précédent est rompu."]
        own = lines.get(invoice.id, [])
        version = hash_version(invoice, own, since=newest)
        if version is None:
            return [
                f"{label} : le contenu ne correspond plus à son empreinte (modifié après émission)."
            ]
        total = sum((ln.total_ht for ln in own), invoice.total_ht * 0)
        if total != invoice.total_ht:
            return [f"{label} : la somme des lignes ({total}) diffère du total HT."]
        previous, newest = invoice.content_hash, version
    return []


@register_check("Chaînage des factures")
def _check_chain(session: Session) -> list[str]:
    return verify_chain(session)


def verify_register(session: Session) -> list[str]:
    """The register of issued numbers against the documents: every invoice, credit note
    or down-payment number given is borne by a chained document and the other way round,
    and the chain is as long as the register. Deleting the last issued document (with its
    lines and ledger rows), or putting it back to draft and deleting it then, leaves a
    chain that verifies but a number without its document."""
    given = dict(
        session.execute(
            select(IssuedNumber.number, IssuedNumber.doc_type).where(
                IssuedNumber.doc_type.in_(InvoiceKind.ALL)
            )
        ).all()
    )
    chained = (Invoice.status == InvoiceStatus.ISSUED) | Invoice.chain_index.is_not(None)
    borne = dict(session.execute(select(Invoice.number, Invoice.chain_index).where(chained)).all())
    problems = [
        f"{InvoiceKind.LABELS.get(kind, kind)} {number} : numéro attribué (registre) "
        "mais aucun document émis ne le porte (document supprimé ?)."
        for number, kind in sorted(given.items())
        if number not in borne
    ]
    problems += [
        f"Document {number} : numéro absent du registre des numéros attribués."
        for number in sorted(n or "" for n in borne)
        if number not in given
    ]
    length = max((i for i in borne.values() if i is not None), default=0)
    if length != len(given):
        problems.append(
            f"La chaîne compte {length} document(s), le registre {len(given)} numéro(s) de "
            "factures, avoirs et acomptes."
        )
    return problems


@register_check("Registre des numéros")
def _check_register(session: Session) -> list[str]:
    return verify_register(session)
