"""Round-trip safeguard: snapshot every row of every table, diff two snapshots.

An editor that opens a stored record and saves it untouched must not change any column of
any row; with one field changed, only that column may change. Use it as::

    from tests.roundtrip import snapshot, assert_unchanged, assert_only

    before = snapshot(db)
    editor.load(record_id)
    editor.save()
    assert_unchanged(db, before)             # nothing written at all

    before = snapshot(db)
    editor.form.widget("phone").setText("01 02 03 04 05")
    editor.save()
    assert_only(db, before, {("clients", "phone")})   # + the audit trail of that change

Timestamps a save legitimately refreshes (``updated_at``) and the audit trail are allowed
only when a field really changed (``assert_only``); an untouched save should write nothing,
so ``assert_unchanged`` allows nothing unless told (``allow=``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, inspect, select

from app.db import Database

Key = tuple[Any, ...]
Rows = dict[str, dict[Key, dict[str, Any]]]

# Columns a real change legitimately rewrites, and tables written as a trail of changes.
TIMESTAMP_COLUMNS = frozenset({"updated_at"})
TRAIL_TABLES = frozenset({"audit_events"})
ADDED = "<ligne ajoutée>"
REMOVED = "<ligne supprimée>"


@dataclass(frozen=True)
class Change:
    table: str
    key: Key
    column: str  # ADDED / REMOVED for a whole row
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.table}{list(self.key)}.{self.column}: {self.old!r} -> {self.new!r}"


_REFLECTED: dict[tuple[str, tuple[str, ...]], MetaData] = {}


def _tables(db: Database) -> MetaData:
    """The reflected schema, once per set of tables (every copy of the demo shares it)."""
    key = (db.engine.dialect.name, tuple(sorted(inspect(db.engine).get_table_names())))
    if key not in _REFLECTED:
        meta = MetaData()
        meta.reflect(bind=db.engine)
        _REFLECTED[key] = meta
    return _REFLECTED[key]


def snapshot(db: Database) -> Rows:
    """Every row of every table (reflected: tables of the migrations, not only the models),
    keyed by primary key (or the whole row for a table without one), raw stored values."""
    meta = _tables(db)
    rows: Rows = {}
    with db.engine.connect() as conn:
        for table in meta.sorted_tables:
            pk = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
            by_key: dict[Key, dict[str, Any]] = {}
            for row in conn.execute(select(table)).mappings():
                by_key[tuple(row[c] for c in pk)] = dict(row)
            rows[table.name] = by_key
    return rows


def changes(before: Rows, after: Rows) -> list[Change]:
    """Every column that differs, every row added or removed, table by table."""
    found: list[Change] = []
    for table in sorted(set(before) | set(after)):
        old_rows, new_rows = before.get(table, {}), after.get(table, {})
        for key in old_rows.keys() - new_rows.keys():
            found.append(Change(table, key, REMOVED, old_rows[key], None))
        for key in new_rows.keys() - old_rows.keys():
            found.append(Change(table, key, ADDED, None, new_rows[key]))
        for key in old_rows.keys() & new_rows.keys():
            old, new = old_rows[key], new_rows[key]
            for column in sorted(set(old) | set(new)):
                if old.get(column) != new.get(column):
                    found.append(Change(table, key, column, old.get(column), new.get(column)))
    return found


def _allowed(change: Change, allow: Iterable[tuple[str, str]]) -> bool:
    """``allow`` holds (table, column) pairs; column "*" allows any column of the table,
    including added and removed rows."""
    return any(change.table == table and column in ("*", change.column) for table, column in allow)


def _report(unexpected: list[Change]) -> str:
    lines = [str(c) for c in unexpected[:40]]
    if len(unexpected) > 40:
        lines.append(f"… et {len(unexpected) - 40} autres")
    return "\n".join(lines)


def assert_unchanged(db: Database, before: Rows, *, allow: Iterable[tuple[str, str]] = ()) -> None:
    """No column of any row changed since ``before`` (except the ``allow`` pairs)."""
    allow = list(allow)
    unexpected = [c for c in changes(before, snapshot(db)) if not _allowed(c, allow)]
    assert not unexpected, "un enregistrement sans modification a écrit :\n" + _report(unexpected)


def assert_only(
    db: Database,
    before: Rows,
    expected: set[tuple[str, str]],
    *,
    allow: Iterable[tuple[str, str]] = (),
) -> list[Change]:
    """Exactly the ``expected`` (table, column) pairs changed (each at least once), plus
    the timestamps and audit trail such a change writes, plus ``allow``. Returns the
    changes of the expected columns (to check their new values)."""
    found = changes(before, snapshot(db))
    allow = [
        *allow,
        *((t, "*") for t in TRAIL_TABLES),
        *((t, c) for t, _ in expected for c in TIMESTAMP_COLUMNS),
    ]
    wanted = [c for c in found if (c.table, c.column) in expected]
    unexpected = [
        c for c in found if (c.table, c.column) not in expected and not _allowed(c, allow)
    ]
    assert not unexpected, "colonnes modifiées en trop :\n" + _report(unexpected)
    missing = expected - {(c.table, c.column) for c in wanted}
    assert not missing, f"colonnes qui auraient dû changer : {sorted(missing)}"
    return wanted
