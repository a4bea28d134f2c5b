"""Month-end run (create + issue) of the reference firm, against the raw-sqlite3 floor.

For each size N (default 1,000 / 4,000 / 16,000 contracts) the reference firm of
``propreo init --demo --contracts N`` is built once (cached), copied, and
``propreo billing run --period 2026-09 --validate`` is timed as a separate process
(interpreter start, imports, run, issue, commit). The rows the run wrote are then
inserted into a second copy of the same database by a bare Python process using only
``sqlite3`` (one transaction, ``executemany``): that is the floor. Wall and CPU time are
both reported; on a shared machine the CPU time is the stable figure.

    python benchmarks/bench_run.py [--previous TREE] [N ...]

``--previous TREE``: also time the engine of another source tree (e.g. ``git archive`` of
an earlier commit) on a third copy of the same firm, in the same minute, for the ratio.
"""

from __future__ import annotations

import pickle
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import itertools

from _common import CACHE, PYTHON, reference_db, save, timed_child, working_copy

PERIOD = "2026-09"


def _max_rowids(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            t: conn.execute(f'SELECT coalesce(max(rowid), 0) FROM "{t}"').fetchone()[0]
            for t in tables
        }


def _new_rows(
    db: Path, before: dict[str, int]
) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    out = {}
    with sqlite3.connect(db) as conn:
        for table, last in before.items():
            cur = conn.execute(f'SELECT * FROM "{table}" WHERE rowid > ? ORDER BY rowid', (last,))
            rows = cur.fetchall()
            if rows:
                out[table] = ([d[0] for d in cur.description], rows)
    return out


def floor_child(dump: str, db: str) -> None:
    """Child process: insert the dumped rows with nothing but sqlite3."""
    t0 = time.perf_counter()
    data = pickle.loads(Path(dump).read_bytes())
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN IMMEDIATE")
    # As the engine does: invoices written as drafts with their lines, then issued (the
    # schema's triggers forbid adding lines to an issued document).
    order = sorted(data, key=lambda t: t != "invoices")
    final: list[tuple[str, int]] = []
    for table in order:
        columns, rows = data[table]
        if table == "invoices":
            s, i = columns.index("status"), columns.index("id")
            final = [(r[s], r[i]) for r in rows]
            rows = [(*r[:s], "draft", *r[s + 1 :]) for r in rows]
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
    conn.executemany("UPDATE invoices SET status = ? WHERE id = ?", final)
    conn.execute("COMMIT")
    conn.close()
    print(f"{time.perf_counter() - t0:.4f}")


def _run_args(db: Path) -> list[str]:
    return [PYTHON, "-m", "app", "--db", str(db), "billing", "run", "--period", PERIOD]


def measure(n: int, previous: Path | None = None) -> dict[str, Any]:
    ref, build = reference_db(n)
    extra: dict[str, Any] = {}
    if previous is not None:
        old = working_copy(ref, f"previous-{n}", tree=previous)
        p_wall, p_cpu, _ = timed_child([*_run_args(old), "--validate", "--json"], cwd=previous)
        extra = {"previous_wall_s": round(p_wall, 3), "previous_cpu_s": round(p_cpu, 3)}
    work = working_copy(ref, f"run-{n}")
    before = _max_rowids(work)
    wall, cpu, done = timed_child([*_run_args(work), "--validate", "--json"])
    if extra:
        extra["speedup_cpu"] = round(extra["previous_cpu_s"] / cpu, 2)
        extra["speedup_wall"] = round(extra["previous_wall_s"] / wall, 2)
    peak_mb = done.peak_rss_mb  # type: ignore[attr-defined]
    import json

    out = json.loads(done.stdout.strip().splitlines()[-1])
    rows = _new_rows(work, before)
    dump = CACHE / "work" / f"rows-{n}.pickle"
    dump.write_bytes(pickle.dumps(rows))
    floor_db = working_copy(ref, f"floor-{n}")
    f_wall, f_cpu, f_done = timed_child([PYTHON, __file__, "--floor", str(dump), str(floor_db)])
    f_insert = float(f_done.stdout.strip())
    return {
        "contracts": n,
        "reference_build_wall_s": round(build["wall_s"], 2),
        "reference_build_cpu_s": round(build["cpu_s"], 2),
        "invoices_created": out["created"],
        "invoices_issued": out["issued"],
        "rows_written": {t: len(r[1]) for t, r in rows.items()},
        "run_wall_s": round(wall, 3),
        "run_cpu_s": round(cpu, 3),
        "run_peak_rss_mb": round(peak_mb),
        "floor_wall_s": round(f_wall, 3),
        "floor_cpu_s": round(f_cpu, 3),
        "floor_insert_only_s": round(f_insert, 3),
        "ratio_wall": round(wall / f_wall, 1),
        "ratio_cpu": round(cpu / f_cpu, 1),
        **extra,
    }


def main(sizes: list[int], previous: Path | None = None) -> None:
    results = []
    for n in sizes:
        r = measure(n, previous)
        results.append(r)
        print(
            f"N={n:>6}: {r['invoices_issued']} invoices — run {r['run_wall_s']:.2f} s wall "
            f"({r['run_cpu_s']:.2f} s CPU); floor {r['floor_wall_s']:.2f} s wall "
            f"({r['floor_cpu_s']:.2f} s CPU, insert alone {r['floor_insert_only_s']:.3f} s); "
            f"ratio {r['ratio_wall']}× wall, {r['ratio_cpu']}× CPU"
            + (
                f"; previous engine {r['previous_wall_s']:.2f} s wall "
                f"({r['previous_cpu_s']:.2f} s CPU): ×{r['speedup_cpu']} CPU"
                if previous
                else ""
            )
        )
    growth = []
    for a, b in itertools.pairwise(results):
        g = {
            "from": a["contracts"],
            "to": b["contracts"],
            "size_ratio": b["contracts"] / a["contracts"],
            "cpu_ratio": round(b["run_cpu_s"] / a["run_cpu_s"], 2),
            "per_invoice_cpu_ratio": round(
                (b["run_cpu_s"] / b["invoices_issued"]) / (a["run_cpu_s"] / a["invoices_issued"]), 2
            ),
        }
        growth.append(g)
        print(
            f"growth {g['from']} → {g['to']} (×{g['size_ratio']:.0f}): CPU ×{g['cpu_ratio']}, per invoice ×{g['per_invoice_cpu_ratio']}"
        )
    save(
        "bench_run",
        {
            "results": results,
            "growth": growth,
            "previous_engine": str(previous) if previous else None,
            "targets": {"run_4000_s": 2.0, "floor_ratio": 15},
        },
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--floor":
        floor_child(sys.argv[2], sys.argv[3])
    else:
        args = sys.argv[1:]
        tree = None
        if args[:1] == ["--previous"]:
            tree, args = Path(args[1]).resolve(), args[2:]
        main([int(a) for a in args] or [1000, 4000, 16000], tree)
