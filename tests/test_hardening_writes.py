"""Issue T §9, the writes t.md left: the files folder of a restore or a transfer, the
user guide's PDF, the lease file — each onto a real small filesystem filled to its last
bytes (tests/small_disk.py): one French sentence, nothing half-written left, what was
there before still whole.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.db import Database
from app.errors import StorageError
from tests.small_disk import files_on, fill, mounted

pytestmark = pytest.mark.sqlite_only

FULL = "n'a pas pu être écrit, libérez de la place puis recommencez."


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _digest(p) for p in folder.rglob("*") if p.is_file()}


def test_restore_onto_a_full_disk_keeps_the_base_and_its_files(
    db: Database, tmp_path: Path
) -> None:
    """The backup's files folder does not fit beside the base: before, the old folder
    was deleted first, half the new one copied, and the base already replaced."""
    from app.backups import backup_database, restore

    assert db.path is not None
    backup = backup_database(db, tmp_path / "sauvegarde.db")
    (tmp_path / "sauvegarde.db.files" / "photos").mkdir(parents=True)
    for i in range(4):
        (tmp_path / "sauvegarde.db.files" / "photos" / f"IMG_{i}.jpg").write_bytes(
            os.urandom(100 * 1024)
        )
    db.dispose()
    size_kb = db.path.stat().st_size // 1024
    with mounted(tmp_path / "cle", size_kb * 4 + 1200) as key:
        base = key / "propreo.db"
        shutil.copyfile(db.path, base)
        (key / "propreo.db.files").mkdir()
        (key / "propreo.db.files" / "logo.png").write_bytes(b"\x89PNG ancien logo")
        fill(key, free_kb=size_kb + 200)  # room for the safety copy, not for 400 KiB of photos
        before = _digest(base)
        with pytest.raises(StorageError) as refused:
            restore(base, backup)
        assert str(refused.value) == f"Disque plein : « {key / 'propreo.db.files'} » {FULL}"
        assert _digest(base) == before
        assert _tree(key / "propreo.db.files") == {
            "logo.png": _digest(key / "propreo.db.files" / "logo.png")
        }
        left = files_on(key)
        assert not [n for n in left if ".part" in n or n.endswith(".old")], left
        # space freed: the same restore goes through, base and folder together
        (key / "remplissage").unlink()
        restore(base, backup)
        assert _tree(key / "propreo.db.files") == _tree(tmp_path / "sauvegarde.db.files")


def test_a_backup_whose_files_do_not_fit_leaves_nothing(db: Database, tmp_path: Path) -> None:
    """The base fits on the key, its files folder does not: the copy of the base goes
    too (a backup is whole or absent), no temporary folder stays."""
    from app.backups import backup_database

    assert db.path is not None
    (db.files_dir / "photos").mkdir(parents=True, exist_ok=True)
    (db.files_dir / "photos" / "IMG_1.jpg").write_bytes(os.urandom(1200 * 1024))
    size_kb = db.path.stat().st_size // 1024
    with mounted(tmp_path / "cle", size_kb * 3 + 1600) as key:
        fill(key, free_kb=size_kb + 400)
        with pytest.raises(StorageError) as refused:
            backup_database(db, key / "sauvegarde.db")
        assert str(refused.value) == f"Disque plein : « {key / 'sauvegarde.db.files'} » {FULL}"
        assert files_on(key) == []


def test_a_files_folder_merged_onto_a_full_disk(tmp_path: Path) -> None:
    """``transfer`` and the PostgreSQL restore merge the files into the target's folder:
    all of them or none, the files it held untouched."""
    from app.storage import copy_folder

    source = tmp_path / "source"
    (source / "archives" / "2026").mkdir(parents=True)
    for i in range(3):
        (source / "archives" / "2026" / f"FA-2026-{i:05}.pdf").write_bytes(os.urandom(60 * 1024))
    with mounted(tmp_path / "cle", 512) as key:
        target = key / "fichiers"
        (target / "archives").mkdir(parents=True)
        (target / "archives" / "deja.pdf").write_bytes(b"%PDF deja la")
        fill(key, free_kb=100)
        with pytest.raises(StorageError) as refused:
            copy_folder(source, target, merge=True)
        assert str(refused.value) == f"Disque plein : « {target} » {FULL}"
        assert files_on(key) == ["fichiers", "fichiers/archives", "fichiers/archives/deja.pdf"]
        (key / "remplissage").unlink()
        assert copy_folder(source, target, merge=True) == 3
        assert sorted(_tree(target)) == [
            "archives/2026/FA-2026-00000.pdf",
            "archives/2026/FA-2026-00001.pdf",
            "archives/2026/FA-2026-00002.pdf",
            "archives/deja.pdf",
        ]


def test_transfer_copies_the_files_through_the_whole_or_nothing_copy(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``propreo transfer`` to a new SQLite base whose folder lies on a full key."""
    from app.transfer import transfer

    (db.files_dir / "photos").mkdir(parents=True, exist_ok=True)
    (db.files_dir / "photos" / "IMG_1.jpg").write_bytes(os.urandom(1500 * 1024))
    size_kb = (db.path.stat().st_size if db.path else 0) // 1024
    with mounted(tmp_path / "cle", size_kb * 3 + 1000) as key:
        with pytest.raises(StorageError) as refused:
            fill(key, free_kb=size_kb * 2 + 300)  # the base fits, its photos do not
            transfer(db, str(key / "copie.db"))
        assert str(refused.value) == f"Disque plein : « {key / 'copie.db.files'} » {FULL}"
        assert not [n for n in files_on(key) if n.startswith(".copie.db.files")]


def test_the_guide_built_onto_a_full_disk(tmp_path: Path) -> None:
    """The previous guide stays whole; no half PDF, no orphan temporary file."""
    from app.help import guide_pdf

    with mounted(tmp_path / "cle", 512) as key:
        out = key / "guide"
        out.mkdir()
        (out / guide_pdf.PDF_NAME).write_bytes(b"%PDF-1.4 guide precedent")
        (out / "chapters.json").write_text('{"accueil": 3}\n', "utf-8")
        fill(key)
        with pytest.raises(StorageError) as refused:
            guide_pdf.build(out=out)
        assert str(refused.value).startswith("Disque plein : « ")
        assert str(refused.value).endswith(FULL)
        assert (out / guide_pdf.PDF_NAME).read_bytes() == b"%PDF-1.4 guide precedent"
        assert (out / "chapters.json").read_text("utf-8") == '{"accueil": 3}\n'
        assert files_on(key) == ["guide", "guide/chapters.json", f"guide/{guide_pdf.PDF_NAME}"]


def test_the_lease_on_a_full_disk(tmp_path: Path) -> None:
    """Before: the lease was created empty (O_EXCL) then its write failed — an empty
    lease stayed, read as « half-written » by every workstation for two minutes."""
    from app.lease import acquire, lease_path, read_lease

    with mounted(tmp_path / "cle", 256) as key:
        base = key / "propreo.db"
        base.write_bytes(b"")
        held = acquire(base)
        fill(key)
        assert held.heartbeat()  # refused by the disk: the lease as it was stays whole
        assert read_lease(base) == held.info
        held.release()
        fill(key)  # the page the released lease gave back
        with pytest.raises(StorageError) as refused:
            acquire(base)
        assert str(refused.value) == f"Disque plein : « {lease_path(base)} » {FULL}"
        assert files_on(key) == ["propreo.db"]


def test_the_lease_is_written_whole_and_private(tmp_path: Path) -> None:
    """Written under a temporary name then linked: 0600, no temporary file left."""
    from app.lease import acquire, lease_path, read_lease

    base = tmp_path / "propreo.db"
    held = acquire(base, user="martine")
    assert lease_path(base).stat().st_mode & 0o777 == 0o600
    assert read_lease(base) == held.info
    assert held.heartbeat()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["propreo.db.lease"]
    held.release()
    assert list(tmp_path.iterdir()) == []


def test_the_first_run_wizard_on_a_full_disk(qtbot: QtBot, tmp_path: Path) -> None:
    """« Nouvelle base » onto a full key: one French sentence under the field, the
    wizard stays on the page, nothing left on the key."""
    from ui.first_run import PAGE_LOCATION, FirstRunWizard

    with mounted(tmp_path / "cle", 512) as key:
        fill(key, free_kb=64)  # room for a few pages of the base, not for its schema
        wizard = FirstRunWizard(tmp_path / "data" / "propreo.db", tmp_path / "data" / "demo.db")
        qtbot.addWidget(wizard)
        wizard.show()
        wizard.next()
        assert wizard.currentId() == PAGE_LOCATION
        location = wizard.currentPage()
        location.path.setText(str(key / "propreo.db"))
        wizard.next()
        assert wizard.currentId() == PAGE_LOCATION
        assert location.error.text() == (
            f"Impossible de créer la base : Disque plein : « {key / 'propreo.db'} » "
            "n'a pas pu être écrit, libérez de la place puis recommencez."
        )
        assert wizard.db is None and wizard.database_path is None
        assert files_on(key) == []
        wizard.reject()
