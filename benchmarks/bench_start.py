"""Cold start to the main window: ``propreo --db <file> gui`` until its event loop runs.

The process is started from scratch (interpreter, imports, database open and checks,
main window built and shown, offscreen) and quits as soon as the event loop turns
(``PROPREO_QUIT_AFTER_MS=0``). Best of several runs (wall and CPU), plus the import time
of the heaviest modules measured with ``-X importtime``.

    python benchmarks/bench_start.py [runs]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, ROOT, reference_db, save, timed_child, working_copy

CONTRACTS = 1000


def main(runs: int) -> None:
    ref, _ = reference_db(CONTRACTS)
    db = working_copy(ref, "start")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PROPREO_QUIT_AFTER_MS": "0"}
    args = [PYTHON, "-m", "app", "--db", str(db), "gui"]
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, _done = timed_child(args, env=env)
        walls.append(round(wall, 3))
        cpus.append(round(cpu, 3))
    trace = subprocess.run(
        [PYTHON, "-X", "importtime", *args[1:]], cwd=ROOT, env=env, capture_output=True, text=True
    ).stderr
    heavy = []
    for line in trace.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and len(m.group(3)) <= 2:  # top-level imports only
            heavy.append((int(m.group(2)) / 1e6, m.group(4)))
    heavy.sort(reverse=True)
    print(
        f"cold start to main window: best {min(walls):.2f} s wall, {min(cpus):.2f} s CPU "
        f"(runs: {walls}) — target < 1.5 s"
    )
    for seconds, name in heavy[:8]:
        print(f"  import {name}: {seconds:.3f} s")
    save(
        "bench_start",
        {
            "runs_wall_s": walls,
            "runs_cpu_s": cpus,
            "best_wall_s": min(walls),
            "best_cpu_s": min(cpus),
            "heaviest_imports_s": {n: round(s, 3) for s, n in heavy[:8]},
            "target_s": 1.5,
        },
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
