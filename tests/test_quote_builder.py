"""Cost builder arithmetic: exact decimals, worked example and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import ValidationError
from app.quotes.builder import BuilderInput, TaskLine, compute, input_from_snapshot, snapshot

D = Decimal
COSTS = {"AS1": D("20.50"), "AS2": D("21.30")}
TASKS = [
    TaskLine("Bureaux", "AS1", D(1), "day", minutes_per_pass=D(60), zone="Étage 1"),
    TaskLine("Sanitaires", "AS2", D(2), "week", minutes_per_pass=D(30)),
    TaskLine("Vitrerie", "AS2", D(1), "month", surface_m2=D(120), productivity_m2_h=D(40)),
]


def test_worked_example_month_and_year() -> None:
    data = BuilderInput(
        TASKS,
        COSTS,
        products=D("35.00"),
        equipment=D("15.50"),
        overheads_percent=D(10),
        margin_percent=D(20),
    )
    r = compute(data)
    # 1 × 5 days × 52 / 12 = 21.667 h; 2 × 52 / 12 × 0.5 h = 4.333 h; 120 m² / 40 m²/h = 3 h
    assert r.task_hours == (D("21.667"), D("4.333"), D("3.000"))
    assert r.hours == D("29.000")
    assert r.hours_by_qualification == {"AS1": D("21.667"), "AS2": D("7.333")}
    assert r.labour_by_qualification == {"AS1": D("444.17"), "AS2": D("156.19")}
    assert r.labour == D("600.36")
    assert r.overheads == D("65.09")  # 10 % of 650.86
    assert r.cost_price == D("715.95")
    assert r.selling_price == D("894.94")  # 715.95 / 0.80 = 894.9375
    assert r.margin == D("178.99")
    assert r.margin_percent == D("20.00")
    assert r.selling_price_year == D("10739.28")
    assert r.warnings == []


def test_target_price_gives_margin_and_warns_below_cost() -> None:
    r = compute(BuilderInput(TASKS, COSTS, target_price=D("700")))
    assert r.cost_price == D("600.36")
    assert r.selling_price == D("700.00")
    assert r.margin == D("99.64")
    assert r.margin_percent == D("14.23")
    low = compute(BuilderInput(TASKS, COSTS, target_price=D("500")))
    assert low.margin == D("-100.36")
    assert low.warnings == ["Prix de vente inférieur au prix de revient."]


def test_one_off_job_uses_total_hours_without_yearly_price() -> None:
    tasks = [TaskLine("Décapage sol", "AS2", D(1), minutes_per_pass=D(450))]
    r = compute(BuilderInput(tasks, COSTS, products=D("80"), margin_percent=D(25), one_off=True))
    assert r.hours == D("7.500")
    assert r.labour == D("159.75")
    assert r.cost_price == D("239.75")
    assert r.selling_price == D("319.67")  # 239.75 / 0.75 = 319.666…
    assert r.selling_price_year is None


def test_missing_hourly_cost_names_the_qualification() -> None:
    with pytest.raises(ValidationError, match="« CE »"):
        compute(BuilderInput([TaskLine("Contrôle", "CE", D(1), "month", D(30))], COSTS))


def test_task_without_time_is_refused_in_french() -> None:
    with pytest.raises(ValidationError) as exc:
        compute(BuilderInput([TaskLine("Hall", "AS1", D(1), "week")], COSTS))
    assert exc.value.field == "Minutes par passage"
    assert "productivité" in str(exc.value)


def test_margin_of_100_percent_refused() -> None:
    with pytest.raises(ValidationError, match="entre 0 et 100"):
        compute(BuilderInput(TASKS, COSTS, margin_percent=D(100)))


def test_snapshot_round_trip() -> None:
    data = BuilderInput(TASKS, COSTS, products=D("35.00"), margin_percent=D("12.5"))
    again = input_from_snapshot(snapshot(data, compute(data)))
    assert again is not None
    assert compute(again) == compute(data)


money = st.decimals(min_value=0, max_value=5000, places=2)
minutes = st.decimals(min_value=1, max_value=600, places=1)
freq = st.integers(min_value=1, max_value=7).map(Decimal)
period = st.sampled_from(["day", "week", "month", "year"])


@given(
    tasks=st.lists(
        st.tuples(freq, period, minutes, st.sampled_from(["AS1", "AS2"])), min_size=1, max_size=6
    ),
    products=money,
    equipment=money,
    overheads=st.decimals(min_value=0, max_value=40, places=2),
    margin=st.decimals(min_value=0, max_value=60, places=2),
)
def test_properties(tasks, products, equipment, overheads, margin) -> None:  # type: ignore[no-untyped-def]
    lines = [TaskLine(f"t{i}", q, f, p, m) for i, (f, p, m, q) in enumerate(tasks)]
    r = compute(BuilderInput(lines, COSTS, products, equipment, overheads, margin_percent=margin))
    for value in (r.labour, r.overheads, r.cost_price, r.selling_price, r.margin):
        assert value == value.quantize(D("0.01"))
    assert r.cost_price == r.labour + r.products + r.equipment + r.overheads
    assert r.labour == sum(r.labour_by_qualification.values())
    assert r.hours == sum(r.task_hours)
    assert r.selling_price - r.cost_price == r.margin
    assert r.selling_price_year == 12 * r.selling_price
    assert r.selling_price >= r.cost_price
    if r.selling_price >= 100:
        assert abs(r.margin_percent - margin) <= D("0.01")
    # More time never costs less.
    longer = [
        TaskLine(t.task, t.qualification, t.frequency + 1, t.period, t.minutes_per_pass)
        for t in lines
    ]
    r2 = compute(BuilderInput(longer, COSTS, products, equipment, overheads, margin_percent=margin))
    assert r2.cost_price >= r.cost_price
