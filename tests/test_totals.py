"""Invoice totals (app.billing.totals): VAT per (category, rate) on the sum of the line
totals of that rate (EN 16931 BR-CO-17), rounded half-up to the cent once per rate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.billing.totals import VatTotal, compute_totals, vat_breakdown

E = Decimal


@dataclass(frozen=True)
class Line:
    total_ht: Decimal
    vat_rate: Decimal
    vat_category: str = "S"
    vat_exemption: str = ""
    vat_exemption_code: str = ""


def test_mixed_rates_invoice_as_printed() -> None:
    exempt = "Exonération de TVA, article 261 D du CGI"
    totals = compute_totals(
        [
            Line(E("100.00"), E("20")),
            Line(E("50.00"), E("10")),
            Line(E("33.33"), E("20.00")),  # same rate written with decimals: same group
            Line(E("20.00"), E("5.5")),
            Line(E("40.00"), E("0"), "E", exempt, "VATEX-FR-261D"),
        ]
    )
    assert totals.vat == (
        VatTotal("S", E("20"), E("133.33"), E("26.67")),  # 26.666 → 26.67
        VatTotal("S", E("10"), E("50.00"), E("5.00")),
        VatTotal("S", E("5.5"), E("20.00"), E("1.10")),
        VatTotal("E", E("0"), E("40.00"), E("0.00"), exempt, "VATEX-FR-261D"),
    )
    assert (totals.total_ht, totals.total_vat, totals.total_ttc) == (
        E("243.33"),
        E("32.77"),
        E("276.10"),
    )


def test_vat_is_rounded_once_per_rate_not_per_line() -> None:
    # Per line: 0.006 → 0.01, three times 0.03; on the sum of the rate: 0.018 → 0.02.
    (group,) = vat_breakdown([Line(E("0.03"), E("20"))] * 3)
    assert (group.base, group.vat) == (E("0.09"), E("0.02"))


def test_half_cent_rounds_up_and_credit_lines_lower_the_base() -> None:
    totals = compute_totals([Line(E("12.25"), E("20")), Line(E("-10.00"), E("20"))])
    assert totals.vat == (VatTotal("S", E("20"), E("2.25"), E("0.45")),)
    assert totals.total_ttc == E("2.70")
    (half,) = vat_breakdown([Line(E("0.25"), E("10"))])  # 0.025 → 0.03 (half-up)
    assert half.vat == E("0.03")


def test_no_line_no_total() -> None:
    totals = compute_totals([])
    assert (totals.total_ht, totals.total_vat, totals.total_ttc, totals.vat) == (0, 0, 0, ())


RATES = [E("20"), E("10"), E("5.5"), E("2.1"), E("0")]
lines = st.lists(
    st.builds(
        Line,
        total_ht=st.decimals(min_value=-5000, max_value=50000, places=2),
        vat_rate=st.sampled_from(RATES),
        vat_category=st.sampled_from(["S", "S", "S", "AE", "E", "Z"]),
    ),
    max_size=30,
)


@given(lines)
def test_totals_add_up_whatever_the_lines(items: list[Line]) -> None:
    totals = compute_totals(items)
    assert totals.total_ht == sum((i.total_ht for i in items), E("0"))
    assert totals.total_ttc == totals.total_ht + totals.total_vat
    assert totals.total_vat == sum((v.vat for v in totals.vat), E("0"))
    keys = [(v.category, v.rate) for v in totals.vat]
    assert len(keys) == len(set(keys)) == len({(i.vat_category, i.vat_rate) for i in items})
    assert [v.rate for v in totals.vat] == sorted((v.rate for v in totals.vat), reverse=True)
    for v in totals.vat:
        members = [i for i in items if (i.vat_category, i.vat_rate) == (v.category, v.rate)]
        assert v.base == sum((i.total_ht for i in members), E("0"))
        expected = (v.base * v.rate / 100).quantize(E("0.01"), rounding="ROUND_HALF_UP")
        assert v.vat == (expected if v.category == "S" else 0)
