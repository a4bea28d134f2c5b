"""Issue T §4: deletions the check did not see.

Seen: deleting the last issued invoice (with its lines and ledger rows), or putting it
back to draft with its chain fields cleared and then deleting it as a draft, passed
``check``: the chain of the remaining documents verified and the number register still
held the number.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from app.billing.runs import issue_period, run_month
from app.check import run_checks
from app.db import open_database
from tests import billing_fixtures as bf


@pytest.fixture(scope="module")
def issued_file(tmp_path_factory: pytest.TempPathFactory, empty_db_file: Path) -> Path:
    path = tmp_path_factory.mktemp("register") / "issued.db"
    shutil.copyfile(empty_db_file, path)
    db = open_database(path)
    with db.write() as s:
        bf.firm(s)
        bf.three_line_contract(s, bf.client(s))
    for period in ("2026-01", "2026-02", "2026-03"):
        with db.write() as s:
            run_month(s, period)
            issue_period(s, period)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert run_checks(db).ok
    db.dispose()
    return path


def _tampered(issued_file: Path, tmp_path: Path, *sql: str) -> list[str]:
    path = tmp_path / "t.db"
    shutil.copyfile(issued_file, path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        # Whoever edits the file can drop the guard triggers first.
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        last = conn.execute(
            "SELECT id, number FROM invoices WHERE status='issued' ORDER BY chain_index DESC"
        ).fetchone()
        for statement in sql:
            conn.execute(statement.format(id=last[0]))
    db = open_database(path)
    try:
        problems = run_checks(db).problems
    finally:
        db.dispose()
    return [p.replace(last[1], "<N>") for p in problems]


DELETE = (
    "DELETE FROM billing_ledger WHERE invoice_id={id}",
    "DELETE FROM invoice_lines WHERE invoice_id={id}",
    "DELETE FROM invoices WHERE id={id}",
)


def test_deleting_the_last_issued_invoice_is_caught(issued_file, tmp_path) -> None:
    problems = _tampered(issued_file, tmp_path, *DELETE)
    assert problems == [
        "Registre des numéros : Facture <N> : numéro attribué (registre) mais aucun document "
        "émis ne le porte (document supprimé ?).",
        "Registre des numéros : La chaîne compte 2 document(s), le registre 3 numéro(s) de "
        "factures, avoirs et acomptes.",
    ]


def test_back_to_draft_then_deleted_as_a_draft_is_caught(issued_file, tmp_path) -> None:
    problems = _tampered(
        issued_file,
        tmp_path,
        "UPDATE invoices SET status='draft', number=NULL, chain_index=NULL, previous_hash='', "
        "content_hash='' WHERE id={id}",
        *DELETE,
    )
    assert any("<N> : numéro attribué (registre) mais aucun document" in p for p in problems)


def test_a_number_removed_from_the_register_is_caught(issued_file, tmp_path) -> None:
    problems = _tampered(
        issued_file,
        tmp_path,
        "DELETE FROM issued_numbers WHERE number=(SELECT number FROM invoices WHERE id={id})",
        "UPDATE number_counters SET last_value=last_value-1 WHERE series_id="
        "(SELECT id FROM number_series WHERE code='invoice')",
    )
    assert (
        "Registre des numéros : Document <N> : numéro absent du registre des numéros "
        "attribués." in problems
    )
