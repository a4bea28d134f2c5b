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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, FromClause, Integer, Select, func, select, type_coerce
from sqlalchemy.orm import Session

from app import audit, clock
from app.billing import vat_rules
from app.billing.corrected import citation, corrected_invoices
from app.billing.invoices import LineResolver
from app.billing.issue_dates import check_run_date, check_run_month_open, default_issue_date
from app.billing.issuing import issue_invoices, legal_problems
from app.billing.plan import Billed, parse_period
from app.billing.records import client_records
from app.billing.run_build import GroupKey, RunDraft, build_drafts, plan_groups
from app.billing.run_records import RunContract, RunLine, RunSuspension, RunVersion
from app.db import decimal_reader, insert_rows, paused_gc, reserve_ids
from app.errors import ValidationError
from app.money import ZERO, format_amount
from app.progress import Progress
from models.base import ScaledDecimal
from models.billing import BillingLedger, BillingRun
from models.clients import Client
from models.contracts import Contract, ContractLine, ContractLineVersion, ContractStatus, Suspension
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus

R = TypeVar("R")


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


def _check_period(period: str) -> tuple[dt.date, dt.date]:
    try:
        return parse_period(period)
    except ValueError:
        raise ValidationError(
            "Période",
            "Période « {value} » invalide : attendu AAAA-MM, année de 1900 à 2099.",
            value=period,
        ) from None


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


def _columns(table: FromClause, names: tuple[str, ...]) -> list[ColumnElement[Any]]:
    """Columns ``names`` of ``table``; the integer-scaled Decimals as their stored
    integers (:func:`_records` converts them)."""
    return [
        type_coerce(table.c[n], Integer).label(n)
        if isinstance(table.c[n].type, ScaledDecimal)
        else table.c[n]
        for n in names
    ]


def _records(
    session: Session, query: Select[Any], table: FromClause, make: Callable[..., R], lists: int = 0
) -> Iterator[R]:
    """Each row of ``select(*_columns(table, names))...`` as ``make(*values, *lists)``
    (``lists`` new empty lists after the values; scaled Decimals converted as the column
    type does)."""
    result = session.execute(query)
    readers = [
        (i, decimal_reader(table.c[key].type))
        for i, key in enumerate(result.keys())
        if isinstance(table.c[key].type, ScaledDecimal)
    ]
    for row in result:
        values = list(row)
        for i, read in readers:
            values[i] = read(values[i])
        if lists:
            values.extend([] for _ in range(lists))
        yield make(*values)


_CONTRACT = RunContract._fields[:-2]  # lines, suspensions: filled below
_LINE = RunLine._fields[:-1]  # versions
_VERSION, _SUSPENSION = RunVersion._fields, RunSuspension._fields


def load_contracts(
    session: Session, last: dt.date, contract_ids: list[int] | None = None
) -> list[RunContract]:
    """Billable contracts started by ``last`` as typed records with their ``lines`` (by
    position), each line's ``versions`` (by valid_from, id) and the ``suspensions`` (by
    start date): what :func:`contract_spec` and the run read, in four queries and without
    ORM objects (same ordering as the model's relationships)."""
    session.flush()
    c_t, l_t = Contract.__table__, ContractLine.__table__
    v_t, s_t = ContractLineVersion.__table__, Suspension.__table__
    where = [c_t.c.status.in_(ContractStatus.BILLABLE), c_t.c.start_date <= last]
    if contract_ids is not None:
        where.append(c_t.c.id.in_(contract_ids))
    query = select(*_columns(c_t, _CONTRACT)).where(*where).order_by(c_t.c.id)
    contracts = list(_records(session, query, c_t, RunContract, 2))
    by_id = {c.id: c for c in contracts}
    wanted = select(c_t.c.id).where(*where)
    # The relationships' own join conditions: whatever they leave out (a cancelled
    # amendment's versions, a cancelled suspension...) is left out here too.
    lines_of, versions_of = Contract.lines.property, ContractLine.versions.property
    suspensions_of = Contract.suspensions.property
    lines: dict[int, RunLine] = {}
    for line in _records(
        session,
        select(*_columns(l_t, _LINE))
        .join(c_t, lines_of.primaryjoin)
        .where(c_t.c.id.in_(wanted))
        .order_by(l_t.c.position, l_t.c.id),
        l_t,
        RunLine,
        1,
    ):
        lines[line.id] = line
        by_id[line.contract_id].lines.append(line)
    for version in _records(
        session,
        select(*_columns(v_t, _VERSION))
        .join(l_t, versions_of.primaryjoin)
        .where(l_t.c.contract_id.in_(wanted))
        .order_by(v_t.c.valid_from, v_t.c.id),
        v_t,
        RunVersion,
    ):
        lines[version.line_id].versions.append(version)
    for suspension in _records(
        session,
        select(*_columns(s_t, _SUSPENSION))
        .join(c_t, suspensions_of.primaryjoin)
        .where(c_t.c.id.in_(wanted))
        .order_by(s_t.c.start_date, s_t.c.id),
        s_t,
        RunSuspension,
    ):
        by_id[suspension.contract_id].suspensions.append(suspension)
    return contracts


def _billed_by_line(session: Session) -> dict[int, dict[tuple[int, dt.date], Billed]]:
    by_line: dict[int, dict[tuple[int, dt.date], Billed]] = defaultdict(dict)
    for key, info in load_billed(session).items():
        by_line[key[0]][key] = info
    return by_line


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

    Load (contracts, ledger, clients, catalogue) → build (:mod:`app.billing.run_build`,
    no session) → write (:func:`_write_drafts`: bulk inserts and their audit rows).
    """
    first, last = _check_period(period)
    chosen = issue_date is not None
    issue_date = check_run_date(issue_date or default_issue_date(period), period, advance=advance)
    check_run_month_open(session, issue_date, period, by_default=not chosen)
    contracts = load_contracts(session, last, contract_ids)
    groups, skipped = plan_groups(contracts, _billed_by_line(session), last, progress)
    clients = client_records(session, {k[1] for k in groups})
    # A blocked client is left out of the run (billed by the next run once unblocked).
    left_out = blocked_left_out(clients.values(), groups)
    groups = {k: v for k, v in groups.items() if not clients[k[1]].blocked}
    run = BillingRun(period=period, issue_date=issue_date, user_id=audit.current_user_id(session))
    session.add(run)
    session.flush()
    result = RunResult(period=period, run_id=run.id)
    if not groups:
        result.warnings = skipped + left_out
        _close_run(run, result)
        return result
    resolver = LineResolver(session)
    resolver.preload(
        {v.article_id for c in contracts for cl in c.lines for v in cl.versions if v.article_id}
    )
    build = build_drafts(
        groups,
        payment_means={c.id: c.payment_means for c in clients.values()},
        abroad=vat_rules.sites_abroad(session),
        first=first,
        last=last,
        issue_date=issue_date,
        run_id=run.id,
        rows=resolver,
    )
    _cite_corrected(session, build.drafts)
    result.invoice_ids = _write_drafts(session, build.drafts)
    result.total_ht, result.total_ttc = build.total_ht, build.total_ttc
    invoice_rows = [d.invoice for d in build.drafts]
    result.warnings = (
        skipped
        + backdating_warnings(issue_date)
        + left_out
        + client_warnings(session, [c for c in clients.values() if not c.blocked], invoice_rows)
    )
    _close_run(run, result)
    session.flush()
    audit.record(
        session,
        "billing_run",
        run.id,
        "run",
        f"Facturation {period} : {result.created} facture(s) provisoire(s), "
        f"{format_amount(result.total_ht)} HT",
    )
    return result


def _close_run(run: BillingRun, result: RunResult) -> None:
    run.created_count = result.created
    run.total_ht, run.total_ttc = result.total_ht, result.total_ttc
    run.warnings = json.dumps(result.warnings, ensure_ascii=False)
    run.finished_at = dt.datetime.now(dt.UTC)


def _write_drafts(session: Session, drafts: list[RunDraft]) -> list[int]:
    """Insert the drafts, their lines and ledger rows, and one audit event per draft.

    Explicit ids reserved from the engine: one executemany per table instead of a
    RETURNING statement per row."""
    ids = reserve_ids(session, Invoice.__table__, len(drafts))
    for invoice_id, draft in zip(ids, drafts, strict=True):
        draft.invoice["id"] = invoice_id
    insert_rows(session, Invoice.__table__, [d.invoice for d in drafts])
    lines = [
        (invoice_id, row) for invoice_id, d in zip(ids, drafts, strict=True) for row in d.lines
    ]
    line_ids = reserve_ids(session, InvoiceLine.__table__, len(lines))
    for line_id, (invoice_id, row) in zip(line_ids, lines, strict=True):
        row["id"], row["invoice_id"] = line_id, invoice_id
    insert_rows(session, InvoiceLine.__table__, [row for _i, row in lines])
    ledger = [row for d in drafts for row in d.ledger]  # one per line, same order
    for entry, (invoice_id, line) in zip(ledger, lines, strict=True):
        entry["invoice_id"], entry["invoice_line_id"] = invoice_id, line["id"]
    insert_rows(session, BillingLedger.__table__, ledger)
    user_id = audit.current_user_id(session)
    audit.record_rows(
        session,
        [
            audit.event_row(
                "invoice",
                invoice_id,
                "create",
                f"Facture provisoire ({d.invoice['title']}) : "
                f"{format_amount(cast(Decimal, d.invoice['total_ht']))} HT",
                user_id=user_id,
                client_id=cast(int, d.invoice["client_id"]),
            )
            for invoice_id, d in zip(ids, drafts, strict=True)
        ],
    )
    return ids


def _cite_corrected(session: Session, drafts: list[RunDraft]) -> None:
    """A credit note of the run cites the invoice it corrects (BT-25), others in a note."""
    for draft in drafts:
        if draft.invoice["kind"] != InvoiceKind.CREDIT_NOTE:
            continue
        items = [
            (
                cast(int, entry["contract_line_id"]),
                cast(dt.date, entry["period_start"]),
                cast(int, entry["revision"]),
            )
            for entry in draft.ledger
            if entry["revision"]
        ]
        origin, note = citation(corrected_invoices(session, items))
        draft.invoice["origin_invoice_id"], draft.invoice["notes"] = origin, note


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


def blocked_left_out(clients: Iterable[Any], groups: dict[GroupKey, list[Any]]) -> list[str]:
    """Why a blocked client's contracts drafted nothing this month."""
    return [
        f"{client.name} : client bloqué — non facturé ce mois-ci "
        f"({sum(len(v) for k, v in groups.items() if k[1] == client.id)} période(s) en attente). "
        "Débloquez-le (fiche client) puis relancez la facturation du mois."
        for client in sorted(clients, key=lambda c: c.name)
        if client.blocked
    ]


def client_warnings(
    session: Session, clients: Iterable[Any], invoice_rows: list[dict[str, object]]
) -> list[str]:
    """In litigation, over credit limit, or missing legal data: reported, not skipped
    (blocked clients are left out of the run, see :func:`blocked_left_out`)."""
    run_ttc: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in invoice_rows:
        run_ttc[cast(int, row["client_id"])] += cast(Decimal, row["total_ttc"])
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


def active_contracts(session: Session) -> int:
    """How many contracts a run may bill (to start the checking workers early)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Contract)
            .where(Contract.status == ContractStatus.ACTIVE)
        )
        or 0
    )


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
