"""Read side of contracts and invoices for the UI: plain row records, never ORM objects."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.billing.contracts import contract_spec, get_contract
from app.billing.plan import add_months, billing_plan
from app.billing.runs import load_billed, period_text
from app.billing.totals import VatTotal, vat_breakdown
from app.money import ZERO
from models.audit import AuditEvent
from models.billing import BillingRun
from models.catalog import Article
from models.clients import Client, Site
from models.contracts import Contract, ContractLine, ContractStatus, Frequency, Term
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
    header = {
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


def client_choices(session: Session) -> list[tuple[int, str]]:
    return [
        (cid, f"{name} ({code})")
        for cid, code, name in session.execute(
            select(Client.id, Client.code, Client.name).where(Client.active).order_by(Client.name)
        )
    ]


def site_choices(session: Session) -> list[tuple[int, str]]:
    return [
        (sid, f"{name} ({code})")
        for sid, code, name in session.execute(
            select(Site.id, Site.code, Site.name).where(Site.active).order_by(Site.name)
        )
    ]


def article_choices(session: Session) -> list[tuple[int, str, Decimal]]:
    return [
        (aid, f"{code} — {label}", price)
        for aid, code, label, price in session.execute(
            select(Article.id, Article.code, Article.label, Article.unit_price)
            .where(Article.active)
            .order_by(Article.code)
        )
    ]


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    issue_date: dt.date
    due_date: dt.date | None
    period: str
    client_id: int
    client: str
    title: str
    series: str
    total_ht: Decimal
    total_ttc: Decimal


# Sort keys of the invoice list (one per listed column), each with the id as tie-breaker.
INVOICE_SORTS: dict[str, ColumnElement[Any]] = {
    "number": Invoice.number,
    "kind": Invoice.kind,
    "status": Invoice.status,
    "issue_date": Invoice.issue_date,
    "due_date": Invoice.due_date,
    "client": Client.name,
    "title": Invoice.title,
    "total_ht": Invoice.total_ht,
    "total_ttc": Invoice.total_ttc,
}
DRAFT_NUMBER = "(brouillon)"


def _amount(text: str) -> Decimal | None:
    """« 1 234,56 » / « 233.16 » / « 45 » → Decimal; None when the text is not an amount."""
    compact = "".join(text.split()).replace("\u202f", "").replace(",", ".")
    if not compact or compact.count(".") > 1 or not compact.replace(".", "").isdigit():
        return None
    if "." in compact and len(compact.split(".")[1]) > 2:
        return None
    return Decimal(compact)


def invoice_search(needle: str) -> ColumnElement[bool] | None:
    """The SQL condition of search-as-you-type in the invoice list (None: no search).

    A row matches when the text (case-insensitive for ASCII letters, as SQLite's LIKE) is
    part of its number (« (brouillon) » for drafts), client name or object, of the label of
    its type or status, of its issue or due date as shown (JJ/MM/AAAA), or when the text is
    an amount equal to its total HT or TTC.
    """
    needle = needle.strip()
    if not needle:
        return None
    folded = needle.casefold()
    terms: list[ColumnElement[bool]] = [
        Invoice.number.contains(needle, autoescape=True),
        # The matching clients are found once (a few hundred names), not joined per invoice.
        Invoice.client_id.in_(
            select(Client.id).where(Client.name.contains(needle, autoescape=True))
        ),
        Invoice.title.contains(needle, autoescape=True),
    ]
    if folded in DRAFT_NUMBER:
        terms.append(Invoice.number.is_(None))
    kinds = [k for k, label in InvoiceKind.LABELS.items() if folded in label.casefold()]
    if kinds:
        terms.append(Invoice.kind.in_(kinds))
    statuses = [k for k, label in InvoiceStatus.LABELS.items() if folded in label.casefold()]
    if statuses:
        terms.append(Invoice.status.in_(statuses))
    if needle.replace("/", "").isdigit():
        for column in (Invoice.issue_date, Invoice.due_date):
            shown = func.strftime("%d/%m/%Y", column)
            terms.append(shown.contains(needle, autoescape=True))
    amount = _amount(needle)
    if amount is not None:
        terms.append(Invoice.total_ht == amount)
        terms.append(Invoice.total_ttc == amount)
    return or_(*terms)


def _filtered(
    query: Select[Any],
    *,
    period: str | None,
    status: str | None,
    client_id: int | None,
    series: str | None,
    run_period: str | None,
    search: str,
) -> Select[Any]:
    if period:
        first = dt.date(int(period[:4]), int(period[5:7]), 1)
        query = query.where(Invoice.issue_date >= first, Invoice.issue_date < add_months(first, 1))
    if status:
        query = query.where(Invoice.status == status)
    if client_id:
        query = query.where(Invoice.client_id == client_id)
    if series:
        query = query.where(Invoice.series_code == series)
    if run_period:
        query = query.join(BillingRun, BillingRun.id == Invoice.run_id).where(
            BillingRun.period == run_period
        )
    condition = invoice_search(search)
    if condition is not None:
        query = query.where(condition)
    return query


def count_invoices(
    session: Session,
    *,
    period: str | None = None,
    status: str | None = None,
    client_id: int | None = None,
    series: str | None = None,
    run_period: str | None = None,
    search: str = "",
) -> int:
    """How many invoices :func:`list_invoices` lists with the same filters (one COUNT)."""
    query = _filtered(
        select(func.count(Invoice.id)),
        period=period,
        status=status,
        client_id=client_id,
        series=series,
        run_period=run_period,
        search=search,
    )
    return int(session.scalar(query) or 0)


def list_invoices(
    session: Session,
    *,
    period: str | None = None,
    status: str | None = None,
    client_id: int | None = None,
    series: str | None = None,
    run_period: str | None = None,
    search: str = "",
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[InvoiceRow]:
    """Invoices filtered by month of issue (YYYY-MM), status, client, series, run period
    and the search text (:func:`invoice_search`), newest first or by ``sort`` (a key of
    :data:`INVOICE_SORTS`), optionally one page (``offset``/``limit``).

    Only the listed columns are read (no ORM objects, no snapshots): 100,000 rows stay fast;
    every filter has its index (issue date, status, client, series, run). The paged list of
    the Facturation tab (``ui.lazy_table``) reads one page at a time through this function.
    """
    query = select(
        Invoice.id,
        Invoice.number,
        Invoice.kind,
        Invoice.status,
        Invoice.issue_date,
        Invoice.due_date,
        Invoice.client_id,
        Invoice.title,
        Invoice.series_code,
        Invoice.total_ht,
        Invoice.total_ttc,
        Client.name,
    ).join(Client, Client.id == Invoice.client_id)
    query = _filtered(
        query,
        period=period,
        status=status,
        client_id=client_id,
        series=series,
        run_period=run_period,
        search=search,
    )
    if sort is None:
        query = query.order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    elif descending:
        query = query.order_by(INVOICE_SORTS[sort].desc(), Invoice.id.desc())
    else:
        query = query.order_by(INVOICE_SORTS[sort].asc(), Invoice.id.asc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    kinds, statuses = InvoiceKind.LABELS, InvoiceStatus.LABELS
    return [
        InvoiceRow(
            id_,
            number or DRAFT_NUMBER,
            kind,
            kinds.get(kind, kind),
            status,
            statuses.get(status, status),
            issue_date,
            due_date,
            f"{issue_date:%Y-%m}",
            client_id,
            name,
            title,
            series,
            total_ht,
            total_ttc,
        )
        for (
            id_,
            number,
            kind,
            status,
            issue_date,
            due_date,
            client_id,
            title,
            series,
            total_ht,
            total_ttc,
            name,
        ) in session.execute(query)
    ]


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
    client = session.get(Client, inv.client_id)
    assert client is not None
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


def contract_line_choices(session: Session, contract_id: int) -> list[tuple[int, str]]:
    return [
        (cl.id, f"Ligne {cl.position} — {cl.versions[-1].description if cl.versions else ''}")
        for cl in session.scalars(
            select(ContractLine)
            .where(ContractLine.contract_id == contract_id)
            .order_by(ContractLine.position)
        )
    ]


@dataclass
class DraftForEdit:
    id: int
    client_id: int
    issue_date: dt.date
    title: str
    purchase_order: str
    lines: list[tuple[int | None, str, Decimal, Decimal]]  # article, text, quantity, price


def draft_for_edit(session: Session, invoice_id: int) -> DraftForEdit:
    from app.billing.invoices import get_invoice

    inv = get_invoice(session, invoice_id)
    return DraftForEdit(
        inv.id,
        inv.client_id,
        inv.issue_date,
        inv.title,
        inv.purchase_order,
        [(ln.article_id, ln.description, ln.quantity, ln.unit_price) for ln in inv.lines],
    )
