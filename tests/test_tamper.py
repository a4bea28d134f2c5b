"""Tamper evidence: any single-field change made directly in SQLite to an issued document
(invoice or one of its lines) is detected by ``check``, which names the document."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.billing.chain import INVOICE_FIELDS_V2, LINE_FIELDS_V2
from app.billing.runs import issue_period, run_month
from app.check import run_checks
from app.db import open_database
from tests import billing_fixtures as bf

# Every field the hash covers, the hash itself and the status (an issued document must not
# quietly become a draft again).
INVOICE_TARGETS = (*INVOICE_FIELDS_V2, "content_hash", "status")
LINE_TARGETS = (*LINE_FIELDS_V2, "invoice_id")


@pytest.fixture(scope="module")
def issued_file(tmp_path_factory: pytest.TempPathFactory, empty_db_file: Path) -> Path:
    """Six issued invoices (one contract, January to June), several lines each."""
    path = tmp_path_factory.mktemp("tamper") / "issued.db"
    shutil.copyfile(empty_db_file, path)
    db = open_database(path)
    with db.write() as s:
        bf.firm(s)
        bf.three_line_contract(s, bf.client(s))
    for period in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"):
        with db.write() as s:
            run_month(s, period)
            issue_period(s, period)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert run_checks(db).ok
    db.dispose()
    return path


def _different(raw: object, draw: st.DrawFn) -> object:
    """A value of the same storage kind as ``raw`` but different from it."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        delta = draw(st.integers(-(10**9), 10**9).filter(lambda d: d != 0))
        return raw + delta
    if isinstance(raw, str):
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            day = None
        if day is not None:
            shift = draw(st.integers(-3000, 3000).filter(lambda d: d != 0))
            return (day + dt.timedelta(days=shift)).isoformat()
        try:  # a timestamp (issued_at): moved by some seconds, still a timestamp
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            moment = None
        if moment is not None:
            shift = draw(st.integers(-(10**6), 10**6).filter(lambda d: d != 0))
            return str(moment + dt.timedelta(seconds=shift))
        if raw.startswith("{"):
            data = json.loads(raw)
            key = draw(st.sampled_from(sorted(data)))
            data[key] = draw(st.text(max_size=20).filter(lambda t: t != data[key]))
            return json.dumps(data, ensure_ascii=False, sort_keys=True)
        return draw(st.text(max_size=40).filter(lambda t: t != raw))
    # NULL column: give it a value.
    return draw(st.one_of(st.integers(1, 10**6), st.text(min_size=1, max_size=20)))


@st.composite
def tampering(draw: st.DrawFn) -> tuple[str, str, int]:
    table = draw(st.sampled_from(["invoices", "invoice_lines"]))
    field = draw(st.sampled_from(INVOICE_TARGETS if table == "invoices" else LINE_TARGETS))
    row = draw(st.integers(0, 10_000))
    return table, field, row


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(change=tampering(), data=st.data())
def test_any_single_field_change_is_detected_naming_the_document(
    issued_file: Path, tmp_path: Path, change: tuple[str, str, int], data: st.DataObject
) -> None:
    table, field, row = change
    path = tmp_path / f"t-{table}-{field}-{row}.db"
    shutil.copyfile(issued_file, path)
    con = sqlite3.connect(path)
    for (trigger,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'"):
        con.execute(f"DROP TRIGGER {trigger}")
    count = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    order = "chain_index" if table == "invoices" else "invoice_id, position"
    rid, raw = con.execute(
        f"SELECT id, {field} FROM {table} ORDER BY {order} LIMIT 1 OFFSET ?", (row % count,)
    ).fetchone()
    invoice_id = (
        rid
        if table == "invoices"
        else con.execute("SELECT invoice_id FROM invoice_lines WHERE id = ?", (rid,)).fetchone()[0]
    )
    new = _different(raw, data.draw)
    con.execute(f"UPDATE {table} SET {field} = ? WHERE id = ?", (new, rid))
    con.commit()
    # The document as check knows it after the change (its number may be the changed field).
    number = con.execute("SELECT number FROM invoices WHERE id = ?", (invoice_id,)).fetchone()[0]
    con.close()

    db = open_database(path)
    try:
        report = run_checks(db)
    finally:
        db.dispose()
    assert not report.ok, f"{table}.{field} {raw!r} → {new!r} non détecté"
    text = "\n".join(report.problems)
    if field in ("chain_index", "invoice_id"):
        # Moving a document or a line in the chain breaks it at the first place out of order.
        assert "Facture FA2026-" in text or "FA2026-" in text, text
    else:
        assert str(number) in text, f"{table}.{field} : {text}"
