"""PostgreSQL test databases, used by the ``db`` and ``demo_db`` fixtures when
``PROPREO_TEST_PG_URL`` is set (e.g. ``postgresql+psycopg://propreo@/propreo?host=/tmp/pg``,
the URL ``installer/linux/pg-test-cluster.sh start`` prints; CI runs the whole suite so).

The run builds, once, an empty base (migrations and reference data) and the demo firm
(moved from the run's SQLite demo base by ``transfer``) as template databases (the first xdist worker that needs one builds it, the others wait for
it: tests/run_templates.py); every test gets its own copy (``CREATE DATABASE …
TEMPLATE``, a file copy on the server) with its own copy of the files folder, dropped
afterwards. The templates are dropped when the run ends (:func:`drop_run`)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import Database, open_database
from tests.run_templates import built_once

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


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PgTemplates:
    """The template databases of the run and the copies this process makes from them."""

    def __init__(self, folder: Path, run: str, sqlite_demo: Callable[[], Path]) -> None:
        self.folder = folder  # the run's, shared by the workers
        self.sqlite_demo = sqlite_demo  # a copy of the run's SQLite demo base
        self.admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
        self.run = f"propreo_r{run}"
        self.prefix = f"{self.run}_{uuid.uuid4().hex[:6]}"  # this process's databases

    def url(self, name: str) -> str:
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(sql)

    def template(self, kind: str) -> str:
        name = f"{self.run}_{kind}"

        def build(folder: Path) -> None:
            self._execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
            self._execute(f"CREATE DATABASE {_quoted(name)}")
            if kind == "demo":
                self._transferred_demo(self.url(name), folder / "files")
                return
            from app.setup import prepare_database

            prepare_database(self.url(name), files_dir=folder / "files").db.dispose()

        built_once(self.folder / name, build)
        return name

    def _transferred_demo(self, url: str, files: Path) -> None:
        """The demo firm moved from the run's SQLite demo base by ``propreo transfer``
        (a fraction of building it again on the server; tests/test_engine_transfer.py
        proves the moved firm exports the same documents and FEC, and
        tests/test_engines.py builds the demo on the server itself)."""
        from app.transfer import transfer

        source = open_database(str(self.sqlite_demo()))
        try:
            report = transfer(source, url, files_dir=str(files))
        finally:
            source.dispose()
        if report.problems:
            raise RuntimeError(f"demo transfer: {report.problems}")

    def clone(self, kind: str, files: Path) -> Database:
        template = self.template(kind)
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        self._execute(f"CREATE DATABASE {_quoted(name)} TEMPLATE {_quoted(template)}")
        shutil.copytree(self.folder / template / "files", files, dirs_exist_ok=True)
        db = open_database(self.url(name))
        with db.write() as session:
            session.execute(text("UPDATE file_store SET folder = :f"), {"f": str(files)})
        return db

    def drop(self, db: Database) -> None:
        name = db.engine.url.database
        db.dispose()
        self._execute(f"DROP DATABASE IF EXISTS {_quoted(str(name))} WITH (FORCE)")

    def close(self) -> None:
        self.admin.dispose()


def drop_run(run: str) -> None:
    """Drop the databases of the run (templates, copies a failed test left behind): done
    once every worker has finished, by the process that started them."""
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            names = conn.scalars(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": f"propreo_r{run}\\_%"},
            ).all()
            for name in names:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        admin.dispose()


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
