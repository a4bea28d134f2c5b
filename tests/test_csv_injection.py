"""The accountant's CSV never carries a live spreadsheet formula from client data."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from reports.sales_journal import SalesRow, sales_journal_csv

HOSTILE = [
    '=HYPERLINK("http://x","clic")',
    "+33 4 78 00 00 00",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_client_names_are_quoted(name: str) -> None:
    row = SalesRow(
        date=dt.date(2026, 10, 31),
        number="FA2026-00001",
        kind="Facture",
        client_code=name,
        client_name=name,
        client_account="411CLIE",
        vat_rate=Decimal("20"),
        base=Decimal("100.00"),
        vat=Decimal("20.00"),
        due_date=dt.date(2026, 11, 30),
    )
    text = sales_journal_csv([row]).decode("utf-8").lstrip("\ufeff")
    [_header, cells] = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert cells[3] == "'" + name and cells[4] == "'" + name
    assert cells[7:10] == ["100,00", "20,00", "120,00"]


@pytest.mark.parametrize("text", [*HOSTILE, "=cmd|'/c calc'!A0"])
def test_every_text_cell_is_neutralised(text: str) -> None:
    """Seen: the free-text « Compte client » was written raw (``=cmd|'/c calc'!A0``)."""
    row = SalesRow(
        date=dt.date(2026, 10, 31),
        number=text,
        kind=text,
        client_code="C1",
        client_name="Dupont",
        client_account=text,
        vat_rate=Decimal("20"),
        base=Decimal("-100.00"),
        vat=Decimal("-20.00"),
        due_date=None,
        origin=text,
    )
    out = sales_journal_csv([row]).decode("utf-8").lstrip("\ufeff")
    [_header, cells] = list(csv.reader(io.StringIO(out), delimiter=";"))
    assert [cells[i] for i in (1, 2, 5, 11)] == ["'" + text] * 4
    assert cells[7:10] == ["-100,00", "-20,00", "-120,00"]  # numbers stay numbers
