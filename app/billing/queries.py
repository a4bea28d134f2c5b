"""Read side of contracts and invoices for the UI: plain row records, never ORM objects."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import choices
from app.billing.contracts import contract_spec, get_contract
from app.billing.invoice_list import InvoiceRow, list_invoices
from app.billing.plan import add_months, billing_plan
from app.billing.run_build import period_text
from app.billing.runs import load_billed
from app.billing.totals import VatTotal, vat_breakdown
from app.lookup import get_row
from app.money import ZERO
from models.audit import AuditEvent
from models.billing import BillingRun
from models.clients import Client, Site
from models.contracts import Contract, ContractStatus, Frequency, Term
from models.invoices import Invoice, InvoiceKind, InvoiceStatus


@dataclass(frozen=True)
class ContractRow:
    id: int
    code: str
    client: str
    site: str
    title: str
    status: str
    status_label: str
    start_date: dt.date
    end_date: dt.date | None
    lines: int


def list_contracts(session: Session) -> list[ContractRow]:
    clients = dict(session.execute(select(Client.id, Client.name)).all())
    sites = dict(session.execute(select(Site.id, Site.name)).all())
    rows = []
    for c in session.scalars(
        select(Contract).options(selectinload(Contract.lines)).order_by(Contract.code)
    ):
        rows.append(
            ContractRow(
                c.id,
                c.code,
                clients.get(c.client_id, ""),
                sites.get(c.site_id, "") if c.site_id else "",
                c.title,
                c.status,
                ContractStatus.LABELS.get(c.status, c.status),
                c.start_date,
                c.end_date,
                len(c.lines),
            )
        )
    return rows


@dataclass(frozen=True)
class VersionRow:
    line_id: int
    position: int
    valid_from: dt.date
    amendment: str
    article_id: int | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    frequency: str
    frequency_label: str
    term: str
    term_label: str
    months: str
    one_off_date: dt.date | None
    start_date: dt.date | None
    end_date: dt.date | None
    annual_budget: Decimal | None
    removed: bool
    site_id: int | None


@dataclass(frozen=True)
class PlanRow:
    line: int
    description: str
    start: dt.date
    end: dt.date
    due: dt.date
    amount: Decimal
    billed: Decimal | None
    prorata: str


@dataclass
class ContractDetail:
    id: int
    code: str
    status: str
    header: dict[str, object]
    current: list[VersionRow]
    versions: list[VersionRow]
    amendments: list[tuple[int, dt.date, dt.date, str]]
    suspensions: list[tuple[dt.date, dt.date, bool, str, str]]
    plan: list[PlanRow]
    history: list[tuple[dt.datetime, str]] = field(default_factory=list)


def contract_detail(
    session: Session, contract_id: int, *, months_ahead: int = 12
) -> ContractDetail:
    c = get_contract(session, contract_id)
    amendments = {a.id: a.number for a in c.amendments}
    versions: list[VersionRow] = []
    current: list[VersionRow] = []
    for cl in c.lines:
        rows = [
            VersionRow(
                cl.id,
                cl.position,
                v.valid_from,
                f"Avenant n° {amendments[v.amendment_id]}"
                if v.amendment_id in amendments
                else "Contrat initial",
                v.article_id,
                v.description,
                v.quantity,
                v.unit_price,
                v.frequency,
                Frequency.LABELS.get(v.frequency, v.frequency),
                v.term,
                Term.LABELS.get(v.term, v.term),
                v.months,
                v.one_off_date,
                v.start_date,
                v.end_date,
                v.annual_budget,
                v.removed,
                cl.site_id,
            )
            for v in cl.versions
        ]
        versions.extend(rows)
        if rows and not rows[-1].removed:
            current.append(rows[-1])
    today = dt.date.today()
    horizon = add_months(max(today, c.start_date), months_ahead) - dt.timedelta(days=1)
    billed = load_billed(session, [cl.id for cl in c.lines])
    positions = {cl.id: cl.position for cl in c.lines}
    plan = [
        PlanRow(
            positions[p.line_id],
            p.version.description,
            p.start,
            p.end,
            p.due,
            p.amount,
            billed[p.key].amount if p.key in billed else None,
            f"{p.covered}/{p.length}" if p.prorated else "",
        )
        for p in billing_plan(contract_spec(c), horizon)
    ]
    history = [
        (e.at, e.summary)
        for e in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "contract", AuditEvent.entity_id == c.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    ]
    header: dict[str, object] = {
        "client_id": c.client_id,
        "site_id": c.site_id,
        "title": c.title,
        "reference": c.reference,
        "purchase_order": c.purchase_order,
        "start_date": c.start_date,
        "end_date": c.end_date,
        "tacit_renewal": c.tacit_renewal,
        "renewal_months": c.renewal_months,
        "notice_months": c.notice_months,
        "grouping": c.grouping,
        "prorata": c.prorata,
        "notes": c.notes,
        "other_site_ids": [s.site_id for s in c.sites],
    }
    return ContractDetail(
        c.id,
        c.code,
        c.status,
        header,
        current,
        versions,
        [(a.number, a.signed_date, a.effective_date, a.description) for a in c.amendments],
        [
            (
                s.start_date,
                s.end_date,
                s.billed,
                s.reason,
                f"Ligne {positions.get(s.line_id, '?')}" if s.line_id else "Contrat",
            )
            for s in c.suspensions
        ],
        plan,
        history,
    )


# The screens' choice lists come from app.choices (one source, refreshed on change).
client_choices = choices.clients
site_choices = choices.sites
article_choices = choices.articles


@dataclass(frozen=True)
class InvoiceLineRow:
    id: int
    position: int
    kind: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    total_ht: Decimal
    period: str


@dataclass
class InvoiceView:
    id: int
    number: str
    kind_label: str
    status: str
    status_label: str
    issue_date: dt.date
    due_date: dt.date | None
    client: str
    client_address: str
    title: str
    purchase_order: str
    origin: str
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    amount_due: Decimal
    payment_terms: str
    content_hash: str
    lines: list[InvoiceLineRow]
    vat: list[VatTotal]


def invoice_view(session: Session, invoice_id: int) -> InvoiceView:
    from app.billing.invoices import get_invoice

    inv = get_invoice(session, invoice_id)
    client = get_row(session, Client, inv.client_id, "Client")
    if inv.client_snapshot:
        snap = json.loads(inv.client_snapshot)
        name, address = (
            snap.get("name", ""),
            f"{snap.get('street', '')}, {snap.get('postcode', '')} {snap.get('city', '')}",
        )
    else:
        name, address = client.name, f"{client.street}, {client.postcode} {client.city}"
    origin = ""
    if inv.origin_invoice_id:
        o = session.get(Invoice, inv.origin_invoice_id)
        origin = f"{o.number} du {o.issue_date:%d/%m/%Y}" if o else ""
    return InvoiceView(
        inv.id,
        inv.number or "(brouillon)",
        InvoiceKind.LABELS.get(inv.kind, inv.kind),
        inv.status,
        InvoiceStatus.LABELS.get(inv.status, inv.status),
        inv.issue_date,
        inv.due_date,
        name,
        address,
        inv.title,
        inv.purchase_order,
        origin,
        inv.total_ht,
        inv.total_vat,
        inv.total_ttc,
        inv.amount_due,
        inv.payment_terms,
        inv.content_hash,
        [
            InvoiceLineRow(
                ln.id,
                ln.position,
                ln.kind,
                ln.description,
                ln.quantity,
                ln.unit,
                ln.unit_price,
                ln.vat_rate,
                ln.total_ht,
                period_text(ln.period_start, ln.period_end)
                if ln.period_start and ln.period_end
                else "",
            )
            for ln in inv.lines
        ],
        vat_breakdown(inv.lines),
    )


@dataclass
class RunReview:
    period: str
    drafts: list[InvoiceRow]
    total_ht: Decimal
    total_ttc: Decimal
    warnings: list[str]


def run_review(session: Session, period: str) -> RunReview:
    """Drafts of the runs of ``period`` with their totals and the runs' warnings."""
    drafts = list_invoices(session, status=InvoiceStatus.DRAFT, run_period=period)
    warnings: list[str] = []
    for text in session.scalars(
        select(BillingRun.warnings)
        .where(BillingRun.period == period)
        .order_by(BillingRun.id.desc())
        .limit(1)
    ):
        warnings = json.loads(text) if text else []
    return RunReview(
        period,
        drafts,
        sum((d.total_ht for d in drafts), ZERO),
        sum((d.total_ttc for d in drafts), ZERO),
        warnings,
    )


if TYPE_CHECKING:
    from app.billing.invoices import DraftLine


@dataclass
class DraftForEdit:
    id: int
    client_id: int
    issue_date: dt.date
    title: str
    purchase_order: str
    lines: list[DraftLine]  # each line as stored (VAT, unit, discount, periods kept)
    site_id: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None


def draft_for_edit(session: Session, invoice_id: int) -> DraftForEdit:
    from app.billing.invoices import draft_line_of, get_invoice

    inv = get_invoice(session, invoice_id)
    return DraftForEdit(
        inv.id,
        inv.client_id,
        inv.issue_date,
        inv.title,
        inv.purchase_order,
        [draft_line_of(ln) for ln in inv.lines],
        inv.site_id,
        inv.period_start,
        inv.period_end,
    )
