"""Shared helpers of the benchmark scripts: machine description, reference databases, JSON."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CACHE = Path(os.environ.get("PROPREO_BENCH_CACHE", "/tmp/propreo-bench"))
PYTHON = sys.executable


def machine() -> dict[str, Any]:
    """Cores, RAM, disk, Python and SQLite versions, load at the time of the measure."""
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    disk = shutil.disk_usage(CACHE if CACHE.exists() else "/")
    return {
        "cpus": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "disk_free_gb": round(disk.free / 1e9, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def save(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S"), **payload}
    payload.setdefault("machine", machine())
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"→ {path.relative_to(ROOT)}")
    return path


def timed_child(
    args: list[str], cwd: Path = ROOT, **kw: Any
) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the child, result) — process start included.

    ``cwd``: the source tree whose ``app`` package ``python -m app`` runs. The child's own
    resource usage comes from ``wait4`` (not the running total of every child), and its
    peak memory is set on the result as ``peak_rss_mb``."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err, **kw)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(
            args, proc.returncode, out.read().decode(), err.read().decode()
        )
    cpu = usage.ru_utime + usage.ru_stime
    done.peak_rss_mb = usage.ru_maxrss / 1024  # type: ignore[attr-defined]
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return wall, cpu, done


def reference_db(contracts: int) -> tuple[Path, dict[str, float]]:
    """The reference firm of ``contracts`` contracts (built once, then cached)."""
    path = CACHE / f"ref-{contracts}" / "propreo.db"
    info = CACHE / f"ref-{contracts}" / "build.json"
    if not path.exists():
        shutil.rmtree(path.parent, ignore_errors=True)
        path.parent.mkdir(parents=True)
        wall, cpu, _ = timed_child(
            [
                PYTHON,
                "-m",
                "app",
                "--db",
                str(path),
                "init",
                "--demo",
                "--as-of",
                "2026-09-01",
                "--contracts",
                str(contracts),
            ]
        )
        info.write_text(json.dumps({"wall_s": wall, "cpu_s": cpu}))
        print(f"reference firm of {contracts} contracts built in {wall:.1f} s ({cpu:.1f} s CPU)")
    return path, json.loads(info.read_text())


def working_copy(source: Path, name: str, *, at_head: bool = True, tree: Path = ROOT) -> Path:
    """A fresh copy of a database and its document folder, brought to the current schema
    (untimed: a cached reference firm built before a schema change would otherwise make
    the measured command migrate it and take a backup first). ``tree``: the source tree
    whose schema the copy is brought to (a previous engine's own)."""
    target_dir = CACHE / "work" / name
    shutil.rmtree(target_dir, ignore_errors=True)
    shutil.copytree(source.parent, target_dir)
    target = target_dir / source.name
    if at_head:
        subprocess.run(
            [PYTHON, "-m", "app", "--db", str(target), "init"],
            cwd=tree,
            capture_output=True,
            text=True,
            check=True,
        )
    return target
