from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from app.errors import ValidationError
from app.money import format_amount, line_total, round_money, to_decimal, vat_amount
from models.base import Money, Quantity, UnitPrice

cents = st.integers(min_value=-(10**13), max_value=10**13)


def _table() -> tuple[Table, object]:
    md = MetaData()
    t = Table(
        "t",
        md,
        Column("id", Integer, primary_key=True),
        Column("m", Money()),
        Column("q", Quantity()),
        Column("p", UnitPrice()),
    )
    engine = create_engine("sqlite://")
    md.create_all(engine)
    return t, engine


@given(cents, st.integers(-(10**9), 10**9), st.integers(-(10**12), 10**12))
def test_exact_roundtrip_and_integer_storage(c: int, q: int, p: int) -> None:
    t, engine = _table()
    money, qty, price = Decimal(c).scaleb(-2), Decimal(q).scaleb(-3), Decimal(p).scaleb(-4)
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1, m=money, q=qty, p=price))
        assert conn.execute(select(t.c.m, t.c.q, t.c.p)).one() == (money, qty, price)
        kinds = conn.exec_driver_sql("SELECT typeof(m), typeof(q), typeof(p) FROM t").one()
        assert kinds == ("integer", "integer", "integer")
        raw = conn.exec_driver_sql("SELECT m FROM t").scalar()
        assert raw == c


def test_too_many_decimals_and_floats_are_refused() -> None:
    t, engine = _table()
    with engine.begin() as conn, pytest.raises(Exception, match="more than 2 decimals"):
        conn.execute(insert(t).values(id=1, m=Decimal("1.005")))
    with engine.begin() as conn, pytest.raises(Exception, match="float"):
        conn.execute(insert(t).values(id=2, m=1.5))
    with pytest.raises(TypeError):
        to_decimal(0.1)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False))
def test_round_money_is_half_up(value: Decimal) -> None:
    rounded = round_money(value)
    assert abs(rounded - value) <= Decimal("0.005")
    if abs(value * 1000) % 10 == 5:
        # the half goes away from zero
        assert abs(rounded) > abs(value)


def test_line_total_and_vat_rules() -> None:
    assert line_total(Decimal("3"), Decimal("33.3350")) == Decimal("100.01")
    assert line_total(Decimal("1.5"), Decimal("10.0050")) == Decimal("15.01")  # 15.0075
    assert line_total(Decimal("2"), Decimal("50"), Decimal("10")) == Decimal("90.00")
    # VAT on the sum of the lines of one rate: 3 lines of 0.21 → 0.126 → 0.13
    # (line by line would give 3 × 0.04 = 0.12)
    assert vat_amount(Decimal("0.63"), Decimal("20")) == Decimal("0.13")
    assert vat_amount(Decimal("1234.56"), Decimal("5.5")) == Decimal("67.90")


def test_french_input_and_display() -> None:
    assert to_decimal("1 234,56") == Decimal("1234.56")
    assert to_decimal("12,5 %") == Decimal("12.5")
    with pytest.raises(ValidationError, match="Prix"):
        to_decimal("douze", field="Prix")
    assert format_amount(Decimal("1234.56")) == "1\u202f234,56\u00a0€"
    assert format_amount(Decimal("-0.5")) == "-0,50\u00a0€"


@given(st.integers(min_value=-(10**13), max_value=10**13), st.sampled_from([0, 1, 2, 3, 4]))
def test_format_amount_is_babels_french_text(units: int, scale: int) -> None:
    """The hand-built French text (fast, used per invoice by the run) is babel's, exactly."""
    from babel.numbers import format_currency, format_decimal

    from app.money import format_amount, round_money

    value = Decimal(units).scaleb(-scale)
    rounded = round_money(value)
    assert format_amount(value) == format_currency(rounded, "EUR", locale="fr_FR")
    assert format_amount(value, currency=False) == format_decimal(
        rounded, format="#,##0.00", locale="fr_FR"
    )
