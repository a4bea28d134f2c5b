"""Memory (and speed) of a month-end WITH its documents: the 4,000-contract firm's run of
September 2026, then the Factur-X PDFs of every invoice of the month rendered, validated
and archived exactly as the application does it (``app.documents.render.render_batch``,
the code behind « Documents → Générer » and ``propreo documents export``).

Each step runs in a new process on a fresh copy of the reference firm:

1. ``propreo billing run --period 2026-09 --validate`` — peak RSS of that process;
2. a driver process calls ``render_batch`` over the month's invoices (pool of one worker
   per core), then reports its own peak RSS (``getrusage``) and, before stopping the
   pool, each worker's peak (``VmHWM`` in ``/proc/<pid>/status``), the documents/s of
   the batch (wall, reading + rendering + archiving) and the CPU time of every process.

    python benchmarks/bench_memory.py [contracts]      # default 4000
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import PYTHON, ROOT, reference_db, save, timed_child, working_copy

PERIOD = "2026-09"
TARGET_MB = 400


def _peak_kb(pid: int) -> int:
    """Peak resident set of a live process (``VmHWM``), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def driver(db_path: str) -> None:
    """Child process: the render batch as the application runs it; prints JSON."""
    from app import startup
    from app.db import open_database
    from app.documents import render

    startup.install()  # the invoice guard and the client account's sources

    db = open_database(db_path)
    with db.read() as session:
        ids = render.issued_in_period(session, PERIOD)
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    with db.read() as session:
        result = render.render_batch(session, ids)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    pool = render._pool
    workers = list(pool._processes.values()) if pool is not None else []  # type: ignore[union-attr]
    worker_peaks = {p.pid: _peak_kb(p.pid) for p in workers}
    worker_cpu = 0.0
    for p in workers:
        fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        worker_cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    render.shutdown_pool()
    sizes = [len(d.pdf) for d in result.documents if d.pdf]
    print(
        json.dumps(
            {
                "documents": len(result.documents),
                "failures": len(result.failures),
                "archived": sum(1 for d in result.documents if d.pdf and not d.from_archive),
                "batch_wall_s": round(wall, 2),
                "main_cpu_s": round(
                    (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
                ),
                "workers_cpu_s": round(worker_cpu, 2),
                "main_peak_rss_mb": round(after.ru_maxrss / 1024),
                "worker_peak_rss_mb": sorted(round(kb / 1024) for kb in worker_peaks.values()),
                "pdf_mean_kb": round(sum(sizes) / max(len(sizes), 1) / 1024, 1),
            }
        )
    )
    db.dispose()


def main(contracts: int) -> None:
    ref, _ = reference_db(contracts)
    db = working_copy(ref, f"memory-{contracts}")
    wall, cpu, _done = timed_child(
        [PYTHON, "-m", "app", "--db", str(db), "billing", "run", "--period", PERIOD, "--validate"]
    )
    run_peak_mb = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    t0 = time.perf_counter()
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--driver", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    batch: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    batch["process_wall_s"] = round(time.perf_counter() - t0, 2)
    workers_sum = sum(batch["worker_peak_rss_mb"])
    total = batch["main_peak_rss_mb"] + workers_sum
    per_s = batch["documents"] / batch["batch_wall_s"]
    cores = os.cpu_count() or 1
    print(
        f"run of {contracts} contracts: {wall:.1f} s wall, {cpu:.1f} s CPU, peak {run_peak_mb} MB"
    )
    print(
        f"documents: {batch['documents']} rendered + validated + archived "
        f"({batch['failures']} refused) in {batch['batch_wall_s']:.1f} s = {per_s:.1f}/s "
        f"({per_s / cores:.1f} per core); CPU main {batch['main_cpu_s']} s, "
        f"workers {batch['workers_cpu_s']} s"
    )
    print(
        f"peak RSS: main {batch['main_peak_rss_mb']} MB + workers "
        f"{' + '.join(str(m) for m in batch['worker_peak_rss_mb'])} MB = {total} MB "
        f"(target < {TARGET_MB} MB)"
    )
    save(
        "bench_memory",
        {
            "contracts": contracts,
            "period": PERIOD,
            "run_wall_s": round(wall, 2),
            "run_cpu_s": round(cpu, 2),
            "run_peak_rss_mb": run_peak_mb,
            "batch": batch,
            "documents_per_s": round(per_s, 1),
            "documents_per_s_per_core": round(per_s / cores, 1),
            "workers_peak_sum_mb": workers_sum,
            "with_documents_peak_total_mb": total,
            "target_mb": TARGET_MB,
        },
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--driver":
        driver(sys.argv[2])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
