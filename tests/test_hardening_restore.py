"""Issue T §3: a restore lost issued invoices.

Seen: a restore while a CLI billing run wrote silently dropped the 21 invoices just
issued, so their numbers could be given again.
"""

from __future__ import annotations

import sqlite3

import pytest

from app.backups import NumbersWouldBeLost, make_backup, restore
from app.billing.runs import issue_period, run_month
from app.db import Database
from app.errors import DatabaseError


def _issued(path) -> list[str]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(path) as con:
        return [r[0] for r in con.execute("SELECT number FROM issued_numbers ORDER BY id")]


def _issue_a_month(db: Database) -> list[str]:
    with db.write() as s:
        run_month(s, "2026-09")
    with db.write() as s:
        return issue_period(s, "2026-09")


@pytest.mark.sqlite_only
def test_a_backup_older_than_issued_numbers_is_refused_listing_them(demo_db: Database) -> None:
    backup = make_backup(demo_db)
    numbers = _issue_a_month(demo_db)
    assert len(numbers) > 10
    before = _issued(demo_db.path)
    demo_db.dispose()
    with pytest.raises(NumbersWouldBeLost) as err:
        restore(demo_db.path, backup)
    assert err.value.numbers == numbers
    assert numbers[0] in str(err.value) and "redonner ces numéros" in str(err.value)
    assert _issued(demo_db.path) == before  # nothing replaced
    # Confirmed knowingly: restored, the safety copy keeps the lost documents.
    safety = restore(demo_db.path, backup, lose_numbers=True)
    assert numbers[-1] not in _issued(demo_db.path)
    assert _issued(safety) == before


@pytest.mark.sqlite_only
def test_restore_is_refused_while_another_process_writes(demo_db: Database, monkeypatch) -> None:
    import app.backups

    backup = make_backup(demo_db)
    before = demo_db.path.read_bytes()
    monkeypatch.setattr(app.backups, "LOCK_WAIT_S", 0.2)
    with demo_db.write() as session:  # a billing run holding the write lock
        session.connection().exec_driver_sql("DELETE FROM audit_events WHERE id < 0")
        with pytest.raises(DatabaseError, match="Une autre opération écrit dans la base"):
            restore(demo_db.path, backup)
    demo_db.dispose()
    assert demo_db.path.read_bytes() == before


@pytest.mark.sqlite_only
def test_cli_restore_unattended_never_loses_numbers(demo_db: Database) -> None:
    from tests.test_issuing import _cli

    backup = make_backup(demo_db)
    numbers = _issue_a_month(demo_db)
    demo_db.dispose()
    proc = _cli(demo_db.path, "restore", "--from", str(backup), "--yes")
    out, _err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert (
        f"Restauration refusée : Cette sauvegarde est antérieure à des numéros déjà "
        f"attribués : {numbers[0]}" in out
    )
    assert numbers[-1] in _issued(demo_db.path)
    proc = _cli(demo_db.path, "restore", "--from", str(backup), "--yes", "--lose-numbers")
    out, _err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "Base restaurée." in out
    assert numbers[-1] not in _issued(demo_db.path)
