"""Billing plan (échéancier): a pure function from a contract to its billing periods.

Rules (documented here because the runs, the échéancier and the tests all rely on them):

- Periods are aligned on the calendar: monthly = calendar months, every 2 months =
  Jan–Feb, Mar–Apr, …; quarterly = calendar quarters; half-yearly = Jan–Jun / Jul–Dec;
  yearly = calendar year. Seasonal lines bill the calendar months of their month set.
  A one-off line bills once on its date.
- A line's versions split its life into segments ``[valid_from, next valid_from)``; each
  segment bills with its own price, quantity, frequency and term. A period cut by a
  segment boundary, the contract's or the line's start/end, or an unbilled suspension
  is pro-rated (calendar days of the period, or 30-day months).
- A period is *due* from its start when billed in advance (« à échoir ») and from its end
  when billed in arrears (« terme échu »): the run of month M bills every period due on
  or before the last day of M that is not yet in the billing ledger (catch-up included).
- Periods are keyed by ``(line_id, start)``: that is the billing ledger's unique key.
- "1/12 of an annual budget": month m of a calendar year bills
  ``round(B·m/12) − round(B·(m−1)/12)``, so twelve months sum exactly to the budget.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter

from app.money import ZERO, line_total, round_money

ADVANCE = "advance"
ARREARS = "arrears"
DAYS = "days"
MONTH30 = "month30"
MONTHLY = "monthly"
SEASONAL = "seasonal"
ONE_OFF = "one_off"
PERIOD_MONTHS = {
    "monthly": 1,
    "bimonthly": 2,
    "quarterly": 3,
    "half_yearly": 6,
    "yearly": 12,
    "seasonal": 1,
}
FAR = dt.date(9999, 12, 31)
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class VersionSpec:
    valid_from: dt.date
    quantity: Decimal = Decimal("1")
    unit_price: Decimal = ZERO
    frequency: str = MONTHLY
    term: str = ADVANCE
    months: frozenset[int] = frozenset()
    one_off_date: dt.date | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    annual_budget: Decimal | None = None
    removed: bool = False
    description: str = ""
    version_id: int | None = None


@dataclass(frozen=True)
class LineSpec:
    line_id: int
    versions: tuple[VersionSpec, ...]


@dataclass(frozen=True)
class SuspensionSpec:
    start: dt.date
    end: dt.date
    line_id: int | None = None  # None: the whole contract
    billed: bool = False


@dataclass(frozen=True)
class ContractSpec:
    start_date: dt.date
    end_date: dt.date | None = None  # effective end (None: open-ended / tacit renewal)
    prorata: str = DAYS
    lines: tuple[LineSpec, ...] = ()
    suspensions: tuple[SuspensionSpec, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class BillingPeriod:
    line_id: int
    start: dt.date  # first day billed (the ledger key with line_id)
    end: dt.date  # last day billed
    full_start: dt.date
    full_end: dt.date
    due: dt.date
    full_amount: Decimal
    amount: Decimal
    covered: int  # days (or 30-day-month days) billed
    length: int  # days (or 30-day-month days) of the full period
    version: VersionSpec

    @property
    def key(self) -> tuple[int, dt.date]:
        return (self.line_id, self.start)

    @property
    def prorated(self) -> bool:
        return self.covered != self.length


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """First day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month ``YYYY-MM`` that contains ``day``."""
    return day.replace(day=1), month_end(day)


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """``"2026-09"`` → (2026-09-01, 2026-09-30); ValueError when malformed."""
    year, month = text.strip().split("-")
    if len(year) != 4 or len(month) != 2 or not "1900" <= year <= "2099":
        raise ValueError(text)  # 9999-12 would make month arithmetic leave the calendar
    first = dt.date(int(year), int(month), 1)
    return first, month_end(first)


def _days30(a: dt.date, b: dt.date) -> int:
    """30-day-month days of [a, b] where a and b are in the same month."""
    end = 30 if b == month_end(b) else min(b.day, 30)
    return max(0, end - min(a.day, 30) + 1)


def _measure(ranges: list[tuple[dt.date, dt.date]], rule: str) -> int:
    total = 0
    for a, b in ranges:
        if rule == MONTH30:
            cursor = a
            while cursor <= b:
                last = min(b, month_end(cursor))
                total += _days30(cursor, last)
                cursor = last + ONE_DAY
        else:
            total += (b - a).days + 1
    return total


def _subtract(
    ranges: list[tuple[dt.date, dt.date]], holes: list[tuple[dt.date, dt.date]]
) -> list[tuple[dt.date, dt.date]]:
    for h_start, h_end in holes:
        result: list[tuple[dt.date, dt.date]] = []
        for a, b in ranges:
            if h_end < a or h_start > b:
                result.append((a, b))
                continue
            if h_start > a:
                result.append((a, h_start - ONE_DAY))
            if h_end < b:
                result.append((h_end + ONE_DAY, b))
        ranges = result
    return ranges


def _full_periods(
    version: VersionSpec, first: dt.date, last: dt.date
) -> tuple[tuple[dt.date, dt.date], ...]:
    """Full calendar periods of the version's frequency that meet [first, last]."""
    return _calendar_periods(version.frequency, version.months, version.one_off_date, first, last)


@lru_cache(maxsize=4096)
def _calendar_periods(
    frequency: str,
    months: frozenset[int],
    one_off_date: dt.date | None,
    first: dt.date,
    last: dt.date,
) -> tuple[tuple[dt.date, dt.date], ...]:
    # Memoised: the lines of a firm share a few dozen (frequency, first, last) between
    # them (4,000 contracts: 12,000 lines, 72 distinct calls).
    if frequency == ONE_OFF:
        day = one_off_date
        return ((day, day),) if day is not None and first <= day <= last else ()
    n = PERIOD_MONTHS.get(frequency, 1)
    month0 = ((first.month - 1) // n) * n + 1
    cursor = dt.date(first.year, month0, 1)
    periods = []
    while cursor <= last:
        nxt = add_months(cursor, n)
        if frequency != SEASONAL or cursor.month in months:
            periods.append((cursor, nxt - ONE_DAY))
        cursor = nxt
    return tuple(periods)


def full_amount(version: VersionSpec, full_start: dt.date, full_end: dt.date) -> Decimal:
    """Amount of a whole period of this version (before pro-rata)."""
    if version.annual_budget is not None:
        budget = version.annual_budget
        m_last = full_end.month if full_end.year == full_start.year else 12
        m_first = full_start.month
        return round_money(budget * m_last / 12) - round_money(budget * (m_first - 1) / 12)
    return line_total(version.quantity, version.unit_price)


# One period as a plain tuple (the run plans ~50,000 periods for 4,000 contracts: tuples
# and one BillingPeriod per period actually billed are much cheaper than a frozen
# dataclass per period). Fields in BillingPeriod order, preceded by the due date.
_Row = tuple[
    dt.date, int, dt.date, dt.date, dt.date, dt.date, Decimal, Decimal, int, int, VersionSpec
]


def _line_rows(contract: ContractSpec, line: LineSpec, until: dt.date) -> list[_Row]:
    """Periods of one line that start on or before ``until``, as
    ``(due, line_id, start, end, full_start, full_end, full_amount, amount, covered,
    length, version)``: the rules of :func:`line_plan`, which builds on it."""
    versions = sorted(line.versions, key=lambda v: v.valid_from)
    line_id = line.line_id
    holes = [
        (s.start, s.end)
        for s in contract.suspensions
        if not s.billed and (s.line_id is None or s.line_id == line_id)
    ]
    rule = contract.prorata
    calendar_days = rule != MONTH30
    contract_end = contract.end_date or FAR
    out: list[_Row] = []
    for index, version in enumerate(versions):
        if version.removed:
            continue
        seg_end = versions[index + 1].valid_from - ONE_DAY if index + 1 < len(versions) else FAR
        first = max(version.valid_from, contract.start_date, version.start_date or dt.date.min)
        last = min(seg_end, contract_end, version.end_date or FAR)
        if first > last:
            continue
        one_off = version.frequency == ONE_OFF
        # The amount of a whole period depends on the period only for an annual budget.
        flat = (
            line_total(version.quantity, version.unit_price)
            if version.annual_budget is None
            else None
        )
        advance = version.term == ADVANCE
        for full_start, full_end in _full_periods(version, first, min(last, until)):
            start = full_start if full_start > first else first
            end = full_end if full_end < last else last
            if one_off:
                length = covered = 1
            else:
                if calendar_days:
                    length = (full_end - full_start).days + 1
                else:
                    length = _measure([(full_start, full_end)], rule)
                if holes:
                    covered = _measure(_subtract([(start, end)], holes), rule)
                elif start == full_start and end == full_end:
                    covered = length
                elif calendar_days:
                    covered = (end - start).days + 1
                else:
                    covered = _measure([(start, end)], rule)
            if covered <= 0:
                continue
            whole = flat if flat is not None else full_amount(version, full_start, full_end)
            amount = whole if covered == length else round_money(whole * covered / length)
            out.append(
                (
                    start if advance else end,
                    line_id,
                    start,
                    end,
                    full_start,
                    full_end,
                    whole,
                    amount,
                    covered,
                    length,
                    version,
                )
            )
    return out


def _period(row: _Row) -> BillingPeriod:
    due, line_id, start, end, full_start, full_end, whole, amount, covered, length, version = row
    return BillingPeriod(
        line_id=line_id,
        start=start,
        end=end,
        full_start=full_start,
        full_end=full_end,
        due=due,
        full_amount=whole,
        amount=amount,
        covered=covered,
        length=length,
        version=version,
    )


def _plan_rows(contract: ContractSpec, until: dt.date) -> list[_Row]:
    rows = [r for line in contract.lines for r in _line_rows(contract, line, until)]
    rows.sort(key=_ORDER)  # due, line, start (stable, as billing_plan)
    return rows


_ORDER = itemgetter(0, 1, 2)


def line_plan(contract: ContractSpec, line: LineSpec, until: dt.date) -> list[BillingPeriod]:
    """Periods of one line that start on or before ``until`` (due or not)."""
    return [_period(row) for row in _line_rows(contract, line, until)]


def billing_plan(contract: ContractSpec, until: dt.date) -> list[BillingPeriod]:
    """Every period of every line that starts on or before ``until``, in date order."""
    return [_period(row) for row in _plan_rows(contract, until)]


@dataclass(frozen=True)
class DueItem:
    """Something a run must bill: a period (revision 0) or a regularisation of it."""

    line_id: int
    start: dt.date
    end: dt.date
    amount: Decimal
    revision: int
    period: BillingPeriod | None  # None when the period no longer exists in the plan

    @property
    def is_regularisation(self) -> bool:
        return self.revision > 0


@dataclass(frozen=True)
class Billed:
    """What the ledger holds for one (line, period start)."""

    amount: Decimal
    last_revision: int
    end: dt.date


def due_items(
    contract: ContractSpec,
    until: dt.date,
    billed: dict[tuple[int, dt.date], Billed],
) -> list[DueItem]:
    """What a run up to ``until`` must bill for a contract, given what is already billed.

    Unbilled periods due on or before ``until`` are billed in full (catch-up included).
    A period already billed whose planned amount changed (retroactive amendment,
    suspension, earlier end) gets a regularisation item for the difference; a billed
    period that no longer exists in the plan is regularised to zero.
    """
    horizon = until
    for billed_period in billed.values():
        horizon = max(horizon, billed_period.end)
    plan = _plan_rows(contract, horizon)
    planned = {(row[1], row[2]) for row in plan}
    items: list[DueItem] = []
    for row in plan:
        due, line_id, start, end = row[0], row[1], row[2], row[3]
        amount = row[7]
        info = billed.get((line_id, start))
        if info is None:
            if due <= until:
                items.append(DueItem(line_id, start, end, amount, 0, _period(row)))
        elif info.amount != amount:
            items.append(
                DueItem(
                    line_id,
                    start,
                    end,
                    amount - info.amount,
                    info.last_revision + 1,
                    _period(row),
                )
            )
    line_ids = {line.line_id for line in contract.lines}
    for key, info in billed.items():
        if key not in planned and key[0] in line_ids and info.amount != ZERO:
            items.append(
                DueItem(key[0], key[1], info.end, -info.amount, info.last_revision + 1, None)
            )
    return items
