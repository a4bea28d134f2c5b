"""Month-end run of the reference firm on PostgreSQL beside SQLite: the same firm, the
same command, the same minute.

For each size N (default 1,000 and 4,000 contracts; 0: the plain demo firm) the cached
reference firm of ``propreo init --demo --contracts N`` (SQLite) is copied, and moved to a fresh PostgreSQL
database with ``propreo transfer`` (untimed). ``propreo billing run --period 2026-09
--validate --json`` is then timed as a separate process on each (interpreter start,
imports, run, issue, commit), alternately, ``REPEAT`` times each; the median is kept.
The CPU time is the client's only (the PostgreSQL server works in its own processes):
compare the wall times.

    PROPREO_BENCH_PG_URL=postgresql+psycopg://propreo@/propreo?host=/tmp/pg \\
        python benchmarks/bench_engines.py [N ...]

(``installer/linux/pg-test-cluster.sh start DIR`` prints such a URL: a private cluster
with fsync off, as a test server; a production server with fsync on pays a little more
per commit, and the run commits once.)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CACHE, PYTHON, reference_db, save, timed_child, working_copy

PERIOD = "2026-09"
REPEAT = 3


def _pg_admin_url() -> str:
    url = os.environ.get("PROPREO_BENCH_PG_URL") or os.environ.get("PROPREO_TEST_PG_URL")
    if not url:
        raise SystemExit("PROPREO_BENCH_PG_URL (ou PROPREO_TEST_PG_URL) non défini")
    return url


def _fresh_pg(admin_url: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def _run(target: str) -> tuple[float, float, dict[str, Any]]:
    args = [PYTHON, "-m", "app", "--db", target, "billing", "run", "--period", PERIOD]
    wall, cpu, done = timed_child([*args, "--validate", "--json"])
    return wall, cpu, json.loads(done.stdout.strip().splitlines()[-1])


def _demo_db() -> Path:
    """The plain demo firm (``init --demo``), for ``N = 0``."""
    path = CACHE / "ref-demo" / "propreo.db"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        timed_child(
            [PYTHON, "-m", "app", "--db", str(path), "init", "--demo", "--as-of", "2026-09-01"]
        )
    return path


def measure(n: int, admin_url: str) -> dict[str, Any]:
    ref = reference_db(n)[0] if n else _demo_db()
    walls: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    cpus: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    issued: dict[str, int] = {}
    for i in range(REPEAT):
        sqlite_db = working_copy(ref, f"engines-{n}-{i}")
        pg_url = _fresh_pg(admin_url)
        try:
            timed_child(
                [
                    PYTHON,
                    "-m",
                    "app",
                    "--db",
                    str(sqlite_db),
                    "transfer",
                    "--to",
                    pg_url,
                    "--files",
                    str(CACHE / "work" / f"engines-{n}-{i}-pgfiles"),
                    "--yes",
                ]
            )
            for engine, target in (("sqlite", str(sqlite_db)), ("postgresql", pg_url)):
                wall, cpu, out = _run(target)
                walls[engine].append(wall)
                cpus[engine].append(cpu)
                issued[engine] = out["issued"]
        finally:
            _drop_pg(admin_url, pg_url)
    if issued["sqlite"] != issued["postgresql"]:
        raise RuntimeError(f"not the same run: {issued}")
    sqlite_wall = statistics.median(walls["sqlite"])
    pg_wall = statistics.median(walls["postgresql"])
    return {
        "contracts": n,
        "invoices_issued": issued["sqlite"],
        "sqlite_wall_s": round(sqlite_wall, 3),
        "sqlite_cpu_s": round(statistics.median(cpus["sqlite"]), 3),
        "postgresql_wall_s": round(pg_wall, 3),
        "postgresql_client_cpu_s": round(statistics.median(cpus["postgresql"]), 3),
        "ratio_wall_pg_over_sqlite": round(pg_wall / sqlite_wall, 2),
        "walls": walls,
    }


def main(sizes: list[int]) -> None:
    admin_url = _pg_admin_url()
    results = []
    for n in sizes:
        r = measure(n, admin_url)
        results.append(r)
        print(
            f"N={n:>6}: {r['invoices_issued']} invoices — SQLite {r['sqlite_wall_s']:.2f} s wall, "
            f"PostgreSQL {r['postgresql_wall_s']:.2f} s wall "
            f"(client {r['postgresql_client_cpu_s']:.2f} s CPU): ×{r['ratio_wall_pg_over_sqlite']}"
        )
    save("bench_engines", {"results": results, "repeat": REPEAT, "period": PERIOD})


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 4000])
