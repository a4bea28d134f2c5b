"""The paged invoice list (ui.lazy_table over app.billing.invoice_list) on a few thousand invoices:
right total, pages read only when Qt asks, one query per page, and search / filters / sort
giving exactly the rows of the plain query filtered and sorted in Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import event, text

from app.billing import invoice_list as queries
from app.billing.invoice_list import InvoiceRow
from app.db import Database
from models.invoices import Invoice
from ui.billing import INVOICE_COLUMNS, INVOICE_SORT_KEYS, BillingTab
from ui.lazy_table import PagedTableModel
from ui.main_window import MainWindow

COPIES = 9  # the demo's ~350 invoices ten times over


@pytest.fixture
def big_db(demo_db: Database) -> Iterator[Database]:
    """The demo firm with its invoices copied (new numbers, objects « lot k »)."""
    with demo_db.write() as s:
        cols = [c.name for c in Invoice.__table__.columns if c.name != "id"]
        plain = ", ".join(cols)
        copied = ", ".join(
            "number || '/' || :k"
            if c == "number"
            else "NULL"
            if c == "chain_index"
            else "title || ' lot ' || :k"
            if c == "title"
            else c
            for c in cols
        )
        for k in range(1, COPIES + 1):
            s.execute(
                text(
                    f"INSERT INTO invoices ({plain}) SELECT {copied} FROM invoices "
                    "WHERE number IS NULL OR number NOT LIKE '%/%'"
                ),
                {"k": str(k)},
            )
    yield demo_db


def _every(db: Database) -> list[InvoiceRow]:
    with db.read() as s:
        return queries.list_invoices(s)


def _model(db: Database, page_size: int = 200) -> PagedTableModel:
    def count(**kw: Any) -> int:
        with db.read() as s:
            return queries.count_invoices(s, **kw)

    def page(**kw: Any) -> list[Any]:
        with db.read() as s:
            return queries.list_invoices(s, **kw)

    return PagedTableModel(INVOICE_COLUMNS, INVOICE_SORT_KEYS, count, page, page_size=page_size)


def _fetch_all(model: PagedTableModel) -> list[Any]:
    while model.canFetchMore():
        model.fetchMore()
    return list(model.rows)


def _statements(db: Database) -> Callable[[], int]:
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    return lambda: len(seen)


def _matches(row: InvoiceRow, needle: str) -> bool:
    """The documented search semantic (queries.invoice_search) written over the rows."""
    n = needle.casefold()
    shown = [row.number, row.client, row.title, row.kind_label, row.status_label]
    shown += [d.strftime("%d/%m/%Y") for d in (row.issue_date, row.due_date) if d]
    if any(n in t.casefold() for t in shown):
        return True
    try:
        amount = Decimal(needle.replace(",", ".").replace(" ", ""))
    except ArithmeticError:
        return False
    return amount in (row.total_ht, row.total_ttc)


def test_total_and_lazy_pages_with_one_query_per_page(big_db: Database) -> None:
    every = _every(big_db)
    assert len(every) > 3000
    model = _model(big_db)
    statements = _statements(big_db)
    model.set_filters()
    assert model.total == len(every)
    assert model.rowCount() == 200 and model.canFetchMore()
    # One COUNT, one page and, for the page's « Réglé / Reste dû », its payments and its
    # credit notes: a constant per page.
    assert statements() == 2 + 2
    model.fetchMore()
    assert model.rowCount() == 400
    rows = _fetch_all(model)
    assert rows == every  # same rows, same order (newest first), nothing twice
    pages = -(-len(every) // 200)
    assert 1 + pages <= statements() <= 1 + 3 * pages  # no per-row query
    assert not model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == len(every)


@pytest.mark.parametrize("needle", ["lot 3", "FA2026-0001", "émise", "/08/2026", "avoir"])
def test_search_gives_the_rows_of_the_plain_query(big_db: Database, needle: str) -> None:
    every = _every(big_db)
    model = _model(big_db)
    model.set_filters()
    model.set_search(needle)
    expected = [r for r in every if _matches(r, needle)]
    assert expected, needle
    assert model.total == len(expected)
    assert _fetch_all(model) == expected


def test_search_by_client_name_and_exact_amount(big_db: Database) -> None:
    every = _every(big_db)
    model = _model(big_db)
    model.set_filters()
    client = every[0].client
    fragment = client.split()[-1][:6].lower()
    model.set_search(fragment)
    assert _fetch_all(model) == [r for r in every if _matches(r, fragment)]
    amount = every[5].total_ttc
    typed = f"{amount}".replace(".", ",")
    model.set_search(typed)
    rows = _fetch_all(model)
    assert rows and all(amount in (r.total_ht, r.total_ttc) for r in rows)
    assert rows == [r for r in every if _matches(r, typed)]


def test_filters_and_sort_give_the_rows_of_the_plain_query(big_db: Database) -> None:
    every = _every(big_db)
    client_id = every[0].client_id
    model = _model(big_db, page_size=150)
    model.set_filters(client_id=client_id, status="issued")
    assert _fetch_all(model) == [
        r for r in every if r.client_id == client_id and r.status == "issued"
    ]
    model.set_filters(period="2026-08", series="invoice")
    assert _fetch_all(model) == [
        r for r in every if r.period == "2026-08" and r.series == "invoice"
    ]
    model.set_filters()
    model.set_search("lot")
    cases: list[tuple[int, Callable[[InvoiceRow], Any]]] = [
        (5, lambda r: r.client),
        (8, lambda r: r.total_ttc),
        (3, lambda r: r.issue_date),
    ]
    for column, key in cases:
        for descending in (False, True):
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            model.sort(column, order)
            assert model.rowCount() == 150  # a sort reads the first page again
            expected = sorted(
                (r for r in every if _matches(r, "lot")),
                key=lambda r: (key(r), r.id),
                reverse=descending,
            )
            assert _fetch_all(model) == expected


def test_facturation_list_searches_sorts_and_exports_every_row(
    qtbot: QtBot, big_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(big_db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    every = _every(big_db)
    listed = tab.invoices
    assert listed.model.total == len(every) and listed.model.rowCount() == 200
    assert listed.count_label.text().replace("\u202f", "") == f"{len(every)} lignes"
    listed.search.setText("lot 7")
    expected = [r for r in every if _matches(r, "lot 7")]
    assert listed.model.total == len(expected)
    assert listed.visible_rows() == expected
    listed.view.horizontalHeader().setSortIndicator(7, Qt.SortOrder.DescendingOrder)
    assert listed.model.sorted_by == ("total_ht", True)
    first = listed.model.rows[0]
    assert first.total_ht == max(r.total_ht for r in expected)
    listed.view.selectRow(0)
    assert listed.current() == first and listed.selected() == [first]
    path = tmp_path / "factures.xlsx"
    listed.export_xlsx(str(path))
    sheet = load_workbook(path).active
    assert sheet is not None
    assert sheet.max_row == len(expected) + 1  # header + every matching row, not one page
    # A filter of the tab keeps the search text and the sort.
    tab.f_period.set_period("2026-08")
    tab.load_invoices()
    assert listed.visible_rows() == sorted(
        (r for r in expected if r.issue_date.strftime("%Y-%m") == "2026-08"),
        key=lambda r: (r.total_ht, r.id),
        reverse=True,
    )
    assert all(isinstance(r.issue_date, dt.date) for r in listed.loaded_rows())
