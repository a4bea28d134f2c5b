"""Reference firm (``init --demo --contracts N``): deterministic, consistent, billable."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

N = 60  # 25 demo contracts + 35 reference-firm contracts

CONTENT = [
    "SELECT code, kind, name, siren, siret, manager_id, street, postcode, city FROM clients "
    "ORDER BY id",
    "SELECT code, client_id, name, street, city FROM sites ORDER BY id",
    "SELECT code, client_id, site_id, status, start_date, title FROM contracts ORDER BY id",
    "SELECT contract_id, frequency, term, quantity, unit_price, valid_from "
    "FROM contract_line_versions v JOIN contract_lines l ON l.id = v.line_id ORDER BY v.id",
    "SELECT number, client_id, issue_date, total_ht, total_ttc, content_hash, previous_hash "
    "FROM invoices ORDER BY id",
]


def _build(path: Path) -> Path:
    from app.setup import prepare_database

    prepared = prepare_database(path, demo=True, contracts=N)
    with prepared.db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    prepared.db.dispose()
    return path


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        for sql in CONTENT:
            for row in conn.execute(sql):
                h.update(repr(row).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def scale_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("scale") / "scale.db")


@pytest.fixture
def scale_db(scale_file: Path, tmp_path: Path) -> Iterator[object]:
    from app.db import open_database

    # The database and its document folder (photos, sheets, archived PDFs) travel together.
    copy = tmp_path / "copy" / "scale.db"
    shutil.copytree(scale_file.parent, copy.parent)
    db = open_database(str(copy))
    yield db
    db.dispose()


def test_reference_firm_has_the_requested_volume_and_mix(scale_file: Path) -> None:
    with sqlite3.connect(scale_file) as conn:
        active = conn.execute("SELECT count(*) FROM contracts WHERE status = 'active'").fetchone()[
            0
        ]
        rf = conn.execute(
            "SELECT count(*) FROM contracts c JOIN clients k ON k.id = c.client_id "
            "WHERE k.code LIKE 'RF%'"
        ).fetchone()[0]
        freqs = {
            r[0] for r in conn.execute("SELECT DISTINCT frequency FROM contract_line_versions")
        }
        terms = {r[0] for r in conn.execute("SELECT DISTINCT term FROM contract_line_versions")}
        copros = conn.execute(
            "SELECT count(*) FROM clients WHERE code LIKE 'RF%' AND kind = 'condominium' "
            "AND manager_id IN (SELECT id FROM clients WHERE kind = 'manager')"
        ).fetchone()[0]
        lines = conn.execute(
            "SELECT count(*) FROM contract_lines l JOIN contracts c ON c.id = l.contract_id "
            "JOIN clients k ON k.id = c.client_id WHERE k.code LIKE 'RF%'"
        ).fetchone()[0]
        billed = conn.execute(
            "SELECT count(*), max(i.issue_date) FROM invoices i JOIN clients k ON k.id = i.client_id "
            "WHERE k.code LIKE 'RF%' AND i.status = 'issued'"
        ).fetchone()
    assert rf == N - 25
    assert active >= N - 5
    assert lines == 3 * rf
    assert copros >= 7
    assert {
        "monthly",
        "bimonthly",
        "quarterly",
        "half_yearly",
        "yearly",
        "seasonal",
        "one_off",
    } <= freqs
    assert terms == {"advance", "arrears"}
    # History up to August 2026 issued through the billing engine, nothing after.
    assert billed[0] >= rf and billed[1] == "2026-08-31"


def test_two_generations_are_identical(scale_file: Path, tmp_path: Path) -> None:
    again = _build(tmp_path / "again.db")
    assert _digest(again) == _digest(scale_file)


def test_check_passes_and_september_bills_every_reference_contract(scale_db) -> None:  # type: ignore[no-untyped-def]
    from app.billing.runs import issue_period, run_month
    from app.check import run_checks

    report = run_checks(scale_db)
    assert report.ok, report.problems
    with scale_db.write() as session:
        result = run_month(session, "2026-09")
    with scale_db.write() as session:
        numbers = issue_period(session, "2026-09", include_blocked=True)
    assert result.created >= N - 25
    assert len(numbers) == result.created
    assert numbers[0].startswith("FA2026-")
    assert run_checks(scale_db).ok


def test_invoice_list_filters_in_sql_on_the_reference_firm(scale_db) -> None:  # type: ignore[no-untyped-def]
    from app.billing.queries import list_invoices

    with scale_db.read() as session:
        every = list_invoices(session)
        client_id = every[0].client_id
        mine = list_invoices(session, client_id=client_id)
        august = list_invoices(session, period="2026-08", status="issued")
    assert mine and all(r.client_id == client_id for r in mine)
    assert {r.id for r in mine} == {r.id for r in every if r.client_id == client_id}
    assert august and all(r.period == "2026-08" and r.status == "issued" for r in august)
    assert [r.issue_date for r in every] == sorted((r.issue_date for r in every), reverse=True)


def test_large_record_list_searches_and_sorts_every_row(qtbot) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from PySide6.QtCore import Qt

    from ui.table import FAST_SORT_ROWS, Column, RecordList

    n = FAST_SORT_ROWS * 2
    rows = [(i, f"FA2026-{i:05d}", f"Client {i % 97}", Decimal(i % 500) / 4) for i in range(n)]
    widget = RecordList(
        [
            Column("N°", lambda r: r[1]),
            Column("Client", lambda r: r[2]),
            Column("TTC", lambda r: r[3]),
        ]
    )
    qtbot.addWidget(widget)
    widget.set_rows(rows)
    widget.search.setText("client 42")
    visible = widget.visible_rows()
    assert {r[0] for r in visible} == {i for i in range(n) if i % 97 == 42}
    widget.search.setText("fa2026-0001")
    assert {r[1] for r in widget.visible_rows()} == {f"FA2026-{i:05d}" for i in range(10, 20)}
    widget.search.setText("")
    widget.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    amounts = [r[3] for r in widget.visible_rows()]
    assert amounts == sorted((r[3] for r in rows), reverse=True)
    # A reload keeps the chosen order.
    widget.set_rows(list(reversed(rows)))
    assert [r[3] for r in widget.visible_rows()] == amounts
