from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import _copy_db


def run(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_init_demo_then_check_and_init_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "x.db")
    assert main(["--db", db, "init", "--demo", "--as-of", "2026-09-01"]) == 0
    assert "Société de démonstration chargée" in capsys.readouterr().out
    assert main(["--db", db, "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["problems"] == []
    assert set(report["documents"]) >= {"invoice", "credit_note"}
    conn = sqlite3.connect(db)
    users_before = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    conn.close()
    assert main(["--db", db, "init", "--demo", "--as-of", "2026-09-01"]) == 0
    out = capsys.readouterr().out
    assert "à jour" in out and "déjà présentes" in out
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == users_before
    assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
    conn.close()


def test_check_fails_on_a_broken_series(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt

    from app.db import open_database
    from app.numbering import next_number

    db_path = tmp_path / "y.db"
    assert main(["--db", str(db_path), "init"]) == 0
    db = open_database(db_path)
    with db.write() as s:
        for _ in range(3):
            next_number(s, "invoice", dt.date(2026, 10, 31))
    db.dispose()
    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM issued_numbers WHERE seq = 2")
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert main(["--db", str(db_path), "check", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert any("manquants [2]" in p for p in report["problems"])


def test_errors_are_french_on_stderr_with_nonzero_exit(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "absent.db"), "check")
    assert result.returncode != 0
    assert "n'existe pas" in result.stderr and "Traceback" not in result.stderr
    not_a_db = tmp_path / "texte.db"
    not_a_db.write_text("ceci n'est pas une base")
    result = run("--db", str(not_a_db), "check")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "n'est pas une base Propreo" in result.stderr


def test_version_and_backup(tmp_path: Path, demo_db_file: Path) -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("Propreo ")
    # A populated base: the demo firm of the run (``init --demo`` itself is tested above).
    db = _copy_db(demo_db_file, tmp_path / "b.db")
    result = run("--db", str(db), "backup", "--out", str(tmp_path / "sauvegardes"))
    assert result.returncode == 0, result.stderr
    [copy] = list((tmp_path / "sauvegardes").glob("*.db"))
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT name FROM company_settings").fetchone() == (
        "Lumière Propreté Services",
    )
    conn.close()


def test_env_var_names_the_database(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    result = run("init", env={"PROPREO_DB": str(db)})
    assert result.returncode == 0 and db.exists()


@pytest.mark.slow
def test_gui_starts_offscreen_and_stays_up(tmp_path: Path, demo_db_file: Path) -> None:
    db = _copy_db(demo_db_file, tmp_path / "g.db")  # the demo firm of the run
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--db", str(db), "gui"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=6)
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=20)
    assert "Traceback" not in err and "Fatal Python error" not in err
