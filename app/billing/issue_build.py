"""Issuing's pure part: the values an issue gives each draft, no session.

:func:`app.billing.issuing.issue_invoices` loads the drafts, checks them, takes their
numbers in the numbering transaction, then asks :func:`build_issue` for each draft's
issued values — due date and terms, the frozen buyer and seller, the link in the hash
chain and the content hash — and its audit row, and writes them in one executemany.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from app import audit
from app.addressing import postal_address
from app.billing.chain import HASH_VERSION, INVOICE_FIELDS_V2, content_hash_values
from app.billing.records import ClientRecord
from app.errors import ValidationError
from app.money import format_amount
from app.numbering import Number
from app.progress import Progress
from app.terms import PaymentTerms
from models.clients import Client, ClientKind, Site
from models.company import CompanySettings
from models.invoices import Invoice, InvoiceKind, InvoiceStatus

# A client as :func:`app.billing.records.client_records` reads it, or the ORM row.
AnyClient = Client | ClientRecord
Row = dict[str, object]


class IssueDraft(NamedTuple):
    """A draft as issuing reads it: what the issue needs, and every column of its row
    (``values``) for the content hash."""

    id: int
    kind: str
    issue_date: dt.date
    client_id: int
    site_id: int | None
    contract_id: int | None
    run_id: int | None
    payment_means: str
    total_ttc: Decimal
    values: Mapping[str, object]


class SiteRecord(NamedTuple):
    id: int
    code: str
    name: str
    street: str
    postcode: str
    city: str
    country: str


@dataclass(frozen=True)
class IssueContext:
    """What every draft of one issue shares."""

    seller: str  # the firm frozen as the documents show it (app.company_snapshot)
    default_terms: PaymentTerms
    now: dt.datetime
    user_id: int | None
    chain_index: int  # the last link of the hash chain before this issue
    previous_hash: str


@dataclass
class IssueBuild:
    updates: list[Row] = field(default_factory=list)  # one per draft: id + issued values
    events: list[Row] = field(default_factory=list)  # audit rows
    numbers: list[str] = field(default_factory=list)


# The fields an issue sets (the hashed ones among them come from the issued values,
# the others from the draft row as it is).
ISSUE_SETS = frozenset(
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
HASHED = tuple((f, f in ISSUE_SETS) for f in INVOICE_FIELDS_V2)

# json.dumps(data, ensure_ascii=False, sort_keys=True) with one encoder for every
# invoice of a run (same text: default separators).
_SNAPSHOT_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def client_snapshot(
    client: AnyClient,
    site: Site | SiteRecord | None,
    mandate: tuple[str, str] | None = None,
    contract: str = "",
) -> str:
    """The buyer as the document shows it, frozen at issue: identity, address (for a
    copropriété, its syndic's mailing address too), its payment terms, for a direct debit
    the mandate announced (RUM, debtor IBAN), and the contract cited (BT-12)."""
    data: dict[str, object] = {
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
            "country": site.country or "FR",
        }
    return _SNAPSHOT_JSON(data)


def issue_terms(
    invoice: Invoice, client: AnyClient, company: CompanySettings | None
) -> tuple[dt.date, str]:
    """(due date, terms label) the draft gets when it is issued."""
    terms = payment_terms_of(client, company_terms(company))
    due = issued_due_date(invoice.kind, invoice.issue_date, invoice.run_id, terms)
    return due, terms.label()


def company_terms(company: CompanySettings | None) -> PaymentTerms:
    if company is None:
        return PaymentTerms()
    return PaymentTerms(company.payment_term_kind, company.payment_term_days)


def payment_terms_of(client: AnyClient, default: PaymentTerms) -> PaymentTerms:
    """The client's payment terms (the firm's when the client's are not valid)."""
    try:
        return PaymentTerms(client.payment_term_kind, client.payment_term_days)
    except ValidationError:
        return default


def issued_due_date(
    kind: str, issue_date: dt.date, run_id: int | None, terms: PaymentTerms
) -> dt.date:
    """A credit note is due at once; a month-end run's invoice is periodic (45 days from
    issue at most)."""
    if kind == InvoiceKind.CREDIT_NOTE:
        return issue_date
    return terms.due_date(issue_date, periodic=run_id is not None)


def build_issue(
    drafts: Sequence[IssueDraft],
    *,
    numbers: Mapping[int, Number],
    lines_of: Mapping[int, Sequence[Sequence[object]]],
    clients: Mapping[int, ClientRecord],
    sites: Mapping[int, SiteRecord],
    mandates: Mapping[int, tuple[str, str]],
    contracts: Mapping[int, str],
    context: IssueContext,
    progress: Progress | None = None,
) -> IssueBuild:
    """The issued values of ``drafts`` (in the order they are chained), their audit rows
    and their numbers. ``numbers``: draft id → the number taken; ``lines_of``: draft id →
    its lines' hashed values (LINE_FIELDS_V2 order, by position); ``mandates``: draft id →
    (RUM, IBAN) announced; ``contracts``: contract id → its BT-12 text."""
    build = IssueBuild()
    index, previous = context.chain_index, context.previous_hash
    terms_of: dict[int, PaymentTerms] = {}
    for n, draft in enumerate(drafts, 1):
        client = clients[draft.client_id]
        terms = terms_of.get(draft.client_id)
        if terms is None:
            terms = terms_of[draft.client_id] = payment_terms_of(client, context.default_terms)
        site = sites.get(draft.site_id) if draft.site_id else None
        number = numbers[draft.id]
        index += 1
        values: Row = {
            "number": number.text,
            "status": InvoiceStatus.ISSUED,
            "due_date": issued_due_date(draft.kind, draft.issue_date, draft.run_id, terms),
            "payment_terms": terms.label(),
            "payment_means": draft.payment_means or client.payment_means,
            "client_snapshot": client_snapshot(
                client,
                site,
                mandates.get(draft.id),
                contracts.get(draft.contract_id, "") if draft.contract_id else "",
            ),
            "seller_snapshot": context.seller,
            "issued_at": context.now,
            "issued_by_id": context.user_id,
            "chain_index": index,
            "previous_hash": previous,
        }
        # The invoice seen with the values it is being issued with (for its content hash).
        hashed = [values[f] if issued else draft.values[f] for f, issued in HASHED]
        values["content_hash"] = previous = content_hash_values(
            hashed, lines_of.get(draft.id, []), version=HASH_VERSION
        )
        build.updates.append({"id": draft.id, **values})
        build.events.append(
            audit.event_row(
                "invoice",
                draft.id,
                "issue",
                f"{InvoiceKind.LABELS[draft.kind]} {number.text} émise "
                f"({format_amount(draft.total_ttc)} TTC)",
                user_id=context.user_id,
                client_id=draft.client_id,
            )
        )
        build.numbers.append(number.text)
        if progress is not None and (n % 50 == 0 or n == len(drafts)):
            progress.step(n, len(drafts), number.text)
    return build


def contract_reference(code: str, reference: str) -> str:
    """BT-12: the contract code, and the client's own reference when it gave one."""
    return f"{code} ({reference})" if reference else code
