"""Issue T §11 and §12: backups in the same second, permissions of the firm's files.

Seen: backups taken in the same second shared one ``….db.part`` name (3 of 9 collisions
crashed, leaving stray files); the base, the lease and the backups were created 0644 in
0755 folders, readable by every local user.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.backups import backups_dir, make_backup
from app.db import Database

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 30, 18, 0, 0)


@pytest.mark.sqlite_only
def test_nine_backups_in_the_same_second_all_succeed_and_leave_no_part_file(
    demo_db: Database,
) -> None:
    made: list[Path] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            made.append(make_backup(demo_db, now=NOW))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    folder = backups_dir(demo_db.path)
    assert list(folder.glob("*.part")) == []
    assert len(set(made)) == 9
    assert all(p.exists() and p.name.startswith("demo-20261130-180000") for p in made)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes; Windows: see THREAT_MODEL.md")
def test_the_firms_files_are_private_to_the_user(tmp_path: Path) -> None:
    base = tmp_path / "firme" / "propreo.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (("init",), ("backup", "--out", str(backups_dir(base)))):
        done = subprocess.run(
            [sys.executable, "-m", "app", "--db", str(base), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    assert _mode(base) == 0o600
    assert _mode(base.parent) == 0o700
    backups = [p for p in backups_dir(base).iterdir()]
    assert backups and _mode(backups_dir(base)) == 0o700
    assert all(_mode(p) == 0o600 for p in backups if p.is_file())
