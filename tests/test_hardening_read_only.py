"""Issue T §9: a base on a read-only medium opens read-only when that is safe, with a
banner saying so; refused in French with the reason when it is not (app/read_only.py).

Seen before: any base on a write-protected key was refused (« Support en lecture
seule ») even for reading, because SQLite could not create the ``-shm`` of a WAL base.
Each case is a real read-only filesystem (a tmpfs remounted read-only) or a folder
another user owns, opened without the power to override permissions.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.errors import DatabaseError
from app.read_only import OPEN_READ_ONLY, OTHERS_MAY_WRITE, SNAPSHOT, WAL_PENDING
from tests.small_disk import ROOT, files_on, mounted, on_small_disk, propreo, remount_read_only

pytestmark = pytest.mark.sqlite_only


def _issued(base: Path) -> int:
    with closing(sqlite3.connect(f"file:{base}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT count(*) FROM invoices WHERE status = 'issued'").fetchone()[0]


def test_the_window_opens_a_base_on_a_read_only_key_read_only(
    qtbot: QtBot, tmp_path: Path, demo_db_file: Path
) -> None:
    from sqlalchemy import func, select

    from models.invoices import Invoice
    from ui.app import open_for_gui
    from ui.main_window import MainWindow

    size_kb = demo_db_file.stat().st_size // 1024 + 1024
    with mounted(tmp_path / "cle", size_kb) as key:
        base = key / "propreo.db"
        shutil.copyfile(demo_db_file, base)
        remount_read_only(key)
        db = open_for_gui(str(base), ask=False)
        assert db is not None and db.read_only
        try:
            window = MainWindow(db)
            qtbot.addWidget(window)
            window.show()
            assert window.read_only_banner.isVisible()
            assert window.read_only_banner.text() == OPEN_READ_ONLY.format(path=base) + SNAPSHOT
            with db.read() as s:
                issued = s.scalar(
                    select(func.count()).select_from(Invoice).where(Invoice.status == "issued")
                )
            assert issued == _issued(demo_db_file) > 0
            with pytest.raises(DatabaseError, match="lecture seule"), db.write():
                pass
            window.close()
        finally:
            db.dispose()
        assert files_on(key) == ["propreo.db"]  # no -shm, no lease, no backup


def _with_pending_wal(demo_db_file: Path, into: list[Path], *, shm: list[bool]) -> None:
    """Copies of a base whose last write (a client renamed) is still in its ``-wal``."""
    work = into[0].parent.parent / "travail"
    work.mkdir()
    live = work / "propreo.db"
    shutil.copyfile(demo_db_file, live)
    with closing(sqlite3.connect(live)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("UPDATE clients SET name = 'Client écrit dans le WAL' WHERE id = 1")
        conn.commit()
        for folder, with_shm in zip(into, shm, strict=True):
            folder.mkdir()
            for suffix in ("", "-wal", *(["-shm"] if with_shm else [])):
                shutil.copyfile(f"{live}{suffix}", folder / f"propreo.db{suffix}")


def test_a_write_not_yet_checkpointed_is_never_read_around(
    tmp_path: Path, demo_db_file: Path
) -> None:
    """With its ``-wal`` but no ``-shm``: refused (``immutable`` would silently show the
    base without its last write). With both: read through SQLite, the write seen."""
    from app.migrate import open_usable

    size_kb = 3 * (demo_db_file.stat().st_size // 1024) + 2048
    with mounted(tmp_path / "cle", size_kb) as key:
        alone, whole = key / "sans-shm", key / "complete"
        _with_pending_wal(demo_db_file, [alone, whole], shm=[False, True])
        remount_read_only(key)
        with pytest.raises(DatabaseError) as refused:
            open_usable(str(alone / "propreo.db"), read_only_if_needed=True)
        assert str(refused.value) == WAL_PENDING.format(path=alone / "propreo.db")
        db = open_usable(str(whole / "propreo.db"), read_only_if_needed=True)
        try:
            assert db.read_only and "au moment de l'ouverture" not in db.info["read_only_banner"]
            with db.read() as s:
                from models.clients import Client

                assert s.get(Client, 1).name == "Client écrit dans le WAL"  # type: ignore[union-attr]
        finally:
            db.dispose()


def test_a_read_command_works_on_a_read_only_key_a_write_command_is_refused(
    tmp_path: Path, demo_db_file: Path
) -> None:
    disk = tmp_path / "cle"
    on_disk = disk / "propreo.db"
    check = propreo("--db", str(on_disk), "billing", "check")
    run = propreo("--db", str(on_disk), "billing", "run", "--period", "2026-11")
    done = on_small_disk(
        disk,
        f'{check}; echo rc=$?; {run}; echo rc=$?; ls -A "$DISK"',
        size_kb=demo_db_file.stat().st_size // 1024 + 512,
        read_only=True,
        before=f'cp {demo_db_file} "$DISK/propreo.db"; ',
    )
    assert "Traceback" not in done.stderr, done.stderr
    rcs = [x for x in done.stdout.split() if x.startswith("rc=")]
    assert rcs[0] in ("rc=0", "rc=1") and rcs[1] == "rc=2"  # checked (1: problems listed)
    assert done.stderr.strip().splitlines() == [
        f"Erreur : Support en lecture seule : « {on_disk} » ne peut pas être écrit, "
        "choisissez un autre emplacement."
    ]
    assert done.stdout.split()[-2:] == ["rc=2", "propreo.db"]  # nothing created on the key


def test_a_folder_only_this_user_may_not_write_is_refused_with_the_reason(
    tmp_path: Path, demo_db_file: Path
) -> None:
    """Another user may write the base there while it is read: no ``immutable`` open."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv missing: cannot drop the power to override permissions")
    folder = tmp_path / "autrui"
    folder.mkdir()
    shutil.copyfile(demo_db_file, folder / "propreo.db")
    (folder / "propreo.db").chmod(0o644)
    shutil.chown(folder, 65534, 65534)
    folder.chmod(0o555)
    command = [
        "setpriv",
        "--bounding-set=-dac_override,-dac_read_search,-fowner",
        sys.executable,
        "-m",
        "app",
        "--db",
        str(folder / "propreo.db"),
        "billing",
        "check",
    ]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2
    expected = OTHERS_MAY_WRITE.format(path=folder / "propreo.db", folder=folder)
    assert done.stderr.strip() == f"Erreur : {expected}"
    assert sorted(p.name for p in folder.iterdir()) == ["propreo.db"]
