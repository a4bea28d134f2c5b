"""Issue T §9: files that are not ours.

Seen: a 0-byte file was silently turned into an empty base by ``billing run`` (exit 0), a
foreign SQLite file received 65 tables, a base from a newer version passed ``check`` while
every write command printed an Alembic traceback and wrote a new full « avant-migration »
copy each time.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.db import Database
from tests.dialogs import answer
from tests.pg import target_of

ROOT = Path(__file__).resolve().parent.parent


def _run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "--db", str(db), *args],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(db.parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _digest(folder: Path) -> dict[str, str]:
    """The files of the folder (the WAL's shared-memory index and an empty WAL aside:
    SQLite makes them to read a WAL base, even read-only; they hold no data)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if not p.name.endswith("-shm") and not (p.name.endswith("-wal") and not p.stat().st_size)
    }


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _foreign(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE recettes (nom TEXT)")


def _newer(path: Path, template: Path) -> None:
    shutil.copyfile(template, path)
    with closing(sqlite3.connect(path)) as conn, conn:  # closed: its WAL checkpointed now
        conn.execute("UPDATE alembic_version SET version_num = 'f00dcafe9999'")


# Every case below is a file beside a SQLite base (bytes compared, sqlite3 edits): the
# PostgreSQL counterpart for a newer schema is the test that follows.
@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty", "est vide (0 octet) : ce n'est pas une base Propreo."),
        ("foreign", "n'est pas une base Propreo (aucune version de schéma Propreo)"),
        ("newer", "vient d'une version plus récente de Propreo (schéma f00dcafe9999)"),
    ],
)
def test_commands_other_than_init_never_create_nor_convert_a_base(
    tmp_path: Path, empty_db_file: Path, kind: str, message: str
) -> None:
    folder = tmp_path / "base"
    folder.mkdir()
    path = folder / "propreo.db"
    {"empty": _empty, "foreign": _foreign}.get(kind, lambda p: _newer(p, empty_db_file))(path)
    before = _digest(folder)
    for args in (("billing", "run", "--period", "2026-10"), ("check",)):
        done = _run(path, *args)
        assert done.returncode != 0
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("Erreur : ") and message in line
    assert _digest(folder) == before  # not a byte written, no « avant-migration » copy


def test_a_newer_schema_is_refused_on_either_engine(db: Database) -> None:
    target = target_of(db)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dcafe9999'")
    db.dispose()
    for args in (("billing", "run", "--period", "2026-10"), ("check",)):
        done = subprocess.run(
            [sys.executable, "-m", "app", "--db", target, *args],
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode != 0
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("Erreur : ")
        assert "vient d'une version plus récente de Propreo (schéma f00dcafe9999)" in line
    with db.read() as session:
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "f00dcafe9999"
        )


def test_a_damaged_page_gives_french_problems_not_a_traceback(
    tmp_path: Path, demo_db_file: Path
) -> None:
    """Seen: a damaged page made ``check`` crash in ``foreign_key_check``."""
    path = tmp_path / "abime.db"
    data = bytearray(demo_db_file.read_bytes())
    data[len(data) - 200_000 : len(data) - 190_000] = b"\xa5" * 10_000
    path.write_bytes(bytes(data))
    done = _run(path, "check")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "PROBLÈME : Base endommagée : restaurez la dernière sauvegarde" in done.stdout


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty", "est vide (0 octet) : ce n'est pas une base Propreo."),
        ("foreign", "n'est pas une base Propreo (aucune version de schéma Propreo)"),
        ("newer", "vient d'une version plus récente de Propreo (schéma f00dcafe9999)"),
    ],
)
def test_the_window_refuses_what_the_command_line_refuses(
    qtbot: QtBot, tmp_path: Path, demo_db: Database, empty_db_file: Path, kind: str, message: str
) -> None:
    """« Fichier › Ouvrir une base… » on a file that is not a Propreo base of this version:
    the same French sentence as the command line, in a box, the file left as it was and the
    window still on its own base."""
    from ui.main_window import MainWindow

    folder = tmp_path / "autre"
    folder.mkdir()
    path = folder / "propreo.db"
    {"empty": _empty, "foreign": _foreign}.get(kind, lambda p: _newer(p, empty_db_file))(path)
    before = _digest(folder)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    seen: list[str] = []
    answer(seen=seen)
    window._switch_to(str(path))
    assert len(seen) == 1 and message in seen[0], seen
    assert "Traceback" not in seen[0] and "Erreur inattendue" not in seen[0]
    assert _digest(folder) == before
    assert window.db is demo_db and not getattr(window, "_replaced", False)
