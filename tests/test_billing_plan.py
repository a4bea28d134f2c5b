"""Billing plans (pure): periods, pro-rata, terms, seasons, budgets, catch-up, regularisation."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.billing.plan import (
    Billed,
    ContractSpec,
    LineSpec,
    SuspensionSpec,
    VersionSpec,
    billing_plan,
    due_items,
    month_end,
)

D = dt.date


def amounts(periods):  # type: ignore[no-untyped-def]
    return [(p.line_id, p.start, p.end, p.amount) for p in periods]


def test_monthly_arrears_started_mid_month_is_prorated_by_calendar_days() -> None:
    spec = ContractSpec(
        start_date=D(2026, 1, 15),
        lines=(
            LineSpec(
                1, (VersionSpec(D(2026, 1, 15), Decimal(1), Decimal(1200), "monthly", "arrears"),)
            ),
        ),
    )
    plan = billing_plan(spec, D(2026, 3, 31))
    assert amounts(plan) == [
        (1, D(2026, 1, 15), D(2026, 1, 31), Decimal("658.06")),  # 1200 × 17/31
        (1, D(2026, 2, 1), D(2026, 2, 28), Decimal("1200.00")),
        (1, D(2026, 3, 1), D(2026, 3, 31), Decimal("1200.00")),
    ]
    assert [p.due for p in plan] == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31)]
    assert plan[0].prorated and not plan[1].prorated


def test_thirty_day_months_prorata() -> None:
    spec = ContractSpec(
        start_date=D(2026, 1, 15),
        prorata="month30",
        lines=(LineSpec(1, (VersionSpec(D(2026, 1, 15), Decimal(1), Decimal(1200)),)),),
    )
    first = billing_plan(spec, D(2026, 1, 31))[0]
    assert (first.covered, first.length, first.amount) == (16, 30, Decimal("640.00"))
    # February counts 30 days too: 15 → 28 February is 16/30.
    spec2 = replace(spec, start_date=D(2026, 2, 15))
    feb = billing_plan(spec2, D(2026, 2, 28))[0]
    assert (feb.covered, feb.amount) == (16, Decimal("640.00"))


def test_quarterly_advance_is_due_on_its_first_day_and_prorated() -> None:
    spec = ContractSpec(
        start_date=D(2026, 1, 15),
        lines=(
            LineSpec(
                2, (VersionSpec(D(2026, 1, 15), Decimal(1), Decimal(450), "quarterly", "advance"),)
            ),
        ),
    )
    plan = billing_plan(spec, D(2026, 12, 31))
    assert amounts(plan) == [
        (2, D(2026, 1, 15), D(2026, 3, 31), Decimal("380.00")),  # 450 × 76/90
        (2, D(2026, 4, 1), D(2026, 6, 30), Decimal("450.00")),
        (2, D(2026, 7, 1), D(2026, 9, 30), Decimal("450.00")),
        (2, D(2026, 10, 1), D(2026, 12, 31), Decimal("450.00")),
    ]
    assert plan[0].due == D(2026, 1, 15)


def test_every_frequency_period_grid() -> None:
    def grid(freq: str, **kw: object) -> list[tuple[dt.date, dt.date]]:
        v = VersionSpec(D(2026, 1, 1), Decimal(1), Decimal(100), freq, **kw)  # type: ignore[arg-type]
        spec = ContractSpec(start_date=D(2026, 1, 1), lines=(LineSpec(1, (v,)),))
        return [(p.start, p.end) for p in billing_plan(spec, D(2026, 12, 31))]

    assert len(grid("monthly")) == 12
    assert grid("bimonthly")[1] == (D(2026, 3, 1), D(2026, 4, 30))
    assert len(grid("bimonthly")) == 6
    assert grid("half_yearly") == [
        (D(2026, 1, 1), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 12, 31)),
    ]
    assert grid("yearly") == [(D(2026, 1, 1), D(2026, 12, 31))]
    assert grid("seasonal", months=frozenset({3, 6, 9, 12})) == [
        (D(2026, 3, 1), D(2026, 3, 31)),
        (D(2026, 6, 1), D(2026, 6, 30)),
        (D(2026, 9, 1), D(2026, 9, 30)),
        (D(2026, 12, 1), D(2026, 12, 31)),
    ]
    assert grid("one_off", one_off_date=D(2026, 5, 20)) == [(D(2026, 5, 20), D(2026, 5, 20))]


def test_annual_budget_twelfths_sum_exactly() -> None:
    v = VersionSpec(D(2026, 1, 1), annual_budget=Decimal("10000.00"))
    spec = ContractSpec(start_date=D(2026, 1, 1), lines=(LineSpec(1, (v,)),))
    plan = billing_plan(spec, D(2026, 12, 31))
    assert [p.amount for p in plan[:3]] == [Decimal("833.33"), Decimal("833.34"), Decimal("833.33")]
    assert sum(p.amount for p in plan) == Decimal("10000.00")


def test_unbilled_suspension_and_contract_end_prorate() -> None:
    spec = ContractSpec(
        start_date=D(2026, 1, 1),
        end_date=D(2026, 12, 15),
        lines=(LineSpec(1, (VersionSpec(D(2026, 1, 1), Decimal(1), Decimal(450), "quarterly"),)),),
        suspensions=(SuspensionSpec(D(2026, 7, 1), D(2026, 8, 31)),),
    )
    plan = billing_plan(spec, D(2027, 3, 31))
    assert [p.amount for p in plan] == [
        Decimal("450.00"),
        Decimal("450.00"),
        Decimal("146.74"),  # 450 × 30/92: September only
        Decimal("371.74"),  # 450 × 76/92: to 15 December
    ]
    billed_suspension = replace(
        spec, suspensions=(SuspensionSpec(D(2026, 7, 1), D(2026, 8, 31), billed=True),)
    )
    assert billing_plan(billed_suspension, D(2026, 9, 30))[2].amount == Decimal("450.00")


def test_catch_up_and_regularisation_of_a_retroactive_amendment() -> None:
    v1 = VersionSpec(D(2026, 1, 1), Decimal(1), Decimal(1200), "monthly", "arrears")
    spec = ContractSpec(start_date=D(2026, 1, 1), lines=(LineSpec(1, (v1,)),))
    # Nothing billed yet: the April run catches up January to April.
    items = due_items(spec, D(2026, 4, 30), {})
    assert [(i.start, i.amount, i.revision) for i in items] == [
        (D(2026, m, 1), Decimal("1200.00"), 0) for m in (1, 2, 3, 4)
    ]
    billed = {(1, i.start): Billed(i.amount, 0, i.end) for i in items}
    assert due_items(spec, D(2026, 4, 30), billed) == []
    # Amendment effective 1 April at 1260: April is regularised by +60, May billed at 1260.
    v2 = replace(v1, valid_from=D(2026, 4, 1), unit_price=Decimal(1260))
    amended = replace(spec, lines=(LineSpec(1, (v1, v2)),))
    items = due_items(amended, D(2026, 5, 31), billed)
    assert [(i.start, i.amount, i.revision) for i in items] == [
        (D(2026, 4, 1), Decimal("60.00"), 1),
        (D(2026, 5, 1), Decimal("1260.00"), 0),
    ]
    # An earlier run month than what was billed never credits future billing.
    assert due_items(spec, D(2026, 2, 28), billed) == []


def test_line_removed_by_amendment_credits_billed_periods_that_no_longer_exist() -> None:
    v1 = VersionSpec(D(2026, 1, 1), Decimal(1), Decimal(300), "quarterly", "advance")
    gone = replace(v1, valid_from=D(2026, 1, 1), removed=True)
    billed = {(1, D(2026, 1, 1)): Billed(Decimal("300.00"), 0, D(2026, 3, 31))}
    spec = ContractSpec(start_date=D(2026, 1, 1), lines=(LineSpec(1, (gone,)),))
    items = due_items(spec, D(2026, 2, 28), billed)
    assert [(i.amount, i.revision, i.period) for i in items] == [(Decimal("-300.00"), 1, None)]


# --- properties -------------------------------------------------------------------------

FREQS = ["monthly", "bimonthly", "quarterly", "half_yearly", "yearly", "seasonal", "one_off"]
months = st.integers(min_value=0, max_value=35).map(lambda n: D(2025 + n // 12, n % 12 + 1, 1))


@st.composite
def versions(draw: st.DrawFn, start: dt.date) -> VersionSpec:
    freq = draw(st.sampled_from(FREQS))
    return VersionSpec(
        valid_from=start,
        quantity=Decimal(draw(st.integers(1, 5))),
        unit_price=Decimal(draw(st.integers(1, 500_000))) / 100,
        frequency=freq,
        term=draw(st.sampled_from(["advance", "arrears"])),
        months=frozenset(draw(st.sets(st.integers(1, 12), min_size=1, max_size=4))),
        one_off_date=start + dt.timedelta(days=draw(st.integers(0, 300))),
        annual_budget=(Decimal(draw(st.integers(1, 10_000_000))) / 100)
        if draw(st.booleans()) and freq != "one_off"
        else None,
    )


@st.composite
def contracts(draw: st.DrawFn) -> ContractSpec:
    start = draw(months) + dt.timedelta(days=draw(st.integers(0, 27)))
    lines = []
    for line_id in range(1, draw(st.integers(1, 3)) + 1):
        first = draw(versions(start))
        vs = [first]
        if draw(st.booleans()):
            later = start + dt.timedelta(days=draw(st.integers(1, 500)))
            vs.append(replace(draw(versions(later)), valid_from=later))
        lines.append(LineSpec(line_id, tuple(vs)))
    end = start + dt.timedelta(days=draw(st.integers(20, 900))) if draw(st.booleans()) else None
    suspensions = ()
    if draw(st.booleans()):
        s = start + dt.timedelta(days=draw(st.integers(0, 400)))
        suspensions = (SuspensionSpec(s, s + dt.timedelta(days=draw(st.integers(0, 90)))),)
    return ContractSpec(
        start_date=start,
        end_date=end,
        prorata=draw(st.sampled_from(["days", "month30"])),
        lines=tuple(lines),
        suspensions=suspensions,
    )


def simulate(spec: ContractSpec, run_months: list[dt.date]) -> dict[tuple[int, dt.date], Billed]:
    billed: dict[tuple[int, dt.date], Billed] = {}
    seen: set[tuple[int, dt.date, int]] = set()
    for month in run_months:
        for item in due_items(spec, month_end(month), billed):
            key = (item.line_id, item.start, item.revision)
            assert key not in seen, "billed twice"
            seen.add(key)
            old = billed.get((item.line_id, item.start))
            billed[(item.line_id, item.start)] = Billed(
                (old.amount if old else Decimal(0)) + item.amount, item.revision, item.end
            )
    return billed


@settings(max_examples=150, deadline=None)
@given(contracts(), st.lists(months, min_size=1, max_size=12))
def test_any_sequence_of_runs_bills_every_due_period_exactly_once(
    spec: ContractSpec, run_months: list[dt.date]
) -> None:
    last = max(run_months)
    billed = simulate(spec, run_months)
    expected = {
        p.key: p.amount for p in billing_plan(spec, month_end(last)) if p.due <= month_end(last)
    }
    assert {k: v.amount for k, v in billed.items() if v.amount or k in expected} == expected
    # Repeating the last run creates nothing; running in calendar order gives the same result.
    assert due_items(spec, month_end(last), billed) == []
    in_order = simulate(spec, sorted(set(run_months)))
    assert {k: v.amount for k, v in in_order.items()} == {k: v.amount for k, v in billed.items()}


@settings(max_examples=100, deadline=None)
@given(contracts(), contracts(), st.lists(months, min_size=2, max_size=8))
def test_contract_changes_between_runs_are_regularised_to_the_new_plan(
    before: ContractSpec, after: ContractSpec, run_months: list[dt.date]
) -> None:
    """Whatever changes between runs (amendment, suspension, end), the ledger converges."""
    cut = len(run_months) // 2
    billed = simulate(before, run_months[:cut])
    for month in run_months[cut:]:
        for item in due_items(after, month_end(month), billed):
            old = billed.get((item.line_id, item.start))
            billed[(item.line_id, item.start)] = Billed(
                (old.amount if old else Decimal(0)) + item.amount, item.revision, item.end
            )
    last = max(run_months[cut:])
    horizon = max([month_end(last)] + [b.end for b in billed.values()])
    plan = {p.key: p for p in billing_plan(after, horizon)}
    for key, info in billed.items():
        if key in plan:
            assert info.amount == plan[key].amount
        elif key[0] in {ln.line_id for ln in after.lines}:
            assert info.amount == 0
    for key, period in plan.items():
        if period.due <= month_end(last):
            assert key in billed
