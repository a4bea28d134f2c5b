"""PostgreSQL test databases, used by the ``db`` and ``demo_db`` fixtures when
``PROPREO_TEST_PG_URL`` is set (e.g. ``postgresql+psycopg://propreo@/propreo?host=/tmp/pg``,
the URL ``installer/linux/pg-test-cluster.sh start`` prints; CI runs the whole suite so).

Each pytest process builds, once, an empty base (migrations and reference data) and the
demo firm as template databases; every test gets its own copy (``CREATE DATABASE …
TEMPLATE``, a file copy on the server) with its own copy of the files folder, dropped
afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import Database, open_database

PG_URL = os.environ.get("PROPREO_TEST_PG_URL", "")


def skip_other_engine(items: list[pytest.Item]) -> None:
    """``@pytest.mark.sqlite_only`` tests are skipped on PostgreSQL, ``pg_only`` ones on SQLite."""
    unwanted = "sqlite_only" if PG_URL else "pg_only"
    reason = (
        "SQLite seulement (son pendant PostgreSQL est testé à part)"
        if PG_URL
        else "PostgreSQL seulement (PROPREO_TEST_PG_URL non défini)"
    )
    for item in items:
        if item.get_closest_marker(unwanted):
            item.add_marker(pytest.mark.skip(reason=reason))


# The fixtures through which a test reaches the database under test (the PostgreSQL one
# with PROPREO_TEST_PG_URL); a test using none of them never talks to PostgreSQL.
ENGINE_FIXTURES = frozenset({"db", "demo_db", "pg_templates"})


def engine_independent(items: list[pytest.Item]) -> list[pytest.Item]:
    """On PostgreSQL, the tests that use none of :data:`ENGINE_FIXTURES`: they open no
    database or a SQLite file of their own (lease, file-level checks), or none at all
    (rules, PDF, Factur-X, parsing), so they run exactly as in the SQLite pass, which
    already ran them; the PostgreSQL pass leaves them out (CI time). Every test that can
    reach the server still runs on it. ``PROPREO_TEST_PG_ALL=1`` runs them all anyway."""
    if not PG_URL or os.environ.get("PROPREO_TEST_PG_ALL") == "1":
        return []
    return [
        item
        for item in items
        if not ENGINE_FIXTURES & set(getattr(item, "fixturenames", ()))
        and not item.get_closest_marker("pg_only")
    ]


@contextlib.contextmanager
def _clock_stopped() -> Iterator[None]:
    """Building a template (the demo firm: half a minute, minutes on a loaded machine) is
    done once for the whole session: it does not count in the 5 minutes pytest-timeout
    (signal method: an ITIMER_REAL alarm) gives the test that happens to trigger it."""
    if not hasattr(signal, "setitimer"):
        yield
        return
    remaining, _interval = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PgTemplates:
    """The template databases of this pytest process and the copies made from them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
        self.prefix = f"propreo_t{uuid.uuid4().hex[:8]}"
        self.templates: dict[str, str] = {}
        self.failed: dict[str, str] = {}

    def url(self, name: str) -> str:
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(sql)

    def template(self, kind: str) -> str:
        if kind in self.failed:  # built once: the next tests fail at once, not after as long
            raise RuntimeError(f"template {kind} failed: {self.failed[kind]}")
        if kind not in self.templates:
            from app.setup import prepare_database

            name = f"{self.prefix}_{kind}"
            self._execute(f"CREATE DATABASE {_quoted(name)}")
            try:
                with _clock_stopped():
                    from app.demo import DEMO_TODAY  # the same pinned demo as on SQLite

                    prepared = prepare_database(
                        self.url(name),
                        demo=kind == "demo",
                        files_dir=self.folder / name,
                        as_of=DEMO_TODAY,
                    )
            except BaseException as exc:
                self.failed[kind] = repr(exc)
                raise
            prepared.db.dispose()
            self.templates[kind] = name
        return self.templates[kind]

    def clone(self, kind: str, files: Path) -> Database:
        template = self.template(kind)
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        self._execute(f"CREATE DATABASE {_quoted(name)} TEMPLATE {_quoted(template)}")
        shutil.copytree(self.folder / template, files, dirs_exist_ok=True)
        db = open_database(self.url(name))
        with db.write() as session:
            session.execute(text("UPDATE file_store SET folder = :f"), {"f": str(files)})
        return db

    def drop(self, db: Database) -> None:
        name = db.engine.url.database
        db.dispose()
        self._execute(f"DROP DATABASE IF EXISTS {_quoted(str(name))} WITH (FORCE)")

    def close(self) -> None:
        for name in [*self.templates.values(), *(f"{self.prefix}_{k}" for k in self.failed)]:
            self._execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
        self.admin.dispose()


def pg_database(templates: PgTemplates, kind: str, tmp_path: Path) -> Iterator[Database]:
    db = templates.clone(kind, tmp_path / "files")
    try:
        yield db
    finally:
        templates.drop(db)


def target_of(db: Database) -> str:
    """What another process passes to ``--db`` to open the same database."""
    if db.path is not None:
        return str(db.path)
    return db.engine.url.render_as_string(hide_password=False)
