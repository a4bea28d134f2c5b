"""``app.db.decimal_reader``: stored integers read back exactly as the column type does."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.db import decimal_reader
from models.base import Money, Quantity, Rate, UnitPrice


@pytest.mark.parametrize("column_type", [Money(), Quantity(), UnitPrice(), Rate()])
def test_same_decimal_as_the_column_type(column_type) -> None:  # type: ignore[no-untyped-def]
    read = decimal_reader(column_type)
    for stored in [0, 1, -1, 5, 150000, -2999, 10**12 + 7, 123456789]:
        expected = column_type.process_result_value(stored, None)
        got = read(stored)
        assert got == expected and str(got) == str(expected)
        assert read(stored) is got  # converted once
    assert read(None) is None
    assert str(decimal_reader(Money())(-2999)) == "-29.99"
    assert str(decimal_reader(Quantity())(1500)) == "1.500"
    # PostgreSQL returns SUM(bigint) as a Decimal: same value.
    assert str(decimal_reader(Money())(Decimal(150000))) == "1500.00"
