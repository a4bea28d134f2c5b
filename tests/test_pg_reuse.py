"""The PostgreSQL pass hands each test a base given back by an earlier test and reset
(tests/pg.py, ``Pristine``) instead of a fresh copy of the template: that base must be the
template itself — every row, in its order, every sequence, the schema — whatever
the earlier test did to it; and a base whose schema a test changed is never handed out
again."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from app.billing.runs import issue_period, run_month
from app.db import Database, open_database
from tests import billing_fixtures as bf
from tests.pg import PgTemplates, _conninfo, _quoted

pytestmark = pytest.mark.pg_only

# Everything a test can see of a base: each table's rows in the order a query without
# ORDER BY reads them (a sequential scan), each sequence, the schema. (Not each row's
# place on disk: VACUUM cannot always remove dead rows while another worker's transaction
# is open, in a copy of the template as in a reset base.)
TABLES = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1
"""
SCHEMA = """
SELECT table_name, ordinal_position, column_name, data_type, column_default, is_nullable
FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL SELECT tablename, 0, indexname, indexdef, '', '' FROM pg_indexes
WHERE schemaname = 'public'
UNION ALL SELECT tgrelid::regclass::text, 0, tgname, pg_get_triggerdef(oid), '', ''
FROM pg_trigger WHERE NOT tgisinternal
ORDER BY 1, 2, 3
"""


def _state(templates: PgTemplates, name: str) -> dict[str, object]:
    with psycopg.connect(_conninfo(templates.url(name))) as conn:
        state: dict[str, object] = {"schema": conn.execute(SCHEMA).fetchall()}
        for (table,) in conn.execute(TABLES).fetchall():
            state[table] = conn.execute(f"SELECT t::text FROM {table} AS t").fetchall()
        for (sequence,) in conn.execute(
            "SELECT quote_ident(sequencename) FROM pg_sequences ORDER BY 1"
        ).fetchall():
            state[sequence] = conn.execute(
                f"SELECT last_value, is_called FROM {sequence}"
            ).fetchone()
    return state


UNUSED_DEPARTMENT_DELETED = """
DELETE FROM departments WHERE id = (
    SELECT max(id) FROM departments d
    WHERE NOT EXISTS (SELECT FROM users u WHERE u.department_id = d.id)
      AND NOT EXISTS (SELECT FROM liaison_entries l WHERE l.department_id = d.id)
)
"""


def _fresh_copy(templates: PgTemplates, kind: str, folder: str) -> str:
    """A copy of the template as the pass made one for every test before, with the files
    folder the fixture writes into the copy it hands out."""
    name = f"{templates.prefix}_fresh_{kind}"
    templates._execute(f"DROP DATABASE IF EXISTS {_quoted(name)}")
    templates._execute(
        f"CREATE DATABASE {_quoted(name)} TEMPLATE {_quoted(templates.template(kind))}"
    )
    fresh = open_database(templates.url(name))
    with fresh.write() as s:
        s.execute(text("UPDATE file_store SET folder = :f"), {"f": folder})
    fresh.dispose()
    return name


def _write_everywhere(db: Database, kind: str) -> psycopg.Connection:
    """What tests do to their base: a firm and a contract billed, invoices issued (rows
    the database itself refuses to delete afterwards), a reference row changed and one
    deleted, sequences moved; and a session left open in a transaction, holding locks."""
    period = "2026-03" if kind == "empty" else "2026-10"  # the demo's next month
    with db.write() as s:
        client = bf.client(s, "REUSE")
        if kind == "empty":
            bf.firm(s)
            bf.three_line_contract(s, client)
    with db.write() as s:
        run_month(s, period)
        issue_period(s, period)
    with db.write() as s:
        s.execute(text("UPDATE vat_rates SET label = label || ' modifié'"))
        s.execute(text(UNUSED_DEPARTMENT_DELETED))
        s.execute(text("SELECT nextval(pg_get_serial_sequence('accounts', 'id'))"))
    left_open = psycopg.connect(_conninfo(db.engine.url.render_as_string(hide_password=False)))
    left_open.execute("SELECT pg_advisory_lock(42)")
    left_open.execute("UPDATE accounts SET label = label")  # its transaction stays open
    return left_open


@pytest.mark.parametrize("kind", ["empty", "demo"])
def test_a_base_given_back_is_handed_out_again_exactly_as_the_template(
    pg_templates: PgTemplates, tmp_path: Path, kind: str
) -> None:
    first = pg_templates.clone(kind, tmp_path / "first")
    first_name = str(first.engine.url.database)
    first_oid = _oid(pg_templates, first_name)
    left_open = _write_everywhere(first, kind)
    pg_templates.release(first)
    assert _ended(left_open)

    again = pg_templates.clone(kind, tmp_path / "again")
    name = str(again.engine.url.database)
    try:
        assert _oid(pg_templates, name) == first_oid and name != first_name  # reused, renamed
        with again.read() as s:
            folder = s.execute(text("SELECT folder FROM file_store")).scalar_one()
        again.dispose()
        fresh = _fresh_copy(pg_templates, kind, folder)
        assert _state(pg_templates, name) == _state(pg_templates, fresh)
        pg_templates._execute(f"DROP DATABASE {_quoted(fresh)}")
    finally:
        pg_templates.release(again)


def _oid(templates: PgTemplates, name: str) -> int | None:
    with templates.admin.connect() as conn:
        return conn.scalar(text("SELECT oid FROM pg_database WHERE datname = :n"), {"n": name})


def _ended(conn: psycopg.Connection) -> bool:
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    return False


def test_a_base_whose_schema_a_test_changed_is_dropped_not_handed_out_again(
    pg_templates: PgTemplates, tmp_path: Path
) -> None:
    first = pg_templates.clone("empty", tmp_path / "first")
    first_oid = _oid(pg_templates, str(first.engine.url.database))
    with first.write() as s:
        s.execute(text("ALTER TABLE clients ADD COLUMN extra integer"))
    pg_templates.release(first)
    with pg_templates.admin.connect() as conn:
        oids = set(conn.scalars(text("SELECT oid FROM pg_database")))
    assert first_oid not in oids  # dropped
    again = pg_templates.clone("empty", tmp_path / "again")
    try:
        with again.read() as s:
            columns = s.scalars(
                text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = 'clients'"
                )
            ).all()
        assert "extra" not in columns
    finally:
        pg_templates.release(again)
