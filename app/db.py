"""Engine, pragmas and the unit-of-work helpers used by every use case.

On SQLite every write transaction starts with ``BEGIN IMMEDIATE``: a deferred transaction
that later writes either loses numbers or fails with "database is locked". Reads use a
plain deferred ``BEGIN`` so that they never block a writer. Everything else stays
dialect-neutral so that a PostgreSQL URL works too.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.errors import DatabaseError
from app.fs import attachments_dir, is_network_path

BUSY_TIMEOUT_MS = 30_000
_WRITE = "propreo_write"


@dataclass
class Database:
    """An open database: engine plus where it lives and how it is journaled."""

    engine: Engine
    path: Path | None  # None for a non-SQLite URL
    journal_mode: str = ""
    network: bool = False
    read_only: bool = False
    user_id: int | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def files_dir(self) -> Path:
        """Folder for photos, attachments and archived PDFs."""
        if self.path is None:
            raise DatabaseError("Aucun dossier de fichiers pour une base non SQLite.")
        return attachments_dir(self.path)

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A write unit of work: ``BEGIN IMMEDIATE`` on SQLite, commit on success."""
        if self.read_only:
            raise DatabaseError("La base est ouverte en lecture seule.")
        bind = self.engine.execution_options(**{_WRITE: True})
        with Session(bind=bind, expire_on_commit=False) as session:
            session.info["user_id"] = self.user_id
            session.info["database"] = self
            with session.begin():
                yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read session (deferred transaction). Closing it ends the transaction without
        expiring the loaded objects, which stay readable (detached) afterwards."""
        with Session(bind=self.engine, expire_on_commit=False, autoflush=False) as session:
            session.info["user_id"] = self.user_id
            session.info["database"] = self
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _is_url(target: str) -> bool:
    return "://" in target


def open_database(target: str | Path, *, read_only: bool = False, create: bool = True) -> Database:
    """Open a SQLite file (path) or any SQLAlchemy URL.

    The schema is not touched here: see :mod:`app.migrate`.
    """
    text = str(target)
    if _is_url(text):
        url = make_url(text)
        if url.get_backend_name() != "sqlite":
            engine = create_engine(url, pool_pre_ping=True)
            return Database(engine=engine, path=None, read_only=read_only)
        path = Path(url.database or "")
    else:
        path = Path(text).expanduser()
    if not create and not path.exists():
        raise DatabaseError("Le fichier de base « {path} » n'existe pas.", path=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    network = is_network_path(path)
    wanted_journal = "DELETE" if network else "WAL"
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    db = Database(engine=engine, path=path, network=network, read_only=read_only)
    _install_sqlite_hooks(engine, wanted_journal, read_only)
    try:
        with engine.connect() as conn:
            db.journal_mode = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).upper()
    except Exception as exc:  # sqlite3.DatabaseError: not a database, unreadable...
        engine.dispose()
        raise DatabaseError(
            "Impossible d'ouvrir la base « {path} » : {error}", path=str(path), error=exc
        ) from exc
    return db


def _install_sqlite_hooks(engine: Engine, journal_mode: str, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy (not pysqlite) emit BEGIN, so that we choose its kind.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=FULL")
        if not read_only:
            cur.execute(f"PRAGMA journal_mode={journal_mode}")
        else:
            cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")
