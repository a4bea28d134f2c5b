"""Opening and filtering a 100,000-row invoice list, offscreen.

The 4,000-contract reference firm is copied and its invoices are multiplied with raw SQL
(new numbers, same clients, dates and amounts) up to 100,000 rows. Then, as the
« Factures et avoirs » page does: ``app.billing.invoice_list`` and the list of the invoice
columns, window shown and painted. Filters: a client picked in the combo (SQL, indexed),
search-as-you-type (one keystroke after another), header sorts, the next page.

Measured twice in the same run, so under the same load: *before*, every row read and held
by ``ui.table.RecordList`` (search and sort in Python); *after*, the paged
``ui.lazy_table.PagedRecordList`` the tab now uses (one COUNT and one 200-row page per
change, search / filters / sort in SQL).

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


def _timed(fn: object) -> tuple[float, float]:
    """(wall, CPU of this process) seconds of ``fn()``."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - w0, time.process_time() - c0


def main(rows: int, *, legacy: bool = True) -> None:
    ref, _ = reference_db(CONTRACTS)
    db_path = working_copy(ref, "list")
    total = _inflate(db_path, rows)

    t_import = time.perf_counter()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from app import startup
    from app.billing import invoice_list as queries
    from app.db import open_database
    from ui.billing import INVOICE_COLUMNS, INVOICE_SORT_KEYS
    from ui.lazy_table import PagedRecordList
    from ui.table import RecordList

    startup.install()  # the invoice guard and the client account's sources

    app = QApplication.instance() or QApplication([])
    t_import = time.perf_counter() - t_import
    db = open_database(str(db_path))
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def query(fn: object, **kw: object) -> object:
        with db.read() as session:
            return fn(session, **kw)  # type: ignore[operator]

    with sqlite3.connect(db_path) as conn:
        client_id = conn.execute(
            "SELECT client_id FROM invoices GROUP BY client_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
    query(queries.count_invoices)  # warm the SQLite page cache once, for both lists

    # --- before: every row read and held by ui.table.RecordList (same run, same load) ---
    if legacy:
        old = RecordList(INVOICE_COLUMNS, export_name="factures")
        old.resize(1200, 800)

        def old_open() -> None:
            old.set_rows(query(queries.list_invoices))  # type: ignore[arg-type]
            old.show()
            app.processEvents()

        wall["before_open_s"], cpu["before_open_s"] = _timed(old_open)

        def old_key() -> None:
            old.search.setText("R")
            app.processEvents()

        wall["before_first_keystroke_s"], cpu["before_first_keystroke_s"] = _timed(old_key)
        old.hide()
        old.deleteLater()
        app.processEvents()

    # --- after: ui.lazy_table.PagedRecordList, one COUNT and one page per change ---
    holder: list[PagedRecordList] = []

    def new_open() -> None:
        widget = PagedRecordList(
            INVOICE_COLUMNS,
            INVOICE_SORT_KEYS,
            lambda **kw: query(queries.count_invoices, **kw),
            lambda **kw: query(queries.list_invoices, **kw),
            export_name="factures",
        )
        widget.resize(1200, 800)
        widget.set_filters()
        widget.show()
        app.processEvents()
        holder.append(widget)

    wall["open_s"], cpu["open_s"] = _timed(new_open)
    widget = holder[0]
    listed = widget.model.total

    def step(name: str, fn: object) -> None:
        def run() -> None:
            fn()  # type: ignore[operator]
            app.processEvents()

        wall[name], cpu[name] = _timed(run)

    step("filter_client_s", lambda: widget.set_filters(client_id=client_id))
    step("filter_period_status_s", lambda: widget.set_filters(period="2026-08", status="issued"))
    step("filter_none_s", lambda: widget.set_filters())
    keystrokes: dict[str, list[float]] = {}
    for typed_text in ("RF0001", "FA2026-0012", "Perrin"):
        times = []
        widget.search.clear()
        app.processEvents()
        typed = ""
        for ch in typed_text:
            typed += ch
            w, _c = _timed(lambda t=typed: (widget.search.setText(t), app.processEvents()))
            times.append(round(w, 4))
        keystrokes[typed_text] = times
    matches = widget.model.total
    widget.search.clear()
    app.processEvents()
    header = widget.view.horizontalHeader()
    step("sort_client_s", lambda: header.setSortIndicator(5, Qt.SortOrder.AscendingOrder))
    step("sort_total_ttc_s", lambda: header.setSortIndicator(8, Qt.SortOrder.DescendingOrder))
    step("scroll_to_end_s", lambda: widget.view.scrollToBottom())
    step("next_page_s", lambda: widget.model.fetchMore())
    firsts = [t[0] for t in keystrokes.values()]
    nexts = [x for t in keystrokes.values() for x in t[1:]]
    wall["first_keystroke_max_s"] = max(firsts)
    wall["next_keystrokes_max_s"] = max(nexts)
    wall["next_keystrokes_mean_s"] = sum(nexts) / len(nexts)
    for k, v in wall.items():
        extra = f"   (CPU {cpu[k]:.3f})" if k in cpu else ""
        print(f"{k:>26}: {v:.3f}{extra}")
    for typed_text, times in keystrokes.items():
        print(f"{typed_text:>26}: {times}")
    print(f"{total} invoices, {listed} listed, {matches} match « Perrin »")
    save(
        "bench_list",
        {
            "rows": total,
            "listed": listed,
            "page_size": widget.model.page_size,
            "qt_import_s": round(t_import, 3),
            "figures": {k: round(v, 4) for k, v in wall.items()},
            "cpu_s": {k: round(v, 4) for k, v in cpu.items()},
            "keystrokes_s": keystrokes,
            "search_matches": matches,
            "target_open_s": 0.3,
        },
    )
    db.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
