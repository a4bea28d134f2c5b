"""Engine set-up: pragmas, journal mode on local disk vs network share, BEGIN IMMEDIATE."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.db import Database, open_database
from app.fs import filesystem_type, is_network_path


@pytest.mark.sqlite_only
def test_pragmas_on_every_connection(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert db.journal_mode == "WAL" and not db.network


def test_network_share_uses_the_rollback_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROPREO_ASSUME_NETWORK", "1")
    db = open_database(tmp_path / "partage.db")
    assert db.network is True
    assert db.journal_mode == "DELETE"  # read back from SQLite, not assumed
    db.dispose()


def test_unc_and_linux_mount_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_network_path(Path("//serveur/partage/propreo.db"))
    mounts = [("/", "ext4"), ("/mnt/bureau", "cifs"), ("/srv/nfs", "nfs4")]
    monkeypatch.setattr("app.fs._linux_mounts", lambda: mounts)
    assert filesystem_type(Path("/mnt/bureau/compta/propreo.db")) == "cifs"
    assert filesystem_type(Path("/mnt/bureau2/propreo.db")) == "ext4"
    assert is_network_path(Path("/srv/nfs/propreo.db"))
    assert not is_network_path(Path("/home/claire/propreo.db"))


@pytest.mark.sqlite_only
def test_write_unit_takes_the_write_lock_up_front(db: Database) -> None:
    other = sqlite3.connect(str(db.path), timeout=0, isolation_level=None)
    with db.write() as session:
        session.connection()  # the transaction has begun, nothing written yet
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # released at commit
    other.execute("ROLLBACK")
    other.close()


def test_reads_do_not_block_a_writer(db: Database) -> None:
    from app.users import active_users, create_user

    with db.read() as reader:
        active_users(reader)
        with db.write() as writer:
            create_user(writer, "paul", "Paul Petit")
    with db.read() as s:
        assert [u.login for u in active_users(s)] == ["paul"]
