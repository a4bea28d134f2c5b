"""Reference firm (``init --demo --contracts N``): deterministic, consistent, billable."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.demo import DEMO_TODAY
from tests.run_templates import private_copy

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
    "SELECT number, date, client_id, means, amount, reference, cheque_bank, cheque_number "
    "FROM payments ORDER BY id",
    "SELECT payment_id, invoice_id, date, amount, letter FROM payment_allocations ORDER BY id",
    "SELECT series_id, period_key, seq, number, doc_date, doc_id FROM issued_numbers ORDER BY id",
    "SELECT reference, date, count, total FROM cheque_remittances ORDER BY id",
    "SELECT remittance_id, payment_id FROM cheque_remittance_lines ORDER BY id",
    "SELECT kind, received_at, caller, client_id, site_id, category_id, status, due_date, "
    "resolution, closed_at, assignee_id FROM liaison_entries ORDER BY id",
    "SELECT entry_id, at, user_id, comment, old_status, new_status FROM liaison_actions "
    "ORDER BY id",
    "SELECT entity_type, entity_id, client_id, action, summary, details FROM audit_events "
    "ORDER BY id",
]
RF = "JOIN clients k ON k.id = {}.client_id AND k.code LIKE 'RF%'"


def _build(path: Path) -> Path:
    from app.setup import prepare_database

    prepared = prepare_database(path, demo=True, contracts=N, as_of=DEMO_TODAY)
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
    """Built once per test run (the workers share it: tests/run_templates.py)."""
    return private_copy(tmp_path_factory, "scale", lambda folder: _build(folder / "scale.db")) / (
        "scale.db"
    )


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


@pytest.mark.slow
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
    from app.billing.invoice_list import list_invoices

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


def test_reference_firm_invoices_are_paid_lettered_and_numbered_in_date_order(
    scale_file: Path,
) -> None:
    with sqlite3.connect(scale_file) as conn:
        invoices = conn.execute(
            "SELECT i.id, i.amount_due, i.due_date FROM invoices i " + RF.format("i") + " "
            "WHERE i.status = 'issued' AND i.due_date <= '2026-08-31'"
        ).fetchall()
        paid = {
            invoice_id: (cents, letter, client_id)
            for invoice_id, cents, letter, client_id in conn.execute(
                "SELECT a.invoice_id, a.amount, a.letter, p.client_id FROM payment_allocations a "
                "JOIN payments p ON p.id = a.payment_id " + RF.format("p")
            )
        }
        register = conn.execute(
            "SELECT n.period_key, n.seq, n.number, n.doc_date, n.doc_id, p.number, p.date "
            "FROM issued_numbers n JOIN number_series s ON s.id = n.series_id "
            "AND s.code = 'payment' LEFT JOIN payments p ON p.id = n.doc_id "
            "ORDER BY n.period_key, n.seq"
        ).fetchall()
        counters = dict(
            conn.execute(
                "SELECT c.period_key, c.last_value FROM number_counters c "
                "JOIN number_series s ON s.id = c.series_id AND s.code = 'payment'"
            ).fetchall()
        )
        audited = {
            r[0]
            for r in conn.execute(
                "SELECT summary FROM audit_events WHERE entity_type = 'payment'"
            ).fetchall()
        }
        payments = conn.execute(
            "SELECT p.number, p.means, p.amount FROM payments p " + RF.format("p")
        ).fetchall()
        remitted = conn.execute(
            "SELECT count(*) FROM cheque_remittance_lines l JOIN payments p ON p.id = l.payment_id "
            + RF.format("p")
            + " WHERE p.date < '2026-08-01'"
        ).fetchone()[0]
        cheques_before_august = conn.execute(
            "SELECT count(*) FROM payments p " + RF.format("p") + " WHERE p.means = 'cheque' "
            "AND p.date < '2026-08-01'"
        ).fetchone()[0]
    # Most invoices due by the end of August are settled; a few are open (overdue) or partial.
    settled = [i for i, due, _d in invoices if i in paid and paid[i][0] == due]
    partial = [i for i, due, _d in invoices if i in paid and paid[i][0] < due]
    open_ = [i for i, _due, _d in invoices if i not in paid]
    assert len(invoices) >= 50
    assert len(settled) >= 0.7 * len(invoices)
    assert open_ and len(open_) <= 0.12 * len(invoices)
    assert all(paid[i][1] == "" for i in partial)
    # Each settled invoice has its own letter; per client the letters run A, B, C, …
    letters: dict[int, list[str]] = {}
    for i in settled:
        letters.setdefault(paid[i][2], []).append(paid[i][1])
    for client_letters in letters.values():
        width = sorted(client_letters, key=lambda t: (len(t), t))
        assert width == [chr(ord("A") + n) for n in range(len(width))]
    # The register: 1..N per year, dates never going back, each number on its payment.
    by_year: dict[str, list[tuple[int, str]]] = {}
    for year, seq, number, doc_date, _doc_id, p_number, p_date in register:
        assert (number, doc_date) == (p_number, p_date)
        assert number == f"RG{year}-{seq:05d}"
        by_year.setdefault(year, []).append((seq, doc_date))
    for year, rows in by_year.items():
        assert [seq for seq, _ in rows] == list(range(1, len(rows) + 1))
        assert [d for _, d in rows] == sorted(d for _, d in rows)
        assert counters[year] == len(rows)
    # What record_payment would have written in the history, cheques on a slip.
    starts = {s.split(" de ")[0] for s in audited}
    for number, means, _cents in payments:
        label = {"transfer": "Virement", "cheque": "Chèque"}[means]
        assert f"Règlement {number} ({label})" in starts, number
    assert {m for _n, m, _c in payments} == {"transfer", "cheque"}
    assert remitted == cheques_before_august > 0


def test_reference_firm_liaison_book(scale_file: Path) -> None:
    with sqlite3.connect(scale_file) as conn:
        entries = conn.execute(
            "SELECT e.id, e.status, e.resolution, e.closed_at, e.received_at, e.subject "
            "FROM liaison_entries e JOIN sites s ON s.id = e.site_id AND s.code LIKE 'RF%' "
            "ORDER BY e.id"
        ).fetchall()
        actions = {
            entry_id: comments.split("|")
            for entry_id, comments in conn.execute(
                "SELECT entry_id, group_concat(new_status, '|') FROM liaison_actions "
                "GROUP BY entry_id"
            )
        }
        created = {
            r[0]
            for r in conn.execute(
                "SELECT summary FROM audit_events WHERE entity_type = 'liaison' "
                "AND action = 'create'"
            )
        }
    assert len(entries) == -(-(N - 25) // 10)  # one per ten reference contracts
    assert min(e[4] for e in entries) < "2026-05-01"  # the quote request before the contract
    for entry_id, status, resolution, closed_at, _received, subject in entries:
        assert f"Fiche L{entry_id:05d} « {subject} » créée" in created
        assert actions[entry_id][0] == "open" and actions[entry_id][-1] == status
        assert bool(resolution) == bool(closed_at) == (status == "closed")
    assert any(e[1] == "closed" for e in entries)


@pytest.fixture(scope="module")
def firm_1000(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from app.setup import prepare_database

    path = tmp_path_factory.mktemp("firm1000") / "firm.db"
    prepared = prepare_database(path, demo=True, contracts=1000, as_of=DEMO_TODAY)
    prepared.db.dispose()
    return path


@pytest.mark.slow
def test_fec_2026_of_the_1000_contract_firm_is_balanced(firm_1000: Path, tmp_path: Path) -> None:
    from app.cli import main

    assert main(["--db", str(firm_1000), "check"]) == 0
    assert main(["--db", str(firm_1000), "accounting", "fec", "--year", "2026", "--out",
                 str(tmp_path)]) == 0  # fmt: skip
    (fec,) = tmp_path.glob("*FEC*.txt")
    lines = fec.read_bytes().decode("latin-1").splitlines()
    sep = "|" if "|" in lines[0] else "\t"
    head = lines[0].split(sep)
    rows = [dict(zip(head, line.split(sep), strict=True)) for line in lines[1:]]

    def cents(text: str) -> int:
        return int(text.replace(",", "").replace(".", "") or 0)

    per_entry: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["JournalCode"], r["EcritureNum"])
        per_entry[key] = per_entry.get(key, 0) + cents(r["Debit"]) - cents(r["Credit"])
    assert all(v == 0 for v in per_entry.values())
    assert sum(cents(r["Debit"]) for r in rows) == sum(cents(r["Credit"]) for r in rows)
    # The reference firm's payments are in the bank journal, lettered against their invoices.
    rf_payments = [r for r in rows if r["CompAuxNum"].startswith("411RF") and r["PieceRef"]
                   .startswith("RG2026-")]  # fmt: skip
    assert len(rf_payments) > 1000
    assert sum(1 for r in rf_payments if r["EcritureLet"]) > 0.8 * len(rf_payments)


def test_reference_sites_store_their_surfaces_as_the_form_does(scale_file: Path) -> None:
    """The Chantiers tab read « Bureaux : 450 » written raw by the generator and stayed blank."""
    import json

    with sqlite3.connect(scale_file) as conn:
        stored = [s for (s,) in conn.execute("SELECT surfaces FROM sites WHERE code LIKE 'RF%'")]
    assert stored and all(set(json.loads(s)) == {"Bureaux"} for s in stored)
