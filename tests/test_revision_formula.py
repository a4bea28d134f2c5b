"""Revision coefficient rules (docs/DOMAIN.md « Revision »): exact decimals, rounding, options,
errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ValidationError
from app.revisions.formula import (
    Formula,
    Rounding,
    Term,
    coefficient,
    revised_price,
    round_fraction,
)


def single(current: str | None, *, decimals: int = 6, **options: object) -> Formula:
    term = Term(
        "ICHTrev-TS section N",
        D("0.85"),
        D("121.2"),
        None if current is None else D(current),
        reference_month=dt.date(2025, 6, 1),
        current_month=dt.date(2026, 6, 1),
    )
    return Formula(D("0.15"), (term,), decimals=decimals, **options)  # type: ignore[arg-type]


def test_domain_worked_example() -> None:
    out = coefficient(single("130.5"))
    assert out.raw == Fraction(15, 100) + Fraction(85, 100) * Fraction(1305, 1212)
    assert out.rounded == D("1.065223")
    assert out.coefficient == D("1.065223")
    assert str(out.coefficient) == "1.065223"
    assert revised_price(D("1250.00"), out.coefficient) == D("1331.53")  # 1331.52875


def test_rounding_options() -> None:
    # exact value 1.065222772…
    assert coefficient(single("130.5", decimals=3)).coefficient == D("1.065")
    assert coefficient(single("130.5", decimals=4)).coefficient == D("1.0652")
    assert coefficient(single("130.5", decimals=5, rounding=Rounding.DOWN)).coefficient == D(
        "1.06522"
    )
    assert coefficient(single("130.5", decimals=5)).coefficient == D("1.06522")
    assert coefficient(single("130.5", decimals=5, rounding=Rounding.UP)).coefficient == D(
        "1.06523"
    )
    assert coefficient(single("130.5", decimals=6, rounding=Rounding.DOWN)).coefficient == D(
        "1.065222"
    )


def test_half_up_at_exact_half() -> None:
    assert round_fraction(Fraction(10125, 10000), 3, Rounding.HALF_UP) == D("1.013")
    assert round_fraction(Fraction(10125, 10000), 3, Rounding.DOWN) == D("1.012")
    assert round_fraction(Fraction(1), 3, Rounding.UP) == D("1.000")


def test_multi_index_federation_formula() -> None:
    # P = P0 × [0.90 × S/S0 + 0.10 × FSD/FSD0], no fixed part
    terms = (
        Term("Index Propreté", D("0.90"), D("118.4"), D("123.9")),
        Term("FSD2", D("0.10"), D("104.2"), D("101.7")),
    )
    out = coefficient(Formula(D("0"), terms, decimals=6))
    # 0.9 × 123.9/118.4 = 0.941807432…, 0.1 × 101.7/104.2 = 0.097600767…
    assert out.raw == Fraction(9, 10) * Fraction(1239, 1184) + Fraction(1, 10) * Fraction(
        1017, 1042
    )
    assert out.coefficient == D("1.039408")
    assert revised_price(D("2480.00"), out.coefficient) == D("2577.73")  # 2577.73184


def test_floor_cap_and_no_decrease() -> None:
    assert coefficient(single("130.5", cap=D("1.05"))).coefficient == D("1.050000")
    assert coefficient(single("130.5", cap=D("1.05"))).limited_by == "cap"
    lower = single("118.0")  # 0.15 + 0.85 × 118/121.2 = 0.977557…
    assert coefficient(lower).coefficient == D("0.977558")
    assert coefficient(single("118.0", floor=D("0.99"))).coefficient == D("0.990000")
    out = coefficient(single("118.0", no_decrease=True))
    assert (out.coefficient, out.limited_by) == (D("1.000000"), "no_decrease")
    assert revised_price(D("1250.00"), out.coefficient) == D("1250.00")


def test_missing_index_names_index_and_month() -> None:
    with pytest.raises(ValidationError) as err:
        coefficient(single(None))
    assert str(err.value) == "Valeur de l'indice « ICHTrev-TS section N » manquante pour 06/2026."
    term = Term("Index Propreté", D("1"), None, D("120"), reference_month=dt.date(2025, 3, 1))
    with pytest.raises(ValidationError, match=r"Index Propreté.*03/2025 \(indice de référence\)"):
        coefficient(Formula(D("0"), (term,)))


def test_weights_must_total_one() -> None:
    bad = Formula(D("0.15"), (Term("X", D("0.80"), D("100"), D("110")),))
    with pytest.raises(ValidationError) as err:
        coefficient(bad)
    assert err.value.field == "Pondération"
    assert "a + Σ b = 0,95" in str(err.value)
    with pytest.raises(ValidationError, match="au moins un indice"):
        coefficient(Formula(D("1"), ()))
    with pytest.raises(ValidationError, match="plafond"):
        coefficient(single("130.5", floor=D("1.1"), cap=D("1.05")))


@given(
    a=st.integers(0, 50),
    ref=st.integers(500, 2000),
    cur=st.integers(500, 2000),
    decimals=st.integers(3, 6),
)
def test_rounded_coefficient_within_one_unit(a: int, ref: int, cur: int, decimals: int) -> None:
    fixed = D(a).scaleb(-2)
    formula = Formula(
        fixed, (Term("I", 1 - fixed, D(ref).scaleb(-1), D(cur).scaleb(-1)),), decimals=decimals
    )
    out = coefficient(formula)
    unit = Fraction(1, 10**decimals)
    assert abs(Fraction(out.coefficient) - out.raw) <= unit / 2
    down = coefficient(Formula(fixed, formula.terms, decimals=decimals, rounding=Rounding.DOWN))
    assert Fraction(down.coefficient) <= out.raw < Fraction(down.coefficient) + unit
    assert (cur >= ref) == (out.raw >= 1)


@settings(deadline=None, max_examples=60)
@given(
    price=st.integers(1, 500000),
    frequency=st.sampled_from(["monthly", "bimonthly", "quarterly", "half_yearly", "yearly"]),
    start_month=st.integers(1, 12),
    start_day=st.integers(1, 28),
    window_month=st.integers(1, 12),
)
def test_projection_spread_keeps_every_cent(
    price: int, frequency: str, start_month: int, start_day: int, window_month: int
) -> None:
    """Revenue spread over months sums exactly to the plan's amounts (nothing lost)."""
    from app.billing.plan import ContractSpec, LineSpec, VersionSpec, billing_plan
    from app.revisions.projection import spread_revenue

    start = dt.date(2025, start_month, start_day)
    version = VersionSpec(start, D(1), D(price).scaleb(-2), frequency=frequency)
    spec = ContractSpec(start_date=start, lines=(LineSpec(1, (version,)),))
    # A 36-month window from January 2025 holds every period starting before 2027-07.
    spread = spread_revenue(spec, dt.date(2025, 1, 1), 36)
    plan = [p for p in billing_plan(spec, dt.date(2027, 12, 31)) if p.end <= dt.date(2027, 12, 31)]
    assert sum(spread) == sum((p.amount for p in plan), D(0))
    # A longer window does not change the months both windows share.
    first = dt.date(2026, window_month, 1)
    a = spread_revenue(spec, first, 13)
    b = spread_revenue(spec, first, 12)
    assert a[:12] == b
