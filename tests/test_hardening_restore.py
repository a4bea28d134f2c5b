"""Issue T §3: a restore lost issued invoices; on either engine (issue Q: a PostgreSQL
restore of a dump lacking issued numbers was not refused).

Seen: a restore while a CLI billing run wrote silently dropped the 21 invoices just
issued, so their numbers could be given again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.backups import make_backup, restore_target
from app.billing.runs import issue_period, run_month
from app.db import Database, open_database
from app.errors import DatabaseError, NumbersWouldBeLost
from tests.pg import target_of


def _issued(target: str) -> list[str]:
    db = open_database(target)
    try:
        with db.read() as s:
            return list(s.scalars(text("SELECT number FROM issued_numbers ORDER BY id")))
    finally:
        db.dispose()


def _issue_a_month(db: Database) -> list[str]:
    with db.write() as s:
        run_month(s, "2026-09")
    with db.write() as s:
        return issue_period(s, "2026-09")


def test_a_backup_older_than_issued_numbers_is_refused_listing_them(demo_db: Database) -> None:
    target = target_of(demo_db)
    backup = make_backup(demo_db)
    numbers = _issue_a_month(demo_db)
    assert len(numbers) > 10
    before = _issued(target)
    demo_db.dispose()
    with pytest.raises(NumbersWouldBeLost) as err:
        restore_target(target, backup)
    assert err.value.numbers == numbers
    assert numbers[0] in str(err.value) and "redonner ces numéros" in str(err.value)
    assert _issued(target) == before  # nothing replaced
    # Confirmed knowingly: restored, the safety copy keeps the lost documents.
    safety = restore_target(target, backup, lose_numbers=True)
    assert numbers[-1] not in _issued(target)
    assert safety.is_file() and safety != backup
    restore_target(target, safety)  # the safety copy brings every number back
    assert _issued(target) == before


def test_restore_is_refused_while_another_process_writes(demo_db: Database, monkeypatch) -> None:
    import app.backups

    target = target_of(demo_db)
    backup = make_backup(demo_db)
    before = _issued(target)
    monkeypatch.setattr(app.backups, "LOCK_WAIT_S", 0.2)
    with demo_db.write() as session:  # a billing run holding the write lock
        session.connection().exec_driver_sql("DELETE FROM audit_events WHERE id < 0")
        with pytest.raises(DatabaseError, match="Une autre opération écrit dans la base"):
            restore_target(target, backup)
    demo_db.dispose()
    assert _issued(target) == before
    assert [p for p in backup.parent.iterdir() if "-avant" in p.name] == []  # nothing done


def test_cli_restore_unattended_never_loses_numbers(demo_db: Database) -> None:
    from tests.test_issuing import _cli

    target = target_of(demo_db)
    backup = make_backup(demo_db)
    numbers = _issue_a_month(demo_db)
    demo_db.dispose()
    proc = _cli(target, "restore", "--from", str(backup), "--yes")
    out, _err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert (
        f"Restauration refusée : Cette sauvegarde est antérieure à des numéros déjà "
        f"attribués : {numbers[0]}" in out
    )
    assert numbers[-1] in _issued(target)
    proc = _cli(target, "restore", "--from", str(backup), "--yes", "--lose-numbers")
    out, _err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "Base restaurée." in out
    assert numbers[-1] not in _issued(target)
