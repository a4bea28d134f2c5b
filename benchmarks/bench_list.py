"""Opening and filtering a 100,000-row invoice list, offscreen.

The 4,000-contract reference firm is copied and its invoices are multiplied with raw SQL
(new numbers, same clients, dates and amounts) up to 100,000 rows. Then, as the
« Factures et avoirs » page does: ``app.billing.queries.list_invoices`` (one indexed
query), rows into the ``ui.table.RecordList`` of the invoice columns, window shown and
painted. Filters: a client picked in the combo (SQL, indexed) and search-as-you-type in
the list (one keystroke after another).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_list.py [rows]
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from _common import reference_db, save, working_copy

CONTRACTS = 4000


def _inflate(db: Path, target: int) -> int:
    with sqlite3.connect(db) as conn:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(invoices)") if r[1] != "id"]
        plain = ", ".join(cols)
        copied = ", ".join(
            "number || '/' || :k" if c == "number" else "NULL" if c == "chain_index" else c
            for c in cols
        )
        k = 0
        while (n := conn.execute("SELECT count(*) FROM invoices").fetchone()[0]) < target:
            k += 1
            conn.execute(
                f"INSERT INTO invoices ({plain}) SELECT {copied} FROM invoices "
                f"WHERE number NOT LIKE '%/%' LIMIT :lim",
                {"k": k, "lim": target - n},
            )
        conn.commit()
        return conn.execute("SELECT count(*) FROM invoices").fetchone()[0]


def main(rows: int) -> None:
    ref, _ = reference_db(CONTRACTS)
    db_path = working_copy(ref, "list")
    total = _inflate(db_path, rows)

    t_import = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    from app.billing import queries
    from app.db import open_database
    from ui.billing import INVOICE_COLUMNS
    from ui.table import RecordList

    app = QApplication.instance() or QApplication([])
    t_import = time.perf_counter() - t_import
    db = open_database(str(db_path))
    figures: dict[str, float] = {}

    def query(**kw: object) -> list:
        with db.read() as session:
            return queries.list_invoices(session, **kw)

    t0 = time.perf_counter()
    records = query()
    figures["open_query_s"] = time.perf_counter() - t0
    widget = RecordList(INVOICE_COLUMNS, export_name="factures")
    widget.resize(1200, 800)
    t1 = time.perf_counter()
    widget.set_rows(records)
    widget.show()
    app.processEvents()
    figures["open_view_s"] = time.perf_counter() - t1
    figures["open_total_s"] = time.perf_counter() - t0

    with sqlite3.connect(db_path) as conn:
        client_id = conn.execute(
            "SELECT client_id FROM invoices GROUP BY client_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
    t0 = time.perf_counter()
    widget.set_rows(query(client_id=client_id))
    app.processEvents()
    figures["filter_client_sql_s"] = time.perf_counter() - t0
    widget.set_rows(records)
    app.processEvents()
    keystrokes = []
    typed = ""
    for ch in "RF0001":
        typed += ch
        t0 = time.perf_counter()
        widget.search.setText(typed)
        app.processEvents()
        keystrokes.append(round(time.perf_counter() - t0, 4))
    figures["search_keystroke_max_s"] = max(keystrokes)
    figures["search_keystroke_mean_s"] = sum(keystrokes) / len(keystrokes)
    visible = widget.proxy.rowCount()
    for k, v in figures.items():
        print(f"{k:>26}: {v:.3f}")
    print(f"{total} invoices, {len(records)} listed, {visible} match « {typed} »")
    save(
        "bench_list",
        {
            "rows": total,
            "listed": len(records),
            "qt_import_s": round(t_import, 3),
            "figures": {k: round(v, 4) for k, v in figures.items()},
            "keystrokes_s": keystrokes,
            "search_matches": visible,
            "target_open_s": 0.3,
        },
    )
    db.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
