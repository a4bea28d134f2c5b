"""Shared helpers of the benchmark scripts: machine description, reference databases, JSON."""

from __future__ import annotations

import json
import os
import platform
import resource
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


def timed_child(args: list[str], **kw: Any) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the child, result) — process start included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False, **kw)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
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
                "--contracts",
                str(contracts),
            ]
        )
        info.write_text(json.dumps({"wall_s": wall, "cpu_s": cpu}))
        print(f"reference firm of {contracts} contracts built in {wall:.1f} s ({cpu:.1f} s CPU)")
    return path, json.loads(info.read_text())


def working_copy(source: Path, name: str) -> Path:
    """A fresh copy of a database and its document folder."""
    target_dir = CACHE / "work" / name
    shutil.rmtree(target_dir, ignore_errors=True)
    shutil.copytree(source.parent, target_dir)
    return target_dir / source.name
