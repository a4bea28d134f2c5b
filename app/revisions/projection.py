"""Annual projection (gain / perte) of contracts over the next 12 months.

Per contract and month:

- **revenue**: the contract's billing plan (``app.billing.plan``, with every price version
  known so far, applied revisions included), each period's amount spread over the months
  it covers in proportion to its days (the last month takes the cent remainder, so the
  spread sums exactly to the period's amount);
- **labour**: hours per month of the cadencier of the contract's sites (per qualification,
  ``app.quotes.builder.task_hours``) × the loaded hourly cost of that qualification in
  force on the month's first day (``app.costs``), pro-rated to the days the contract runs;
- **other costs**: the contract's fixed monthly amount (products, equipment) plus a
  percentage of revenue (overheads) — :class:`~models.revisions.CostAssumption`, or the
  default percentage when the contract has none;
- **margin** = revenue − labour − other. A contract whose 12-month margin is negative is
  flagged as losing money.

The effect of a proposed revision is the same projection with the revised prices from the
revision date (:func:`with_revision`): by default the revision due and computable now.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.billing.plan import ContractSpec, LineSpec, billing_plan
from app.costs import CostPoint, cost_point_at, loaded_cost
from app.errors import ValidationError
from app.money import ZERO, round_money
from app.revisions.formula import revised_price
from app.revisions.indices import add_months

HUNDRED = Decimal(100)


# --- pure -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date
    revenue: Decimal
    labour: Decimal
    other: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.labour - self.other


@dataclass(frozen=True)
class CostInputs:
    """Labour and other costs of a contract, as plain values."""

    hours: Mapping[str, Decimal]  # qualification code → hours per month
    grid: Mapping[str, Sequence[CostPoint]]  # qualification code → dated cost points
    other_monthly: Decimal = ZERO
    other_percent: Decimal = ZERO


@dataclass(frozen=True)
class Projection:
    months: tuple[MonthFigures, ...]
    warnings: tuple[str, ...] = ()

    @property
    def revenue(self) -> Decimal:
        return sum((m.revenue for m in self.months), ZERO)

    @property
    def labour(self) -> Decimal:
        return sum((m.labour for m in self.months), ZERO)

    @property
    def other(self) -> Decimal:
        return sum((m.other for m in self.months), ZERO)

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.labour - self.other

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.revenue:
            return None
        return round_money(self.margin * HUNDRED / self.revenue)

    @property
    def losing(self) -> bool:
        return self.margin < 0


def month_windows(start: dt.date, months: int) -> list[tuple[dt.date, dt.date]]:
    out = []
    for i in range(months):
        first = add_months(start, i)
        out.append((first, first.replace(day=calendar.monthrange(first.year, first.month)[1])))
    return out


def _overlap(a: dt.date, b: dt.date, c: dt.date, d: dt.date) -> int:
    return max(0, (min(b, d) - max(a, c)).days + 1)


def _months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def spread_revenue(spec: ContractSpec, start: dt.date, months: int) -> list[Decimal]:
    """Revenue of each month of the window: periods spread by days, exact to the cent."""
    windows = month_windows(start, months)
    totals = [ZERO] * months
    for period in billing_plan(spec, windows[-1][1]):
        if period.end < windows[0][0]:
            continue
        days = (period.end - period.start).days + 1
        covered = month_windows(period.start, _months_between(period.start, period.end))
        allocated = ZERO
        for i, (first, last) in enumerate(covered):
            if i == len(covered) - 1:
                part = period.amount - allocated
            else:
                part = round_money(
                    period.amount * _overlap(period.start, period.end, first, last) / days
                )
            allocated += part
            index = _months_between(start, first) - 1
            if 0 <= index < months:
                totals[index] += part
    return totals


def running_fraction(spec: ContractSpec, first: dt.date, last: dt.date) -> Decimal:
    """Share of the month during which the contract runs (labour is spent)."""
    end = spec.end_date or dt.date.max
    days = _overlap(first, last, spec.start_date, end)
    return Decimal(days) / Decimal((last - first).days + 1)


def project(spec: ContractSpec, costs: CostInputs, start: dt.date, months: int = 12) -> Projection:
    """12-month projection of one contract (pure)."""
    revenue = spread_revenue(spec, start, months)
    warnings: list[str] = []
    figures = []
    for (first, last), income in zip(month_windows(start, months), revenue, strict=True):
        fraction = running_fraction(spec, first, last)
        labour = ZERO
        for code, hours in sorted(costs.hours.items()):
            point = cost_point_at(costs.grid.get(code, ()), first)
            if point is None:
                message = f"Pas de coût horaire pour {code} au {first:%d/%m/%Y}."
                if message not in warnings:
                    warnings.append(message)
                continue
            labour += hours * loaded_cost(point.hourly_wage, point.charges_rate) * fraction
        labour = round_money(labour)
        other = round_money(costs.other_monthly * fraction + income * costs.other_percent / HUNDRED)
        figures.append(MonthFigures(first, income, labour, other))
    return Projection(tuple(figures), tuple(warnings))


def with_revision(spec: ContractSpec, day: dt.date, coefficient: Decimal) -> ContractSpec:
    """The contract as if its prices were revised by ``coefficient`` from ``day`` on."""
    lines = []
    for line in spec.lines:
        versions = sorted(line.versions, key=lambda v: v.valid_from)
        current = None
        for v in versions:
            if v.valid_from <= day:
                current = v
        if current is None or current.removed or current.frequency == "one_off":
            lines.append(line)
            continue
        decimals = 2 if current.unit_price == round_money(current.unit_price) else 4
        revised = dataclasses.replace(
            current,
            valid_from=day,
            unit_price=revised_price(current.unit_price, coefficient, price_decimals=decimals),
            annual_budget=round_money(current.annual_budget * coefficient)
            if current.annual_budget is not None
            else None,
            version_id=None,
        )
        kept = tuple(v for v in versions if v.valid_from != day)
        lines.append(LineSpec(line.line_id, (*kept, revised)))
    return dataclasses.replace(spec, lines=tuple(lines))


# --- loading --------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractProjection:
    contract_id: int
    contract_code: str
    client_name: str
    hours_per_month: Decimal
    projection: Projection
    proposed: Projection | None = None  # with the proposed revision
    proposed_label: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def revision_effect(self) -> Decimal:
        if self.proposed is None:
            return ZERO
        return self.proposed.revenue - self.projection.revenue


def _schedules(session: Session) -> dict[int, list[tuple[Any, str | None]]]:
    """Active cadencier lines of every site with their qualification code (one query)."""
    from models.costs import Qualification
    from models.schedules import TaskSchedule

    stmt = (
        select(TaskSchedule, Qualification.code)
        .outerjoin(Qualification, Qualification.id == TaskSchedule.qualification_id)
        .where(TaskSchedule.active.is_(True))
        .order_by(TaskSchedule.site_id, TaskSchedule.position)
    )
    out: dict[int, list[tuple[Any, str | None]]] = {}
    for task, code in session.execute(stmt).all():
        out.setdefault(task.site_id, []).append((task, code))
    return out


def _hours(
    schedules: Mapping[int, list[tuple[Any, str | None]]], site_ids: Sequence[int]
) -> tuple[dict[str, Decimal], list[str]]:
    from app.quotes.builder import TaskLine, task_hours

    hours: dict[str, Decimal] = {}
    warnings: list[str] = []
    if not site_ids:
        return hours, ["Pas de chantier : coût de main-d'œuvre inconnu."]
    rows = [row for site_id in site_ids for row in schedules.get(site_id, [])]
    if not rows:
        warnings.append("Pas de cadencier : coût de main-d'œuvre inconnu.")
    for task, code in rows:
        if code is None:
            warnings.append(f"Tâche « {task.task} » sans qualification : non chiffrée.")
            continue
        line = TaskLine(
            task=task.task,
            qualification=code,
            frequency=task.frequency,
            period=task.period,
            minutes_per_pass=task.minutes_per_pass,
            surface_m2=task.surface_m2,
            productivity_m2_h=task.productivity_m2_h,
        )
        try:
            h = task_hours(line, one_off=False, days_per_week=Decimal(5))
        except ValidationError as exc:  # a bad task must not hide the whole projection
            warnings.append(str(exc))
            continue
        hours[code] = hours.get(code, ZERO) + h
    return hours, warnings


def _grid(session: Session) -> dict[str, list[CostPoint]]:
    from app.costs import points_of
    from models.costs import Qualification

    stmt = select(Qualification).options(selectinload(Qualification.costs))
    return {q.code: points_of(q) for q in session.scalars(stmt)}


def project_contracts(
    session: Session,
    start: dt.date,
    *,
    months: int = 12,
    contract_ids: Sequence[int] | None = None,
    default_other_percent: Decimal = ZERO,
    proposals: Mapping[int, tuple[dt.date, Decimal]] | None = None,
    today: dt.date | None = None,
) -> list[ContractProjection]:
    """Projection of every running contract (or the given ones) from month ``start``.

    ``proposals`` maps a contract to a (date, coefficient) revision to simulate; without
    it, the revision due within the window and computable from the indices is simulated.
    """
    from app.billing.contracts import contract_spec
    from app.revisions import runs
    from models.clients import Client
    from models.contracts import Contract, ContractLine, ContractStatus
    from models.revisions import CostAssumption

    start = start.replace(day=1)
    window_end = add_months(start, months) - dt.timedelta(days=1)
    stmt = (
        select(Contract)
        .where(
            Contract.status.in_(
                (ContractStatus.ACTIVE, ContractStatus.SUSPENDED, ContractStatus.TERMINATED)
            )
        )
        .options(
            selectinload(Contract.lines).selectinload(ContractLine.versions),
            selectinload(Contract.sites),
            selectinload(Contract.suspensions),
        )
        .order_by(Contract.code)
    )
    if contract_ids is not None:
        stmt = stmt.where(Contract.id.in_(contract_ids))
    grid = _grid(session)
    schedules = _schedules(session)
    client_names = dict(session.execute(select(Client.id, Client.name)).all())
    assumptions = {a.contract_id: a for a in session.scalars(select(CostAssumption))}
    due = {
        d.contract_id: (d.revision_date, d.coefficient)
        for d in runs.due_revisions(session, window_end, today=today or start)
        if d.ready and d.coefficient is not None
    }
    out = []
    for contract in session.scalars(stmt):
        spec = contract_spec(contract)
        if spec.end_date is not None and spec.end_date < start:
            continue
        site_ids = [s for s in [contract.site_id, *(cs.site_id for cs in contract.sites)] if s]
        hours, warnings = _hours(schedules, site_ids)
        assumption = assumptions.get(contract.id)
        costs = CostInputs(
            hours=hours,
            grid=grid,
            other_monthly=assumption.other_monthly if assumption else ZERO,
            other_percent=assumption.other_percent if assumption else default_other_percent,
        )
        projection = project(spec, costs, start, months)
        proposal = (proposals or {}).get(contract.id)
        label = ""
        if proposal is None and contract.id in due:
            proposal = due[contract.id]
            label = "Révision due"
        elif proposal is not None:
            label = "Révision proposée"
        proposed = None
        if proposal is not None:
            proposed = project(with_revision(spec, *proposal), costs, start, months)
            label = f"{label} au {proposal[0]:%d/%m/%Y} : coefficient {proposal[1]}"
        out.append(
            ContractProjection(
                contract.id,
                contract.code,
                client_names.get(contract.client_id, ""),
                sum(hours.values(), ZERO),
                projection,
                proposed,
                label,
                tuple(warnings) + projection.warnings,
            )
        )
    return out


PROJECTION_HEADERS = (
    "Contrat",
    "Client",
    "Heures / mois",
    "Chiffre d'affaires 12 mois",
    "Main-d'œuvre",
    "Autres coûts",
    "Marge",
    "Marge %",
    "Effet de la révision",
    "Alerte",
)


def projection_rows(items: Sequence[ContractProjection]) -> list[list[object]]:
    rows: list[list[object]] = []
    for item in items:
        p = item.projection
        rows.append(
            [
                item.contract_code,
                item.client_name,
                item.hours_per_month,
                p.revenue,
                p.labour,
                p.other,
                p.margin,
                p.margin_percent,
                item.revision_effect,
                "Contrat déficitaire" if p.losing else "",
            ]
        )
    return rows


def export_xlsx(items: Sequence[ContractProjection], path: str) -> str:
    """The projection table, a total line, then the months of the whole portfolio."""
    from reports.xlsx import write_table

    rows = projection_rows(items)
    total = [
        "TOTAL",
        "",
        sum((i.hours_per_month for i in items), ZERO),
        sum((i.projection.revenue for i in items), ZERO),
        sum((i.projection.labour for i in items), ZERO),
        sum((i.projection.other for i in items), ZERO),
        sum((i.projection.margin for i in items), ZERO),
        None,
        sum((i.revision_effect for i in items), ZERO),
        "",
    ]
    write_table(path, "Projection annuelle", PROJECTION_HEADERS, [*rows, total])
    return path


def monthly_totals(items: Sequence[ContractProjection]) -> list[MonthFigures]:
    """Portfolio total per month (for the chart)."""
    if not items:
        return []
    out = []
    for i, first in enumerate(items[0].projection.months):
        out.append(
            MonthFigures(
                first.month,
                sum((c.projection.months[i].revenue for c in items), ZERO),
                sum((c.projection.months[i].labour for c in items), ZERO),
                sum((c.projection.months[i].other for c in items), ZERO),
            )
        )
    return out
