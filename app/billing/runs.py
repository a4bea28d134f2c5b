"""Month-end billing run: what is due → draft invoices grouped as configured → issue.

One pass: contracts and their versions/suspensions are loaded set-based, the ledger is
read once (sums per line and period), plans are computed in memory, and drafts, lines
and ledger rows are written with bulk inserts. The ledger's UNIQUE (line, period start,
revision) makes a rerun, a second workstation or a rerun after a crash unable to bill a
period twice: whatever is already in the ledger is simply not due any more.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Integer, Select, Table, func, select, type_coerce
from sqlalchemy.orm import Session

from app import audit, clock, input_rules
from app.billing import vat_rules
from app.billing.contracts import contract_spec
from app.billing.corrected import citation, corrected_invoices
from app.billing.invoices import DraftLine, LineResolver
from app.billing.issue_dates import check_open_months, check_run_date, default_issue_date
from app.billing.issuing import issue_invoices, legal_problems
from app.billing.plan import Billed, DueItem, due_items, parse_period
from app.billing.records import client_records
from app.billing.totals import compute_totals
from app.db import decimal_reader, insert_rows, paused_gc, reserve_ids
from app.errors import PropreoError, StateError, ValidationError
from app.i18n import month_names
from app.money import ZERO, format_amount, line_total
from app.progress import Progress
from models.audit import AuditEvent
from models.base import ScaledDecimal
from models.billing import BillingLedger, BillingRun
from models.clients import Client
from models.contracts import (
    Contract,
    ContractLine,
    ContractLineVersion,
    ContractStatus,
    Grouping,
    Suspension,
)
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind

MONTHS_FR = month_names()


@dataclass
class RunResult:
    period: str
    run_id: int | None = None
    invoice_ids: list[int] = field(default_factory=list)
    total_ht: Decimal = ZERO
    total_ttc: Decimal = ZERO
    warnings: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.invoice_ids)


def month_label(day: dt.date) -> str:
    return f"{MONTHS_FR[day.month - 1]} {day.year}"


def period_text(start: dt.date, end: dt.date) -> str:
    first_of_month = start.day == 1
    if (
        first_of_month
        and end.month == start.month
        and end.year == start.year
        and (end + dt.timedelta(days=1)).day == 1
    ):
        return month_label(start)
    return f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"


def _check_period(period: str) -> tuple[dt.date, dt.date]:
    try:
        return parse_period(period)
    except ValueError:
        raise ValidationError(
            "Période",
            "Période « {value} » invalide : attendu AAAA-MM, année de 1900 à 2099.",
            value=period,
        ) from None


def _draft_line(item: DueItem, line: ContractLine) -> DraftLine:
    period = item.period
    version = period.version if period else None
    if version is None:  # the period vanished from the plan: credit it with the latest version
        latest = line.versions[-1]
        description, article_id = latest.description, latest.article_id
    else:
        description, article_id = version.description, None
        for v in line.versions:
            if v.id == version.version_id:
                article_id = v.article_id
    when = period_text(item.start, item.end)
    common = {
        "article_id": article_id,
        "contract_line_id": line.id,
        "period_start": item.start,
        "period_end": item.end,
    }
    if item.is_regularisation:
        return DraftLine(
            # An amendment, a revision, a suspension or a termination changed what was due.
            description=f"Régularisation (modification du contrat) — {description} — {when}",
            quantity=Decimal(1 if item.amount > 0 else -1),
            unit_price=abs(item.amount),
            unit="forfait",
            kind=LineKind.REGULARISATION,
            **common,
        )
    if period is None or version is None:  # only a regularisation has neither
        raise StateError(
            "Ligne de contrat sans période ni tarif à facturer : {line}.", line=description
        )
    if period.prorated:
        unit = "jours" if period.length else ""
        return DraftLine(
            description=f"{description} — {when} (prorata {period.covered}/{period.length} {unit})",
            quantity=Decimal(1),
            unit_price=item.amount,
            unit="forfait",
            kind=LineKind.PRORATA,
            **common,
        )
    if (
        version.annual_budget is None
        and line_total(version.quantity, version.unit_price) == item.amount
    ):
        return DraftLine(
            description=f"{description} — {when}",
            quantity=version.quantity,
            unit_price=version.unit_price,
            **common,
        )
    return DraftLine(
        description=f"{description} — {when}",
        quantity=Decimal(1),
        unit_price=item.amount,
        unit="forfait",
        **common,
    )


def _group_key(contract: Contract, line: ContractLine) -> tuple[str, int, int | None]:
    if contract.grouping == Grouping.PAYER:
        return ("payer", contract.client_id, None)
    if contract.grouping == Grouping.SITE:
        return ("site", contract.client_id, line.site_id or contract.site_id)
    return ("contract", contract.client_id, contract.id)


def load_billed(
    session: Session, line_ids: list[int] | None = None
) -> dict[tuple[int, dt.date], Billed]:
    # Table columns (Core), not the mapped attributes: no ORM row loading for the
    # ≈ 40,000 sums of a 4,000-contract firm.
    ledger = BillingLedger.__table__.c
    query = select(
        ledger.contract_line_id,
        ledger.period_start,
        type_coerce(func.sum(ledger.amount), Integer),
        func.max(ledger.revision),
        func.max(ledger.period_end),
    ).group_by(ledger.contract_line_id, ledger.period_start)
    if line_ids is not None:
        query = query.where(ledger.contract_line_id.in_(line_ids))
    result = {}
    # The sums as stored integers (cents), converted as the column type does, once per
    # distinct sum.
    read = decimal_reader(ledger.amount.type)
    for line_id, start, total, revision, end in session.execute(query):
        result[(line_id, start)] = Billed(read(total), revision, end)
    return result


_STAMPS = frozenset({"created_at", "updated_at"})


def _columns(table: Table) -> list[Any]:
    """The columns the run reads: all but the bookkeeping timestamps; the integer-scaled
    Decimals as their stored integers (:func:`_records` converts them)."""
    return [
        type_coerce(c, Integer).label(c.key) if isinstance(c.type, ScaledDecimal) else c
        for c in table.columns
        if c.key not in _STAMPS
    ]


def _records(session: Session, query: Select[Any], table: Table) -> Iterator[SimpleNamespace]:
    """Each row of ``select(*_columns(table))...`` as a plain record (result keys read
    once, not once per row; scaled Decimals converted as the column type does)."""
    result = session.execute(query)
    keys = list(result.keys())
    readers = [
        (i, decimal_reader(table.c[key].type))
        for i, key in enumerate(keys)
        if isinstance(table.c[key].type, ScaledDecimal)
    ]
    for values in result:
        if readers:
            values = list(values)
            for i, read in readers:
                values[i] = read(values[i])
        yield SimpleNamespace(**dict(zip(keys, values, strict=True)))


def _load_contracts(
    session: Session, last: dt.date, contract_ids: list[int] | None
) -> list[SimpleNamespace]:
    """Billable contracts as plain records (columns as attributes, timestamps aside) with
    their ``lines`` (by position), each line's ``versions`` (by valid_from, id) and the
    ``suspensions`` (by start date): what :func:`contract_spec` and the run read, in four
    queries and without ORM objects (same ordering as the model's relationships)."""
    session.flush()
    c_t, l_t = Contract.__table__, ContractLine.__table__
    v_t, s_t = ContractLineVersion.__table__, Suspension.__table__
    query = (
        select(*_columns(c_t))
        .where(c_t.c.status.in_(ContractStatus.BILLABLE), c_t.c.start_date <= last)
        .order_by(c_t.c.id)
    )
    if contract_ids is not None:
        query = query.where(c_t.c.id.in_(contract_ids))
    contracts = list(_records(session, query, c_t))
    by_id = {c.id: c for c in contracts}
    for c in contracts:
        c.lines, c.suspensions = [], []
    wanted = select(c_t.c.id).where(query.whereclause)  # type: ignore[arg-type]
    # The relationships' own join conditions: whatever they leave out (a cancelled
    # amendment's versions, a cancelled suspension...) is left out here too.
    lines_of, versions_of = Contract.lines.property, ContractLine.versions.property
    suspensions_of = Contract.suspensions.property
    lines: dict[int, SimpleNamespace] = {}
    for line in _records(
        session,
        select(*_columns(l_t))
        .join(c_t, lines_of.primaryjoin)
        .where(c_t.c.id.in_(wanted))
        .order_by(l_t.c.position, l_t.c.id),
        l_t,
    ):
        line.versions = []
        lines[line.id] = line
        by_id[line.contract_id].lines.append(line)
    for version in _records(
        session,
        select(*_columns(v_t))
        .join(l_t, versions_of.primaryjoin)
        .where(l_t.c.contract_id.in_(wanted))
        .order_by(v_t.c.valid_from, v_t.c.id),
        v_t,
    ):
        lines[version.line_id].versions.append(version)
    for suspension in _records(
        session,
        select(*_columns(s_t))
        .join(c_t, suspensions_of.primaryjoin)
        .where(c_t.c.id.in_(wanted))
        .order_by(s_t.c.start_date, s_t.c.id),
        s_t,
    ):
        by_id[suspension.contract_id].suspensions.append(suspension)
    return contracts


@paused_gc()
def run_month(
    session: Session,
    period: str,
    *,
    issue_date: dt.date | None = None,
    progress: Progress | None = None,
    contract_ids: list[int] | None = None,
    advance: bool = False,
) -> RunResult:
    """Create the draft invoices of month ``period`` (YYYY-MM): everything due, not yet billed.

    Dated ``issue_date`` or by default the month's last day when past, today otherwise; never
    after today, and beyond the coming month only with ``advance`` (app.billing.issue_dates).
    """
    first, last = _check_period(period)
    issue_date = check_run_date(issue_date or default_issue_date(period), period, advance=advance)
    check_open_months(session, [issue_date])
    result = RunResult(period=period)
    contracts = _load_contracts(session, last, contract_ids)
    billed_by_line: dict[int, dict[tuple[int, dt.date], Billed]] = defaultdict(dict)
    for key, info in load_billed(session).items():
        billed_by_line[key[0]][key] = info
    groups: dict[tuple[str, int, int | None], list[tuple[Contract, ContractLine, DueItem]]] = (
        defaultdict(list)
    )
    skipped: list[str] = []
    for n, contract in enumerate(contracts, 1):
        lines = {cl.id: cl for cl in contract.lines}
        mine = {k: v for line_id in lines for k, v in billed_by_line.get(line_id, {}).items()}
        try:
            items = _due(contract, last, mine)
        except (PropreoError, ArithmeticError, ValueError) as exc:  # one contract, not the run
            skipped.append(f"Contrat {contract.code} laissé de côté : {exc}")
            continue
        for item in items:
            line = lines[item.line_id]
            groups[_group_key(contract, line)].append((contract, line, item))
        if progress is not None and n % 200 == 0:
            progress.step(n, len(contracts) * 2, f"Contrats analysés : {n}")
    clients = client_records(session, {k[1] for k in groups})
    # A blocked client is left out of the run (billed by the next run once unblocked).
    left_out = blocked_left_out(clients.values(), groups)
    groups = defaultdict(list, {k: v for k, v in groups.items() if not clients[k[1]].blocked})
    run = BillingRun(period=period, issue_date=issue_date, user_id=audit.current_user_id(session))
    session.add(run)
    session.flush()
    result.run_id = run.id
    if not groups:
        result.warnings = skipped + left_out
        run.warnings = json.dumps(result.warnings, ensure_ascii=False)
        run.finished_at = dt.datetime.now(dt.UTC)
        return result
    resolver = LineResolver(session)
    resolver.preload(
        {v.article_id for c in contracts for cl in c.lines for v in cl.versions if v.article_id}
    )
    abroad = vat_rules.sites_abroad(session)
    invoice_rows: list[dict[str, object]] = []
    line_rows: list[list[dict[str, object]]] = []
    ledger_rows: list[list[dict[str, object]]] = []
    for key, entries in groups.items():
        client = clients[key[1]]
        contracts_in = {c.id: c for c, _l, _i in entries}
        single = next(iter(contracts_in.values())) if len(contracts_in) == 1 else None
        rows, ledger = [], []
        for position, (_c, line, item) in enumerate(
            sorted(entries, key=lambda e: (e[0].id, e[1].position, e[2].start, e[2].revision)), 1
        ):
            row = resolver.row(_draft_line(item, line), position)
            rows.append(row)
            ledger.append(
                {
                    "contract_line_id": line.id,
                    "period_start": item.start,
                    "period_end": item.end,
                    "revision": item.revision,
                    "amount": item.amount,
                    "run_id": run.id,
                }
            )
        site_id = key[2] if key[0] == "site" else (single.site_id if single else None)
        vat_rules.apply_place_of_supply(rows, abroad.get(site_id))  # type: ignore[arg-type]
        totals = compute_totals([_Taxed(r) for r in rows])
        kind, sign = InvoiceKind.INVOICE, 1
        if totals.total_ttc < ZERO:
            # A negative month (regularisations only) is an avoir, amounts stated positive.
            kind, sign = InvoiceKind.CREDIT_NOTE, -1
            for row in rows:
                row["quantity"] = -row["quantity"]  # type: ignore[operator]
                row["total_ht"] = -row["total_ht"]  # type: ignore[operator]
            totals = compute_totals([_Taxed(r) for r in rows])
        codes = ", ".join(c.code for c in contracts_in.values())
        title = f"Contrat{'s' if len(contracts_in) > 1 else ''} {codes} — {month_label(first)}"
        invoice_rows.append(
            {
                "kind": kind,
                "status": InvoiceStatus.DRAFT,
                "series_code": kind,
                "issue_date": issue_date,
                "period_start": first,
                "period_end": last,
                "client_id": client.id,
                "site_id": site_id,
                "contract_id": single.id if single else None,
                "purchase_order": single.purchase_order if single else "",
                "run_id": run.id,
                "group_key": f"{key[0]}:{key[1]}:{key[2]}",
                "title": title if sign > 0 else f"Avoir de régularisation — {title}",
                "total_ht": totals.total_ht,
                "total_vat": totals.total_vat,
                "total_ttc": totals.total_ttc,
                "prepaid_total": ZERO,
                "amount_due": totals.total_ttc,
                "payment_means": client.payment_means,
                "origin_invoice_id": None,
                "notes": "",
            }
        )
        line_rows.append(rows)
        ledger_rows.append(ledger)
        result.total_ht += sign * totals.total_ht
        result.total_ttc += sign * totals.total_ttc
    _cite_corrected(session, invoice_rows, ledger_rows)
    # Explicit ids reserved from the engine: one executemany per table instead of a
    # RETURNING statement per row.
    ids = reserve_ids(session, Invoice.__table__, len(invoice_rows))
    for invoice_id, row in zip(ids, invoice_rows, strict=True):
        row["id"] = invoice_id
    insert_rows(session, Invoice.__table__, invoice_rows)
    flat_lines = []
    for invoice_id, rows in zip(ids, line_rows, strict=True):
        for row in rows:
            row["invoice_id"] = invoice_id
            flat_lines.append(row)
    line_ids = reserve_ids(session, InvoiceLine.__table__, len(flat_lines))
    for line_id, row in zip(line_ids, flat_lines, strict=True):
        row["id"] = line_id
    insert_rows(session, InvoiceLine.__table__, flat_lines)
    flat_ledger = []
    cursor = 0
    for invoice_id, ledger in zip(ids, ledger_rows, strict=True):
        for row in ledger:
            row["invoice_id"] = invoice_id
            row["invoice_line_id"] = line_ids[cursor]
            cursor += 1
            flat_ledger.append(row)
    insert_rows(session, BillingLedger.__table__, flat_ledger)
    result.invoice_ids = ids
    # What audit.record adds, one event per invoice, in one executemany.
    user_id = audit.current_user_id(session)
    insert_rows(
        session,
        AuditEvent.__table__,
        [
            {
                "user_id": user_id,
                "entity_type": "invoice",
                "entity_id": invoice_id,
                "client_id": row["client_id"],
                "action": "create",
                "summary": f"Facture provisoire ({row['title']}) : {format_amount(row['total_ht'])} HT",
                "details": "",
            }
            for invoice_id, row in zip(ids, invoice_rows, strict=True)
        ],
    )
    result.warnings = (
        skipped
        + backdating_warnings(issue_date)
        + left_out
        + client_warnings(session, [c for c in clients.values() if not c.blocked], invoice_rows)
    )
    run.created_count = len(ids)
    run.total_ht, run.total_ttc = result.total_ht, result.total_ttc
    run.warnings = json.dumps(result.warnings, ensure_ascii=False)
    run.finished_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit.record(
        session,
        "billing_run",
        run.id,
        "run",
        f"Facturation {period} : {len(ids)} facture(s) provisoire(s), {format_amount(result.total_ht)} HT",
    )
    return result


def _due(contract: Any, last: dt.date, billed: dict[Any, Billed]) -> list[DueItem]:
    """What ``contract`` owes up to ``last``, after checking what older versions or direct
    writes may have stored (texts, bounds): a contract that cannot be invoiced raises and
    is left out of the run with its reason, the others are invoiced."""
    for line in contract.lines:
        for v in line.versions:
            label = f"ligne {line.position}"
            input_rules.text(v.description, f"{label} — désignation", 1000)
            quantity = input_rules.number(v.quantity, f"{label} — quantité", 3)
            price = input_rules.number(v.unit_price, f"{label} — prix unitaire", 4)
            input_rules.number(quantity * price, f"{label} — montant (quantité × prix)")
            if v.annual_budget is not None:
                input_rules.number(v.annual_budget, f"{label} — budget annuel")
    input_rules.text(contract.purchase_order, "N° de bon de commande", 100, multiline=False)
    items = [i for i in due_items(contract_spec(contract), last, billed) if i.amount != ZERO]
    total = sum((abs(i.amount) for i in items), ZERO)
    input_rules.number(total, f"montant dû du contrat {contract.code}")
    return items


def _cite_corrected(
    session: Session,
    invoice_rows: list[dict[str, object]],
    ledger_rows: list[list[dict[str, object]]],
) -> None:
    """A credit note of the run cites the invoice it corrects (BT-25), others in a note."""
    for row, ledger in zip(invoice_rows, ledger_rows, strict=True):
        if row["kind"] != InvoiceKind.CREDIT_NOTE:
            continue
        items = [
            (entry["contract_line_id"], entry["period_start"], entry["revision"])
            for entry in ledger
            if entry["revision"]
        ]
        origin, note = citation(corrected_invoices(session, items))  # type: ignore[arg-type]
        row["origin_invoice_id"], row["notes"] = origin, note


class _Taxed:
    """Adapter: a line row dict seen as a taxed line for the totals."""

    def __init__(self, row: dict[str, object]) -> None:
        self.total_ht: Decimal = row["total_ht"]  # type: ignore[assignment]
        self.vat_rate: Decimal = row["vat_rate"]  # type: ignore[assignment]
        self.vat_category: str = row["vat_category"]  # type: ignore[assignment]
        self.vat_exemption: str = row["vat_exemption"]  # type: ignore[assignment]
        self.vat_exemption_code: str = row["vat_exemption_code"]  # type: ignore[assignment]


# A month-end run made in the first days of the next month is dated in the month billed;
# beyond this, the printed date would no longer be the real date of issue.
BACKDATING_TOLERANCE_DAYS = 15


def backdating_warnings(issue_date: dt.date, today: dt.date | None = None) -> list[str]:
    """The date of an invoice is its date of issue (art. 242 nonies A, ann. II CGI): say so
    when a catch-up run would date its invoices well before the day they are issued."""
    today = today or clock.today()
    late = (today - issue_date).days
    if late <= BACKDATING_TOLERANCE_DAYS:
        return []
    return [
        f"Factures datées du {issue_date:%d/%m/%Y}, soit {late} jours avant aujourd'hui : "
        "la date d'une facture est celle de son émission ; choisissez une date d'émission "
        "récente si ce mois n'a pas été facturé à temps."
    ]


def blocked_left_out(
    clients: Iterable[Any], groups: dict[tuple[str, int, int | None], list[Any]]
) -> list[str]:
    """Why a blocked client's contracts drafted nothing this month."""
    return [
        f"{client.name} : client bloqué — non facturé ce mois-ci "
        f"({sum(len(v) for k, v in groups.items() if k[1] == client.id)} période(s) en attente). "
        "Débloquez-le (fiche client) puis relancez la facturation du mois."
        for client in sorted(clients, key=lambda c: c.name)
        if client.blocked
    ]


def client_warnings(
    session: Session, clients: object, invoice_rows: list[dict[str, object]]
) -> list[str]:
    """In litigation, over credit limit, or missing legal data: reported, not skipped
    (blocked clients are left out of the run, see :func:`blocked_left_out`)."""
    run_ttc: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in invoice_rows:
        run_ttc[row["client_id"]] += row["total_ttc"]  # type: ignore[index, operator]
    ordered = sorted(clients, key=lambda c: c.name)
    limited = [c.id for c in ordered if c.credit_limit is not None]
    if limited:
        from app.ledger import outstanding_many

        balances = outstanding_many(session, limited)
    warnings = []
    for client in ordered:
        if client.in_litigation:
            warnings.append(f"{client.name} : client en litige.")
        missing = legal_problems(client)
        if missing:
            warnings.append(f"{client.name} : {', '.join(missing)} — facture non conforme.")
        if client.credit_limit is not None:
            exposure = balances[client.id] + run_ttc[client.id]
            if exposure > client.credit_limit:
                warnings.append(
                    f"{client.name} : encours {format_amount(exposure)} au-delà du plafond "
                    f"autorisé ({format_amount(client.credit_limit)})."
                )
    return warnings


def period_drafts(session: Session, period: str, *, include_blocked: bool = False) -> list[int]:
    """Draft invoices created by the runs of ``period`` (blocked clients left out by default)."""
    query = (
        select(Invoice.id)
        .join(BillingRun, BillingRun.id == Invoice.run_id)
        .join(Client, Client.id == Invoice.client_id)
        .where(BillingRun.period == period, Invoice.status == InvoiceStatus.DRAFT)
        .order_by(Invoice.id)
    )
    if not include_blocked:
        query = query.where(Client.blocked.is_(False))
    return list(session.scalars(query))


def issue_period(
    session: Session,
    period: str,
    *,
    progress: Progress | None = None,
    include_blocked: bool = False,
) -> list[str]:
    """Issue the drafts of the runs of ``period`` (a rerun after a crash completes it)."""
    _check_period(period)
    return issue_invoices(
        session,
        period_drafts(session, period, include_blocked=include_blocked),
        progress=progress,
        include_blocked=include_blocked,
    )
