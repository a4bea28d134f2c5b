"""PostgreSQL test databases, used by the ``db`` and ``demo_db`` fixtures when
``PROPREO_TEST_PG_URL`` is set (e.g. ``postgresql+psycopg://propreo@/propreo?host=/tmp/pg``,
the URL ``installer/linux/pg-test-cluster.sh start`` prints; CI runs the whole suite so).

The run builds, once, an empty base (migrations and reference data) and the demo firm
(moved from the run's SQLite demo base by ``transfer``) as template databases (the first
xdist worker that needs one builds it, the others wait for it: tests/run_templates.py);
every test gets its own database holding exactly the template (tables, rows, sequences)
and its own copy of the files folder. The templates are dropped when the run ends
(:func:`drop_run`).

A test's database is not dropped afterwards but given back (:meth:`PgTemplates.release`):
``CREATE DATABASE … TEMPLATE`` copies the whole base on the server (≈ 12 MB, a third of a
second on a quiet machine, seconds on a loaded one, × every test of the pass), whereas
putting back the template's rows is a few TRUNCATEs and COPYs. Given back, the database
is reset to the template (see :class:`Pristine`) and renamed, so the next test of the
process gets it under a new name; a database whose schema the test changed (or that cannot
be reset) is dropped and the next test gets a fresh copy. ``PROPREO_TEST_PG_FRESH=1``: a
fresh copy for every test, as before (tests/test_pg_reuse.py shows both give the same
base)."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.billing import pg_triggers
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


# Rows inserted, updated and deleted so far in each table of the base, by every session
# that has ended (the server's statistics, kept in shared memory and published by a
# session when it ends at the latest). The system catalogs are among them: a change of
# schema (a table, a column, an index, a trigger, a function, a type…) writes rows of
# theirs; ANALYZE's statistics (pg_statistic*) are not schema; the catalogs shared by
# the whole cluster (pg_database…) are not the base's.
_WRITES = r"""
SELECT n.nspname = 'pg_catalog', quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       c.oid::bigint, s.n_tup_ins + s.n_tup_upd + s.n_tup_del
FROM pg_stat_all_tables s JOIN pg_class c ON c.oid = s.relid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND NOT c.relisshared AND n.nspname <> 'information_schema'
  AND n.nspname <> 'pg_toast' AND c.relname NOT LIKE 'pg\_statistic%'
"""

# The schema as a test can see it: tables, columns and their defaults, constraints,
# indexes, triggers, functions, views, types, sequences' settings, rules, policies,
# extensions, the base's own settings, large objects. Compared when a test wrote to the
# system catalogs (:meth:`Pristine.reset`).
_SHAPE = r"""
WITH ns AS (
    SELECT oid FROM pg_namespace
    WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\_%'
)
SELECT md5(coalesce(string_agg(x, E'\n' ORDER BY x), '')) FROM (
    SELECT 'n ' || nspname FROM pg_namespace WHERE oid IN (SELECT oid FROM ns)
    UNION ALL
    SELECT concat_ws(' ', 'c', c.oid::regclass, c.relkind, c.relpersistence,
                     c.relacl::text, c.relrowsecurity, c.reloptions::text)
    FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT concat_ws(' ', 'a', a.attrelid::regclass, a.attnum, a.attname,
                     format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attisdropped,
                     a.attidentity, a.attgenerated, a.attcollation)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE a.attnum > 0 AND c.relnamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT concat_ws(' ', 'd', d.adrelid::regclass, d.adnum, pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
    WHERE c.relnamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT concat_ws(' ', 'k', conrelid::regclass, contypid::regtype, conname,
                     pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT 'i ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relnamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT concat_ws(' ', 't', pg_get_triggerdef(oid), tgenabled)
    FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT concat_ws(' ', 'f', oid::regprocedure, md5(prosrc), proconfig::text)
    FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT concat_ws(' ', 'v', oid::regclass, pg_get_viewdef(oid))
    FROM pg_class WHERE relkind IN ('v', 'm') AND relnamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT concat_ws(' ', 'y', t.oid::regtype, t.typtype, e.enumsortorder, e.enumlabel)
    FROM pg_type t LEFT JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE t.typnamespace IN (SELECT oid FROM ns) AND t.typtype <> 'c'
    UNION ALL
    SELECT concat_ws(' ', 's', seqrelid::regclass, seqtypid, seqstart, seqincrement, seqmax,
                     seqmin, seqcache, seqcycle)
    FROM pg_sequence
    UNION ALL
    SELECT concat_ws(' ', 'r', schemaname, tablename, rulename, definition)
    FROM pg_rules WHERE schemaname <> 'pg_catalog'
    UNION ALL
    SELECT concat_ws(' ', 'p', polrelid::regclass, polname) FROM pg_policy
    UNION ALL
    SELECT 'x ' || extname || ' ' || extversion FROM pg_extension
    UNION ALL
    SELECT 'e ' || evtname FROM pg_event_trigger
    UNION ALL
    SELECT concat_ws(' ', 'g', setrole, setconfig::text) FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
    UNION ALL
    SELECT 'l ' || count(*) FROM pg_largeobject_metadata
) AS shape(x)
"""

_SEQUENCES = """
SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename)
FROM pg_sequences ORDER BY 1
"""

# Table → (its oid, rows written): a table dropped and created again under the same name
# (a restore) is another table, written to whatever its counter says.
Writes = dict[str, tuple[int, int]]


def _conninfo(url: str) -> str:
    """The libpq URI of a SQLAlchemy ``postgresql+psycopg`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class SchemaChanged(Exception):
    """The test changed the base's schema: it cannot be reset by putting rows back."""


class Pristine:
    """What a template database holds, read once per process from a fresh copy: the rows
    of each of its tables (binary COPY, in their stored order) and the state of every
    sequence.

    :meth:`reset` puts a base a test has used back into exactly that state. The tables the
    test wrote to are those whose count of rows written (:data:`_WRITES`) moved since the
    base was handed out; a system catalog among them means the schema changed: the base is
    reused only if it is the template's again once the guard triggers an issuing installs
    are removed (:meth:`_schema_back`). Their rows are deleted, the dead rows vacuumed away
    (the table does not grow test after test) and the template's rows copied back in their
    stored order; every sequence is set back. Foreign-key checks and
    triggers are off while rows are deleted and copied back (``session_replication_role
    = replica``: the template's own rows, checked when it was built; the issued-invoice
    guard refuses to delete issued invoices)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.tables = sorted(t for catalog, t, _oid, _n in conn.execute(_WRITES) if not catalog)
        self.rows: dict[str, bytes] = {}
        for table in self.tables:
            if conn.execute(f"SELECT EXISTS (SELECT FROM {table})").fetchone() != (True,):
                continue
            data = bytearray()
            with conn.cursor().copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    data += chunk
            self.rows[table] = bytes(data)
        names = [name for (name,) in conn.execute(_SEQUENCES)]
        self.sequence_states = " UNION ALL ".join(
            f"SELECT '{name}', last_value, is_called FROM {name}" for name in names
        )
        self.sequences = self._sequences(conn)
        self.shape = self._shape(conn)
        self.guards = self._guards(conn)

    @staticmethod
    def _shape(conn: psycopg.Connection) -> str:
        row = conn.execute(_SHAPE).fetchone()
        return str(row[0]) if row else ""

    @staticmethod
    def _guards(conn: psycopg.Connection) -> list[tuple[str, str]]:
        """The issued-document guard triggers (app/billing/pg_triggers.py) installed: the
        first issuing on a base installs them."""
        return list(
            conn.execute(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE tgname = ANY(%s)",
                [list(pg_triggers.TRIGGERS)],
            )
        )

    def _schema_back(self, conn: psycopg.Connection) -> None:
        """After a test wrote to the system catalogs: the guard triggers the template does
        not have, installed by an issuing, are removed (with their functions); then the
        schema must be the template's, else :class:`SchemaChanged` (nothing changed)."""
        with conn.transaction():
            added = [guard for guard in self._guards(conn) if guard not in self.guards]
            for name, table in added:
                conn.execute(f"DROP TRIGGER {name} ON {table}")
            if added and not self.guards:
                for function in pg_triggers.FUNCTIONS:
                    conn.execute(f"DROP FUNCTION IF EXISTS {function}()")
            if self._shape(conn) != self.shape:
                raise SchemaChanged

    @staticmethod
    def usable(conn: psycopg.Connection) -> bool:
        """The server counts the rows written (``track_counts``, on by default) and the
        session may turn triggers off (a superuser: the test cluster's owner)."""
        row = conn.execute(
            "SELECT current_setting('track_counts') = 'on', rolsuper FROM pg_roles "
            "WHERE rolname = current_user"
        ).fetchone()
        return row == (True, True)

    @staticmethod
    def writes(conn: psycopg.Connection) -> Writes:
        """The rows written so far per table (an autocommit session: fresh figures)."""
        return {table: (oid, n) for _catalog, table, oid, n in conn.execute(_WRITES)}

    def reset(self, conn: psycopg.Connection, before: Writes) -> Writes:
        """Put the base of ``conn`` (an autocommit session, the only one connected) back
        into the template's state; ``before``: :meth:`writes` when it was handed out.
        Returns :meth:`writes` now. :class:`SchemaChanged` (nothing changed) if the test
        changed its schema."""
        after = self.writes(conn)
        moved = [table for table, n in after.items() if before.get(table) != n]
        if set(before) != set(after) or any(t.startswith("pg_catalog.") for t in moved):
            self._schema_back(conn)
            moved = [table for table in moved if not table.startswith("pg_catalog.")]
        if moved:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '10s'")
                conn.execute("SET LOCAL session_replication_role = replica")
                for table in moved:
                    conn.execute(f"DELETE FROM {table}")
            conn.execute(f"VACUUM {', '.join(moved)}")
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            for table in moved:
                if table in self.rows:
                    with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
                        copy.write(self.rows[table])
            self._sequences_back(conn)
        conn.execute("SELECT pg_stat_force_next_flush()")  # its own writes, published now
        return self.writes(conn)

    def _sequences(self, conn: psycopg.Connection) -> list[tuple[str, int, bool]]:
        return list(conn.execute(self.sequence_states)) if self.sequence_states else []

    def _sequences_back(self, conn: psycopg.Connection) -> None:
        now = set(self._sequences(conn))
        moved = [sequence for sequence in self.sequences if sequence not in now]
        if moved:
            conn.execute(
                "SELECT "
                + ", ".join(f"setval('{name}', {last}, {called})" for name, last, called in moved)
            )


class PgTemplates:
    """The template databases of the run and the copies this process makes from them."""

    def __init__(self, folder: Path, run: str, sqlite_demo: Callable[[], Path]) -> None:
        self.folder = folder  # the run's, shared by the workers
        self.sqlite_demo = sqlite_demo  # a copy of the run's SQLite demo base
        self.admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
        self.run = f"propreo_r{run}"
        self.prefix = f"{self.run}_{uuid.uuid4().hex[:6]}"  # this process's databases
        self.reuse = os.environ.get("PROPREO_TEST_PG_FRESH") != "1"
        self.pristine: dict[str, Pristine] = {}  # per template kind
        self.spare: dict[str, list[str]] = {}  # reset bases ready for the next test
        self.kind_of: dict[str, str] = {}  # the bases handed out
        self.writes: dict[str, Writes] = {}  # base → its rows written when handed out

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
            else:
                from app.setup import prepare_database

                prepare_database(self.url(name), files_dir=folder / "files").db.dispose()
            # Each table rewritten without the dead rows its building left (those no other
            # transaction still sees): its rows from the first page, in their order, as
            # :meth:`Pristine.reset` puts them back.
            with psycopg.connect(_conninfo(self.url(name)), autocommit=True) as conn:
                tables = [t for catalog, t, _oid, _n in conn.execute(_WRITES) if not catalog]
                conn.execute(f"VACUUM FULL {', '.join(tables)}")

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

    def _new_name(self) -> str:
        return f"{self.prefix}_{uuid.uuid4().hex[:10]}"

    def clone(self, kind: str, files: Path) -> Database:
        """A base holding exactly the template ``kind``: a reset one given back by an
        earlier test of this process, else a fresh copy of the template."""
        template = self.template(kind)
        spare = self.spare.get(kind)
        if spare:
            name = spare.pop()
        else:
            name = self._new_name()
            self._execute(f"CREATE DATABASE {_quoted(name)} TEMPLATE {_quoted(template)}")
            if self.reuse:
                with psycopg.connect(_conninfo(self.url(name)), autocommit=True) as conn:
                    if kind not in self.pristine and Pristine.usable(conn):
                        self.pristine[kind] = Pristine(conn)
                    self.writes[name] = Pristine.writes(conn)
        self.kind_of[name] = kind
        shutil.copytree(self.folder / template / "files", files, dirs_exist_ok=True)
        db = open_database(self.url(name))
        with db.write() as session:
            session.execute(text("UPDATE file_store SET folder = :f"), {"f": str(files)})
        return db

    def release(self, db: Database) -> None:
        """The test is over: its base is reset for the next test of this process (under a
        new name), or dropped when it cannot be."""
        name = str(db.engine.url.database)
        db.dispose()
        kind = self.kind_of.pop(name, "")
        before = self.writes.pop(name, None)
        if kind in self.pristine and before is not None:
            try:
                self.spare.setdefault(kind, []).append(self._reset(name, kind, before))
                return
            except (SchemaChanged, psycopg.Error, TimeoutError):
                pass
        self._execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")

    def _reset(self, name: str, kind: str, before: Writes) -> str:
        with psycopg.connect(_conninfo(self.url(name)), autocommit=True) as conn:
            # What the test left connected (a pool, a child process) goes, as DROP … FORCE
            # would make it go; its locks with it.
            others = (
                "FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            conn.execute(f"SELECT pg_terminate_backend(pid) {others}")
            _wait_until(lambda: not conn.execute(f"SELECT count(*) {others}").fetchone()[0])
            after = self.pristine[kind].reset(conn, before)
        new = self._new_name()
        self._until_nobody_on(name)
        self._execute(f"ALTER DATABASE {_quoted(name)} RENAME TO {_quoted(new)}")
        self.writes[new] = after
        return new

    def _until_nobody_on(self, name: str) -> None:
        """Wait until no session is connected to ``name`` (a closed session's server
        process leaves a moment after its client)."""
        query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n")
        with self.admin.connect() as conn:
            _wait_until(lambda: not conn.scalar(query, {"n": name}))

    def close(self) -> None:
        self.admin.dispose()


def _wait_until(done: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("sessions still connected")
        time.sleep(0.005)


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
        templates.release(db)


def target_of(db: Database) -> str:
    """What another process passes to ``--db`` to open the same database."""
    if db.path is not None:
        return str(db.path)
    return db.engine.url.render_as_string(hide_password=False)
