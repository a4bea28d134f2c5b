"""Crash safety: kill -9 at random moments of a month-end run, a backup taken during a run,
disk full and I/O errors: the file stays consistent and the operation is re-runnable."""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from app.backups import make_backup, verify_copy
from app.billing.runs import issue_period, run_month
from app.check import run_checks
from app.db import Database, open_database
from app.documents.archive import ARCHIVE_DIR, archive_invoice_pdf
from models.documents import ArchivedDocument
from models.invoices import Invoice
from tests.test_issuing import _cli, _issued, _many_contracts

CONTRACTS = 120
PERIOD = "2026-06"


def _check_ok(path: Path) -> None:
    db = open_database(path)
    try:
        report = run_checks(db)
        assert report.ok, report.problems
    finally:
        db.dispose()


def _reference(db: Database, tmp_path: Path) -> list[tuple[str, int, str]]:
    """What an uninterrupted run issues, on a copy of the same file."""
    assert db.path is not None
    single = tmp_path / "single.db"
    shutil.copyfile(db.path, single)
    proc = _cli(single, "billing", "run", "--period", PERIOD, "--validate", "--json")
    _out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    issued = _issued(single)
    assert len(issued) == CONTRACTS
    return issued


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_kill_9_at_random_moments_then_finishing_issues_what_one_run_issues(
    db: Database, tmp_path: Path
) -> None:
    _many_contracts(db, CONTRACTS)
    db.dispose()
    assert db.path is not None
    reference = _reference(db, tmp_path)
    rng = random.Random(20261128)
    for _ in range(4):
        victim = _cli(db.path, "billing", "run", "--period", PERIOD, "--validate", "--json")
        time.sleep(rng.uniform(0.3, 4.0))
        victim.kill()  # SIGKILL: no cleanup, like a power cut for the process
        victim.communicate(timeout=60)
        _check_ok(db.path)  # consistent after every kill
    rerun = _cli(db.path, "billing", "run", "--period", PERIOD, "--validate", "--json")
    _out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert _issued(db.path) == reference
    con = sqlite3.connect(db.path)
    try:
        drafts = con.execute("SELECT count(*) FROM invoices WHERE status='draft'").fetchone()[0]
    finally:
        con.close()
    assert drafts == 0
    _check_ok(db.path)


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_a_backup_taken_during_a_run_opens_and_passes_check(db: Database, tmp_path: Path) -> None:
    _many_contracts(db, CONTRACTS)
    assert db.path is not None
    run = _cli(db.path, "billing", "run", "--period", PERIOD, "--validate", "--json")
    time.sleep(1.0)
    backup = make_backup(db)  # while the other process writes
    _out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert verify_copy(backup) == []
    _check_ok(backup)
    assert len(_issued(db.path)) == CONTRACTS
    # The backup holds a consistent state: either before or after the run's transactions.
    assert len(_issued(backup)) in (0, CONTRACTS)


def _fill_up(db: Database, spare_pages: int) -> None:
    """Simulate a full disk: every new connection may grow the file by a few pages only."""

    @event.listens_for(db.engine, "connect")
    def _limit(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages + spare_pages}")

    db.engine.dispose()  # drop the pooled connection opened before the limit


@pytest.mark.sqlite_only
def test_disk_full_during_a_run_leaves_nothing_half_written_and_rerun_completes(
    db: Database, tmp_path: Path
) -> None:
    _many_contracts(db, 40)
    assert db.path is not None
    db.dispose()  # checkpoints the WAL into the file before copying it
    shutil.copyfile(db.path, tmp_path / "ref.db")
    ref = open_database(tmp_path / "ref.db")
    with ref.write() as s:
        run_month(s, PERIOD)
    with ref.write() as s:
        issue_period(s, PERIOD)
    ref.dispose()
    con = sqlite3.connect(db.path)  # no free page left inside the file
    con.execute("VACUUM")
    con.close()
    full = open_database(db.path)
    _fill_up(full, spare_pages=1)
    with pytest.raises(Exception, match="full"), full.write() as s:
        run_month(s, PERIOD)
    full.dispose()
    _check_ok(db.path)
    assert _issued(db.path) == []
    con = sqlite3.connect(db.path)
    assert con.execute("SELECT count(*) FROM invoices").fetchone()[0] == 0
    con.close()
    # Space is back: the same operation runs to the end.
    again = open_database(db.path)
    with again.write() as s:
        run_month(s, PERIOD)
    with again.write() as s:
        issue_period(s, PERIOD)
    again.dispose()
    assert _issued(db.path) == _issued(tmp_path / "ref.db")
    _check_ok(db.path)


def test_an_unwritable_archive_folder_leaves_no_archive_row_and_can_be_retried(
    db: Database,
) -> None:
    _many_contracts(db, 2)
    with db.write() as s:
        run_month(s, PERIOD)
    with db.write() as s:
        issue_period(s, PERIOD)
    with db.read() as s:
        invoice_id = s.scalar(select(func.min(Invoice.id)))
    # The archive folder cannot be created (a file is in its way: an I/O error even as root).
    files = db.files_dir
    files.mkdir(parents=True, exist_ok=True)
    (files / ARCHIVE_DIR).write_bytes(b"not a folder")
    pdf = b"%PDF-1.7\n% archived test document\n"
    with pytest.raises(OSError), db.write() as s:
        archive_invoice_pdf(s, invoice_id, pdf)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ArchivedDocument)) == 0
    assert run_checks(db).ok
    (files / ARCHIVE_DIR).unlink()
    with db.write() as s:
        row = archive_invoice_pdf(s, invoice_id, pdf)
        assert (files / row.path).read_bytes() == pdf
    report = run_checks(db)
    assert report.ok, report.problems
