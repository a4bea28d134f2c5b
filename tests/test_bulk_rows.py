"""app.db.insert_rows / update_rows write exactly what SQLAlchemy's executemany writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
    update,
)

from app.db import Database, insert_rows, open_database, update_rows
from models.base import Money, Quantity, UTCDateTime, utcnow

META = MetaData()
T = Table(
    "bulk_demo",
    META,
    Column("id", Integer, primary_key=True),
    Column("label", String(40), nullable=False, default="sans titre"),
    Column("day", Date),
    Column("amount", Money(), nullable=False, default=Decimal("0.00")),
    Column("quantity", Quantity()),
    Column("note", String(20), nullable=False, server_default="srv"),
    Column("created_at", UTCDateTime(), default=utcnow),
    Column("updated_at", UTCDateTime(), default=utcnow, onupdate=utcnow),
)
ROWS = [
    {"id": 1, "day": dt.date(2026, 9, 30), "amount": Decimal("1234.50"), "quantity": None},
    {"id": 2, "day": None, "amount": Decimal("-0.01"), "quantity": Decimal("2.125")},
    {"id": 3, "day": dt.date(2026, 1, 1), "amount": Decimal("7"), "quantity": Decimal("1")},
]


def _db(path: Path) -> Database:
    db = open_database(path)
    META.create_all(db.engine)
    return db


def _raw(db: Database) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT id, label, day, amount, quantity, note FROM bulk_demo")
        ).all()


def test_insert_rows_stores_what_sqlalchemy_stores(tmp_path: Path) -> None:
    mine, theirs = _db(tmp_path / "a.db"), _db(tmp_path / "b.db")
    before = utcnow()
    with mine.write() as s:
        insert_rows(s, T, [dict(r) for r in ROWS])
    with theirs.write() as s:
        s.execute(insert(T), [dict(r) for r in ROWS])
    assert _raw(mine) == _raw(theirs)
    assert _raw(mine)[0] == (1, "sans titre", "2026-09-30", 123450, None, "srv")
    with mine.read() as s:
        stamps = s.execute(select(T.c.created_at, T.c.updated_at)).all()
        assert all(before <= c <= utcnow() and before <= u for c, u in stamps)
        assert s.scalar(select(T.c.amount).where(T.c.id == 2)) == Decimal("-0.01")
    mine.dispose()
    theirs.dispose()


def test_update_rows_updates_like_a_core_executemany(tmp_path: Path) -> None:
    mine, theirs = _db(tmp_path / "a.db"), _db(tmp_path / "b.db")
    changes = [
        {"id": 3, "label": "trois", "amount": Decimal("3.33")},
        {"id": 1, "label": "un", "amount": Decimal("0.10")},
    ]
    for db in (mine, theirs):
        with db.write() as s:
            insert_rows(s, T, [dict(r) for r in ROWS])
    with mine.write() as s:
        update_rows(s, T, [dict(c) for c in changes])
    with theirs.write() as s:
        s.execute(
            update(T).where(T.c.id == bindparam("_id")),
            [{"_id": c["id"], "label": c["label"], "amount": c["amount"]} for c in changes],
        )
    assert _raw(mine) == _raw(theirs)
    assert [r[1] for r in _raw(mine)] == ["un", "sans titre", "trois"]
    with mine.read() as s:
        created, updated = s.execute(
            select(T.c.created_at, T.c.updated_at).where(T.c.id == 1)
        ).one()
        assert updated > created  # onupdate applied
    mine.dispose()
    theirs.dispose()


def test_bad_values_are_refused_as_by_the_column_type(tmp_path: Path) -> None:
    db = _db(tmp_path / "a.db")
    with pytest.raises(TypeError, match="float refused"), db.write() as s:
        insert_rows(s, T, [{"id": 9, "amount": 1.5}])
    with pytest.raises(ValueError, match="more than 2 decimals"), db.write() as s:
        insert_rows(s, T, [{"id": 9, "amount": Decimal("1.005")}])
    assert _raw(db) == []  # nothing half-written
    db.dispose()


def test_a_named_paramstyle_dialect_gets_dicts_with_the_converted_values() -> None:
    """PostgreSQL (psycopg2, pyformat): the same statement compiled for it, dict rows."""
    from sqlalchemy.dialects.postgresql import psycopg2

    sent: list[tuple[str, object]] = []

    class Conn:
        dialect = psycopg2.dialect()

        def exec_driver_sql(self, sql: str, params: object) -> None:
            sent.append((sql, params))

    class FakeSession:
        def connection(self) -> Conn:
            return Conn()

    insert_rows(FakeSession(), T, [dict(ROWS[0])])  # type: ignore[arg-type]
    sql, params = sent[0]
    assert sql.startswith("INSERT INTO bulk_demo (id, label, day, amount, quantity, created_at")
    assert "%(amount)s" in sql
    (row,) = params  # type: ignore[misc]
    assert row["amount"] == 123450 and row["quantity"] is None and row["label"] == "sans titre"
    assert row["day"] == dt.date(2026, 9, 30)  # the driver adapts dates itself


def test_paused_gc_restores_the_collector_even_on_error() -> None:
    import gc

    from app.db import paused_gc

    assert gc.isenabled()

    @paused_gc()
    def bulk() -> bool:
        with paused_gc():  # nested: stays paused, outer state restored at the end
            pass
        return gc.isenabled()

    assert bulk() is False and gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # was off before: left off
    finally:
        gc.enable()
