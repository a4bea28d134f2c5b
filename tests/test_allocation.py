"""Allocation rules (pure): oldest first, partial, credit left, explicit write-offs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import ValidationError
from app.payments.allocation import letter_code
from app.payments.allocation_rules import (
    AllocationLine,
    OpenItem,
    check_allocation,
    suggest_allocation,
)
from app.payments.sepa_rules import (
    ONE_OFF,
    RECURRENT,
    earliest_collection,
    ics_check_digits,
    mandate_usable,
    sequence_type,
    validate_ics,
    validate_rum,
)

D = dt.date
E = Decimal


def item(i: int, amount: str, due: dt.date, number: str = "") -> OpenItem:
    return OpenItem(i, number or f"FA2026-{i:05d}", due - dt.timedelta(days=30), due, E(amount))


def test_oldest_first_then_partial_then_credit() -> None:
    items = [
        item(2, "300.00", D(2026, 3, 31)),
        item(1, "120.00", D(2026, 2, 28)),
        item(3, "50.00", D(2026, 4, 30)),
    ]
    plan = suggest_allocation(E("400.00"), items)
    assert [(line.invoice_id, line.amount) for line in plan.lines] == [
        (1, E("120.00")),
        (2, E("280.00")),
    ]
    assert plan.unallocated == E("0.00")
    plan = suggest_allocation(E("500.00"), items)
    assert [line.amount for line in plan.lines] == [E("120.00"), E("300.00"), E("50.00")]
    assert plan.unallocated == E("30.00")  # overpayment stays as credit, explicitly
    assert plan.excess_writeoff == E("0.00")


def test_rounding_differences_only_within_tolerance() -> None:
    items = [item(1, "100.03", D(2026, 1, 31))]
    strict = suggest_allocation(E("100.00"), items)
    assert strict.lines == (AllocationLine(1, E("100.00"), E("0.00")),)
    tolerant = suggest_allocation(E("100.00"), items, tolerance=E("0.05"))
    assert tolerant.lines == (AllocationLine(1, E("100.00"), E("0.03")),)
    assert tolerant.shortfall_writeoff == E("0.03")
    over = suggest_allocation(E("100.05"), items, tolerance=E("0.05"))
    assert over.excess_writeoff == E("0.02") and over.unallocated == E("0.00")
    big_gap = suggest_allocation(E("90.00"), items, tolerance=E("0.05"))
    assert big_gap.lines[0].writeoff == E("0.00")


def test_check_allocation_refuses_excess() -> None:
    items = [item(1, "100.00", D(2026, 1, 31))]
    assert check_allocation(E("150.00"), E("0"), items, [AllocationLine(1, E("100.00"))]) == E(
        "50.00"
    )
    with pytest.raises(ValidationError, match="dépasse son solde"):
        check_allocation(E("150.00"), E("0"), items, [AllocationLine(1, E("100.01"))])
    with pytest.raises(ValidationError, match="dépassent le montant disponible"):
        check_allocation(E("80.00"), E("0"), items, [AllocationLine(1, E("90.00"))])
    with pytest.raises(ValidationError, match="pas ouverte"):
        check_allocation(E("80.00"), E("0"), items, [AllocationLine(9, E("1.00"))])
    with pytest.raises(ValidationError, match="négatif"):
        check_allocation(E("80.00"), E("0"), items, [AllocationLine(1, E("-1.00"))])


cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: E(c).scaleb(-2))


@given(
    amount=cents,
    opens=st.lists(cents, min_size=0, max_size=8),
    tolerance=st.sampled_from([E("0.00"), E("0.01"), E("0.05")]),
)
def test_plan_accounts_for_every_cent(
    amount: Decimal, opens: list[Decimal], tolerance: Decimal
) -> None:
    items = [item(i + 1, str(v), D(2026, 1, 1) + dt.timedelta(days=i)) for i, v in enumerate(opens)]
    plan = suggest_allocation(amount, items, tolerance=tolerance)
    # Every cent of the payment is allocated, kept as credit, or written off as a gain.
    assert plan.allocated + plan.unallocated + plan.excess_writeoff == amount
    assert plan.unallocated >= 0 and plan.excess_writeoff <= tolerance
    by_id = {i.invoice_id: i for i in items}
    for line in plan.lines:
        assert line.amount > 0
        assert line.amount + line.writeoff <= by_id[line.invoice_id].open_amount
        assert line.writeoff <= tolerance
    # Oldest first: only the last allocated invoice may be left partially paid.
    for line in plan.lines[:-1]:
        assert line.amount + line.writeoff == by_id[line.invoice_id].open_amount
    # Credit is left only when every invoice is settled.
    if plan.unallocated > 0:
        assert len(plan.lines) == len(items)
    check_allocation(amount - plan.excess_writeoff, E("0"), items, list(plan.lines))


def test_letters() -> None:
    assert [letter_code(n) for n in (1, 2, 26, 27, 28, 52, 53, 702, 703)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_rum_and_ics() -> None:
    assert validate_rum(" RUM-PROP-000012 ") == "RUM-PROP-000012"
    with pytest.raises(ValidationError, match="35 caractères"):
        validate_rum("R" * 36)
    with pytest.raises(ValidationError, match="non admis"):
        validate_rum("RUM-É")
    # The EPC's well-known test creditor identifier, and a French one.
    assert validate_ics("DE98 ZZZ0 9999 9999 99") == "DE98ZZZ09999999999"
    assert ics_check_digits("FR", "123456") == "72"
    assert validate_ics("fr72zzz123456") == "FR72ZZZ123456"
    with pytest.raises(ValidationError, match="clé de contrôle"):
        validate_ics("FR73ZZZ123456")


def test_sequence_and_mandate_validity() -> None:
    assert sequence_type(RECURRENT, 0) == "FRST"
    assert sequence_type(RECURRENT, 3) == "RCUR"
    assert sequence_type(ONE_OFF, 0) == "OOFF"
    on = D(2026, 9, 10)
    assert mandate_usable(RECURRENT, "active", D(2024, 1, 1), D(2026, 8, 10), 5, on) == ""
    assert "caduc" in mandate_usable(RECURRENT, "active", D(2022, 1, 1), D(2023, 6, 1), 5, on)
    assert "déjà utilisé" in mandate_usable(ONE_OFF, "active", D(2026, 1, 1), None, 1, on)
    assert "non actif" in mandate_usable(RECURRENT, "revoked", D(2026, 1, 1), None, 0, on)
    assert earliest_collection(D(2026, 9, 1)) == D(2026, 9, 15)
