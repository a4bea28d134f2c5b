"""Online backups with SQLite's backup API, verified after writing."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from app.db import Database
from app.errors import DatabaseError
from app.storage import raise_storage_error


def backup_database(db: Database, out: Path) -> Path:
    """Copy the live database to ``out`` (a file path) and verify the copy.

    Safe while other processes write: the backup API copies a consistent snapshot.
    The attachment store beside the database is copied too. A PostgreSQL base is dumped
    with ``pg_dump`` (:mod:`app.pg_backup`) and its shared files folder copied the same way.
    """
    if db.path is None:
        from app.pg_backup import dump

        dump(db.engine.url, out)
        _copy_files(db, out)
        return out
    try:
        out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # A name of its own (two backups in the same second never share one), readable by
        # the user alone, removed whatever happens before it is moved into place.
        fd, name = tempfile.mkstemp(prefix=out.name + ".", suffix=".part", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise_storage_error(exc, out)
        raise
    tmp = Path(name)
    try:
        src = sqlite3.connect(str(db.path), timeout=30)
        try:
            dst = sqlite3.connect(str(tmp))
            try:
                src.backup(dst, pages=1024)
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        problems = verify_backup(tmp)
        if problems:
            raise DatabaseError(
                "La sauvegarde écrite est invalide : {problems}", problems="; ".join(problems)
            )
        tmp.replace(out)
    except (sqlite3.Error, OSError) as exc:
        raise_storage_error(exc, out)  # full disk, read-only media: one French sentence
        raise DatabaseError(
            "Sauvegarde impossible vers « {path} » : {error}", path=str(out), error=exc
        ) from exc
    finally:
        for left in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            left.unlink(missing_ok=True)  # a copy the disk refused leaves its journal
    _copy_files(db, out)
    return out


def _copy_files(db: Database, out: Path) -> None:
    """The attachment store beside the copy; if the disk refuses it, the copy of the base
    goes too: a backup is whole or absent."""
    files = db.files_dir
    if files.exists():
        target = out.with_name(out.name + ".files")
        try:
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(files, target)
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            out.unlink(missing_ok=True)
            raise_storage_error(exc, target)
            raise


def verify_backup(path: Path) -> list[str]:
    conn = sqlite3.connect(str(path))
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def backup_file_name(db: Database, when: dt.datetime | None = None) -> str:
    when = when or dt.datetime.now()
    if db.path is None:
        from app.pg_backup import SUFFIX

        return f"{db.engine.url.database or 'propreo'}-{when:%Y%m%d-%H%M%S}{SUFFIX}"
    return f"{db.path.stem}-{when:%Y%m%d-%H%M%S}.db"
