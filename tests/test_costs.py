"""Cost grid: loaded hourly cost at a date, task times; demo grid."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app import costs
from app.errors import NotFoundError, ValidationErrors


def test_loaded_cost_is_exact() -> None:
    assert costs.loaded_cost(Decimal("12.10"), Decimal("38.5")) == Decimal("16.7585")
    assert costs.loaded_cost(Decimal("11.88"), Decimal("38.5")) == Decimal("16.4538")
    assert costs.loaded_cost(Decimal("12.345"), Decimal("41.25")) == Decimal(
        "17.4373"
    )  # 17.43731… half-up


@given(
    wage=st.decimals(min_value=Decimal("1"), max_value=Decimal("200"), places=2),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2),
)
def test_loaded_cost_never_below_wage(wage: Decimal, rate: Decimal) -> None:
    cost = costs.loaded_cost(wage, rate)
    assert cost >= wage
    assert cost.as_tuple().exponent == -4


def test_cost_point_in_force_at_a_date() -> None:
    points = [
        costs.CostPoint(dt.date(2026, 1, 1), Decimal("12.10"), Decimal("38.5")),
        costs.CostPoint(dt.date(2025, 1, 1), Decimal("11.88"), Decimal("38.5")),
    ]
    assert costs.cost_point_at(points, dt.date(2024, 12, 31)) is None
    assert costs.cost_point_at(points, dt.date(2025, 12, 31)).hourly_wage == Decimal("11.88")
    assert costs.cost_point_at(points, dt.date(2026, 1, 1)).hourly_wage == Decimal("12.10")


def test_task_times() -> None:
    assert costs.minutes_per_pass(None, Decimal("600"), Decimal("300")) == Decimal("30.000")
    assert costs.minutes_per_pass(Decimal("20"), Decimal("600"), Decimal("300")) == Decimal("20")
    assert costs.minutes_per_pass(None, None, Decimal("300")) == Decimal("0")
    # 30 min a day, 5 days a week: 30 × 260 / 12 / 60 = 10.833 h a month.
    assert costs.hours_per_month(Decimal("30"), "daily") == Decimal("10.833")
    assert costs.hours_per_month(Decimal("45"), "monthly") == Decimal("0.750")


def test_grid_queries_and_corrections(session: Session) -> None:
    q = costs.save_qualification(session, None, "as1", "Agent de service AS1", 1)
    assert q.code == "AS1"
    costs.set_hourly_cost(session, q.id, dt.date(2025, 1, 1), "11,88", "38,5")
    costs.set_hourly_cost(session, q.id, dt.date(2026, 1, 1), "12.10", "38.5")
    assert costs.hourly_cost(session, "AS1", dt.date(2025, 6, 30)) == Decimal("16.4538")
    assert costs.hourly_cost(session, "as1", dt.date(2026, 3, 1)) == Decimal("16.7585")
    # Same start date: the line is corrected, not duplicated.
    costs.set_hourly_cost(session, q.id, dt.date(2026, 1, 1), "12.20", "38.5")
    assert costs.hourly_cost(session, "AS1", dt.date(2026, 3, 1)) == Decimal("16.8970")
    assert len(costs.cost_grid(session)) == 2
    with pytest.raises(NotFoundError) as exc:
        costs.hourly_cost(session, "AS1", dt.date(2024, 6, 1))
    assert "AS1" in str(exc.value) and "01/06/2024" in str(exc.value)
    with pytest.raises(ValidationErrors) as bad:
        costs.set_hourly_cost(session, q.id, dt.date(2027, 1, 1), "-3", "abc")
    assert set(bad.value.fields) == {"Taux horaire", "Taux de charges"}
    with pytest.raises(ValidationErrors):
        costs.save_qualification(session, None, "AS1", "Doublon")


def test_task_template_needs_a_time_or_a_productivity(session: Session) -> None:
    with pytest.raises(ValidationErrors) as exc:
        costs.save_task_template(
            session, None, costs.TaskTemplateForm(label="Vidage des corbeilles", zone="Bureaux")
        )
    assert exc.value.fields == ["Minutes par passage"]
    t = costs.save_task_template(
        session,
        None,
        costs.TaskTemplateForm(
            label="Lavage des sols", zone="Couloirs", productivity_m2_per_hour="300"
        ),
    )
    assert t.productivity_m2_per_hour == Decimal("300.000")
    assert t.minutes_per_pass is None


def test_demo_cost_grid(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.read() as s:
        codes = [q.code for q in costs.qualifications(s)]
        assert codes == ["AS1", "AS2", "AS3", "AQS", "ATQS", "CE", "MP", "CA"]
        assert costs.hourly_cost(s, "AS1", dt.date(2025, 6, 1)) == Decimal("16.4538")
        assert costs.hourly_cost(s, "AS1", dt.date(2026, 9, 1)) == Decimal("16.7585")
        assert len(costs.task_templates(s)) >= 10
