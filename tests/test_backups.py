"""Rotating verified backups, start-up verification, restore with preview and safety copy."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from app import backups
from app.backups import (
    auto_backup,
    backup_stem,
    backups_folder,
    list_backups,
    make_backup,
    preview,
    restore,
    rotate,
    startup_check,
)
from app.db import Database, open_database
from app.errors import DatabaseError


def _issued(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM invoices WHERE status='issued'").fetchone()[0]
    finally:
        con.close()


def test_rotation_keeps_daily_weekly_and_monthly_copies(tmp_path: Path) -> None:
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    start = dt.datetime(2026, 1, 1, 18, 0)
    for day in range(200):  # two backups a day for 200 days
        for hour in (12, 18):
            stamp = start + dt.timedelta(days=day) - dt.timedelta(hours=18 - hour)
            (folder / f"propreo-{stamp:%Y%m%d-%H%M%S}.db").write_bytes(b"x")
    (folder / "propreo-20260101-090000-avant.db").write_bytes(b"safety")
    rotate(folder, "propreo", daily=7, weekly=5, monthly=12)
    kept = list_backups(folder, "propreo")
    names = [p.name for p in kept]
    newest = start + dt.timedelta(days=199)
    # The newest copy of each of the last 7 days...
    for back in range(7):
        assert f"propreo-{newest - dt.timedelta(days=back):%Y%m%d}-180000.db" in names
    # ... never two of one day, one per month back to January, and the safety copy stays.
    days = [n.split("-")[1] for n in names if not n.endswith("-avant.db")]
    assert len(days) == len(set(days))
    assert {d[:6] for d in days} == {f"2026{m:02d}" for m in range(1, 8)}
    assert "propreo-20260101-090000-avant.db" in names
    assert len(kept) <= 7 + 5 + 12 + 1


def test_two_backups_of_the_same_second_keep_the_later_one(tmp_path: Path) -> None:
    """Seen: the backup at close, taken in the second of the one at start (named ``-2``),
    was the one rotation deleted: both had the same stamp and the order was the disk's."""
    # Several names, written in every order: the listing must not depend on the folder's
    # order (on ext4, the hash of the names).
    for stem in ("propreo", "demo", "copro", "sarl-net"):
        newest_first = [f"{stem}-20261207-071903{rank}.db" for rank in ("-10", "-2", "")]
        for n, order in enumerate(itertools.permutations(newest_first)):
            folder = tmp_path / f"{stem}{n}"
            folder.mkdir()
            for name in order:
                (folder / name).write_bytes(b"x")
            assert [p.name for p in list_backups(folder, stem)] == newest_first
            rotate(folder, stem, daily=1, weekly=0, monthly=0)
            assert [p.name for p in list_backups(folder, stem)] == newest_first[:1]


def test_daily_backup_once_a_day_verified_with_attachments(demo_db: Database) -> None:
    """Either engine: a SQLite copy beside the file, a verified ``pg_dump`` beside a
    PostgreSQL firm's shared files folder."""
    day = dt.datetime(2026, 11, 2, 9, 0)
    first = auto_backup(demo_db, reason="daily", now=day)
    assert first is not None and first.parent == backups_folder(demo_db)
    assert first.name == f"{backup_stem(demo_db)}-20261102-090000{first.suffix}"
    assert auto_backup(demo_db, reason="daily", now=day + dt.timedelta(hours=3)) is None
    assert auto_backup(demo_db, reason="daily", now=day + dt.timedelta(days=1)) is not None
    assert auto_backup(demo_db, reason="close", now=day + dt.timedelta(days=1, hours=1))
    kept = list_backups(backups_folder(demo_db), backup_stem(demo_db))
    assert [p.stem[-15:] for p in kept] == ["20261103-100000", "20261102-090000"]  # per day
    assert backups.verify_copy(first) == []
    if demo_db.files_dir.exists():
        copied = first.with_name(first.name + ".files")
        originals = sorted(p.name for p in demo_db.files_dir.rglob("*") if p.is_file())
        assert sorted(p.name for p in copied.rglob("*") if p.is_file()) == originals
    with demo_db.read() as s:
        issued = s.scalar(text("SELECT count(*) FROM invoices WHERE status = 'issued'"))
    assert preview(first).counts["invoices"] == issued > 0


@pytest.mark.sqlite_only
def test_startup_check_quick_then_full_weekly_and_reports_tampering(
    demo_db: Database,
) -> None:
    monday = dt.datetime(2026, 11, 2, 8, 0)
    first = startup_check(demo_db, now=monday)
    assert first.full and first.ok, first.problems
    assert not startup_check(demo_db, now=monday + dt.timedelta(days=1)).full
    assert startup_check(demo_db, now=monday + dt.timedelta(days=7)).full
    assert demo_db.path is not None
    demo_db.dispose()
    con = sqlite3.connect(demo_db.path)
    for (trigger,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'"):
        con.execute(f"DROP TRIGGER {trigger}")
    number = con.execute(
        "SELECT number FROM invoices WHERE status='issued' ORDER BY chain_index LIMIT 1 OFFSET 3"
    ).fetchone()[0]
    con.execute("UPDATE invoices SET total_ttc = total_ttc + 1 WHERE number = ?", (number,))
    con.commit()
    con.close()
    quick = startup_check(open_database(demo_db.path), now=monday + dt.timedelta(days=8))
    assert not quick.full and not quick.ok
    assert "Contrôle rapide de la base : 1 anomalie(s)." in quick.text()
    assert f"Facture {number}" in quick.text()


@pytest.mark.sqlite_only
def test_restore_previews_keeps_a_safety_copy_and_refuses_a_damaged_backup(
    demo_db: Database, tmp_path: Path
) -> None:
    assert demo_db.path is not None
    good = make_backup(demo_db, now=dt.datetime(2026, 11, 2, 9, 0))
    info = preview(good)
    assert info.counts["invoices"] == _issued(demo_db.path) and info.problems == []
    assert "Vérification : aucune anomalie." in info.text()
    # Later work that the restore will undo.
    with demo_db.write() as s:
        s.connection().exec_driver_sql("DELETE FROM audit_events")
    demo_db.dispose()
    safety = restore(demo_db.path, good, now=dt.datetime(2026, 11, 3, 9, 0))
    assert safety.name.endswith("-avant.db") and safety.exists()
    con = sqlite3.connect(safety)
    assert con.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 0
    con.close()
    con = sqlite3.connect(demo_db.path)
    assert con.execute("SELECT count(*) FROM audit_events").fetchone()[0] > 0
    con.close()
    reopened = open_database(demo_db.path)
    from app.check import run_checks

    assert run_checks(reopened).ok
    reopened.dispose()
    damaged = tmp_path / "propreo-20261101-090000.db"
    data = bytearray(good.read_bytes())
    data[5000:9000] = b"\xff" * 4000
    damaged.write_bytes(bytes(data))
    before = demo_db.path.read_bytes()
    with pytest.raises(DatabaseError, match="Restauration refusée"):
        restore(demo_db.path, damaged)
    assert demo_db.path.read_bytes() == before


@pytest.mark.sqlite_only
def test_cli_restore_from_a_backup(demo_db: Database) -> None:
    from tests.test_issuing import _cli

    assert demo_db.path is not None
    good = make_backup(demo_db)
    demo_db.dispose()
    proc = _cli(demo_db.path, "restore", "--from", str(good), "--yes")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "Vérification : aucune anomalie." in out
    assert "Base restaurée." in out
