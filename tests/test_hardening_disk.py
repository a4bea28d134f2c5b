"""Issue T §9: a full disk, read-only media, a folder the user may not write.

Seen: on a full disk the user got English ``OperationalError`` tracebacks or « disk I/O
error »; backup and export onto a full disk left ``.part`` or orphan files. Each case runs
the real command on a real small filesystem (tests/small_disk.py) filled to its last
bytes or mounted read-only: one French sentence, a non-zero exit, nothing left behind,
the base unchanged.
"""

from __future__ import annotations

import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.db import Database
from tests.small_disk import ROOT, left_on, on_small_disk, propreo

pytestmark = pytest.mark.sqlite_only

FULL = "n'a pas pu être écrit, libérez de la place puis recommencez."
READ_ONLY = "ne peut pas être écrit, choisissez un autre emplacement."


def _busiest_month(base: Path) -> str:
    with closing(sqlite3.connect(f"file:{base}?mode=ro", uri=True)) as conn:
        return conn.execute(
            "SELECT strftime('%Y-%m', issue_date) FROM invoices WHERE status = 'issued' "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()[0]


def _the_error(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    [line] = done.stderr.strip().splitlines()  # one sentence, nothing else
    assert line.startswith("Erreur : ")
    return line


def _outcome(done: subprocess.CompletedProcess[str]) -> tuple[str, list[str]]:
    lines = done.stdout.strip().splitlines()
    code = next(x for x in lines if x.startswith("rc="))
    return code, [x for x in lines[lines.index(code) + 1 :] if x]


@pytest.fixture
def base(tmp_path: Path, demo_db_file: Path) -> Path:
    target = tmp_path / "firme" / "propreo.db"
    target.parent.mkdir()
    shutil.copyfile(demo_db_file, target)
    shutil.copytree(f"{demo_db_file}.files", f"{target}.files")
    return target


def test_backup_onto_a_full_disk(tmp_path: Path, base: Path) -> None:
    disk = tmp_path / "cle"
    done = on_small_disk(
        disk,
        f"{propreo('--db', str(base), 'backup', '--out', str(disk / 'sauvegardes'))}; "
        f"echo rc=$?; {left_on()}",
        size_kb=1024,
        free_kb=200,
    )
    line = _the_error(done)
    assert line.startswith(f"Erreur : Disque plein : « {disk / 'sauvegardes'}/")
    assert line.endswith(FULL)
    assert _outcome(done) == ("rc=2", ["sauvegardes"])  # the folder, empty: no .part


def test_export_onto_a_nearly_full_disk_leaves_no_pdf(tmp_path: Path, base: Path) -> None:
    """Some PDFs fit, the next one does not: those written are removed too."""
    disk = tmp_path / "cle"
    period = _busiest_month(base)
    out = disk / "factures"
    done = on_small_disk(
        disk,
        f"{propreo('--db', str(base), 'documents', 'export', '--period', period, '--out', str(out))}"
        f"; echo rc=$?; {left_on()}",
        size_kb=1024,
        free_kb=160,
    )
    line = _the_error(done)
    assert line.startswith(f"Erreur : Disque plein : « {out}/") and line.endswith(FULL)
    assert _outcome(done) == ("rc=2", ["factures"])


def test_fec_and_sales_journal_onto_a_full_disk(tmp_path: Path, base: Path) -> None:
    disk = tmp_path / "cle"
    args = ("accounting", "fec", "--year", "2026", "--sales-csv", "--out", str(disk))
    done = on_small_disk(
        disk, f"{propreo('--db', str(base), *args)}; echo rc=$?; {left_on()}", free_kb=4
    )
    line = _the_error(done)
    assert line.startswith(f"Erreur : Disque plein : « {disk}/") and line.endswith(FULL)
    assert _outcome(done) == ("rc=2", [])


def _issued(base: Path) -> int:
    with closing(sqlite3.connect(f"file:{base}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT count(*) FROM invoices WHERE status = 'issued'").fetchone()[0]


def test_the_base_itself_on_a_full_disk(tmp_path: Path, base: Path) -> None:
    """The month-end run cannot write the base: French sentence, the base as it was."""
    disk = tmp_path / "cle"
    on_disk = disk / "propreo.db"
    size_kb = base.stat().st_size // 1024 + 1024
    after = tmp_path / "apres"
    after.mkdir()
    run = propreo("--db", str(on_disk), "billing", "run", "--period", "2026-11")
    done = on_small_disk(
        disk,
        f'{run}; echo rc=$?; {left_on()}; rm "$DISK/remplissage"; '
        f'cp "$DISK"/propreo.db* {shlex.quote(str(after))}/ 2>/dev/null; '
        f"{propreo('--db', str(on_disk), 'check', '--quick')} >&2",
        size_kb=size_kb,
        free_kb=0,
        before=f'cp {shlex.quote(str(base))} "$DISK/propreo.db"; '
        f'cp -r {shlex.quote(str(base))}.files "$DISK/propreo.db.files"; ',
    )
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert lines[0] == f"Erreur : Disque plein : « {on_disk} » {FULL}"
    assert "Base cohérente." in done.stderr, done.stderr  # space freed: nothing half-written
    code, left = _outcome(done)
    assert code == "rc=2" and "propreo.db" in left and not any(".part" in n for n in left)
    assert _issued(after / "propreo.db") == _issued(base)


def test_read_only_media(tmp_path: Path, base: Path) -> None:
    """The base on a write-protected key, and a backup onto it: said, not traced."""
    disk = tmp_path / "cle"
    on_disk = disk / "propreo.db"
    run = propreo("--db", str(on_disk), "billing", "run", "--period", "2026-11")
    backup = propreo("--db", str(base), "backup", "--out", str(disk / "sauvegardes"))
    done = on_small_disk(
        disk,
        f"{run}; echo rc=$?; {backup}; echo rc=$?; {left_on()}",
        size_kb=base.stat().st_size // 1024 + 512,
        read_only=True,
        before=f'cp {shlex.quote(str(base))} "$DISK/propreo.db"; ',
    )
    assert "Traceback" not in done.stderr, done.stderr
    first, second = done.stderr.strip().splitlines()
    assert first == f"Erreur : Support en lecture seule : « {on_disk} » {READ_ONLY}"
    assert second.startswith(f"Erreur : Support en lecture seule : « {disk / 'sauvegardes'}/")
    assert second.endswith(f" » {READ_ONLY}")
    assert done.stdout.split() == ["rc=2", "rc=2", "propreo.db"]


def test_a_folder_the_user_may_not_write(tmp_path: Path, base: Path) -> None:
    """A folder of another user (root too when it lacks the override capability)."""
    folder = tmp_path / "autrui"
    folder.mkdir(mode=0o755)
    shutil.chown(folder, 65534, 65534) if hasattr(shutil, "chown") else None
    folder.chmod(0o555)
    args = ("--db", str(base), "accounting", "fec", "--year", "2026", "--out", str(folder))
    command = [sys.executable, "-m", "app", *args]
    if shutil.which("setpriv"):  # root passes every permission unless it drops that power
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", *command]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    line = _the_error(done)
    assert line.startswith(f"Erreur : Accès refusé : vous n'avez pas le droit d'écrire « {folder}/")
    assert list(folder.iterdir()) == []


@pytest.fixture
def full_key(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs mounted for this process (root only), filled to the last byte."""
    import os

    disk = tmp_path / "cle"
    disk.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small filesystem in the test process needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip(f"mount refused: {mounted.stderr.decode(errors='replace')}")
    try:
        with suppress(OSError), open(disk / "remplissage", "wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_the_window_says_it_in_one_french_sentence(
    qtbot: QtBot, demo_db: Database, full_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """« Éditions › Exporter » and « Sauvegarder » onto a full key: a box with the
    French sentence (not « Erreur inattendue : OSError »), nothing left on the key."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from ui.documents import DocumentsTab
    from ui.main_window import MainWindow

    said: list[str] = []
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(
            QMessageBox, kind, lambda parent, title, text, *a, k=kind: said.append(f"{k}:{text}")
        )
    folder = full_key / "export"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = DocumentsTab(window.ctx)
    qtbot.addWidget(tab)
    tab.period.set_period(_busiest_month(demo_db.path))
    tab.export_folder()
    qtbot.waitUntil(lambda: bool(said), timeout=180_000)
    assert len(said) == 1 and said[0].startswith(f"warning:Disque plein : « {folder}/")
    assert said[0].endswith(FULL)
    window.backup()
    qtbot.waitUntil(lambda: len(said) == 2, timeout=180_000)
    assert said[1].startswith(f"warning:Disque plein : « {folder}/") and said[1].endswith(FULL)
    assert sorted(p.name for p in full_key.rglob("*")) == ["export", "remplissage"]


def test_a_photo_onto_a_full_disk_leaves_no_file(full_key: Path) -> None:
    """The photo and its thumbnail are written both or neither (no orphan file)."""
    import io

    from PIL import Image

    from app.errors import StorageError
    from app.quotes.photos import store_photo

    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buffer, "JPEG")
    with pytest.raises(StorageError) as refused:
        store_photo(full_key / "fichiers", buffer.getvalue(), "IMG_2041.JPG")
    assert str(refused.value).startswith(f"Disque plein : « {full_key / 'fichiers'}/photos/")
    assert str(refused.value).endswith(FULL)
    assert [p.name for p in full_key.rglob("*") if p.is_file()] == ["remplissage"]


def test_a_list_exported_to_a_full_disk(
    qtbot: QtBot, full_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any list's « Exporter (.xlsx) » onto a full key: a box in French, no half workbook."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from ui.table import Column, RecordList

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    target = full_key / "clients.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    table = RecordList([Column("Nom", lambda r: r, 100)], export_name="clients")
    qtbot.addWidget(table)
    table.set_rows([f"Client {i}" for i in range(2000)])
    table.export_button.click()
    assert said == [f"Disque plein : « {target} » {FULL}"]
    assert [p.name for p in full_key.rglob("*") if p.is_file()] == ["remplissage"]


def test_a_paged_list_exported_to_a_full_disk(
    qtbot: QtBot, full_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The paged lists (the invoice list) export as the others do: they had their own copy
    of the export, which let the refusal escape the click instead of saying it."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from ui.lazy_table import PagedRecordList
    from ui.table import Column

    rows = [f"FA2026-{i:05d}" for i in range(1, 2001)]

    def page(*, search: str, sort: object, descending: bool, offset: int, limit: int | None):
        return rows[offset : None if limit is None else offset + limit]

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    target = full_key / "factures.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    table = PagedRecordList(
        [Column("N°", lambda r: r, 100)],
        [None],
        lambda *, search: len(rows),
        page,
        export_name="factures",
    )
    qtbot.addWidget(table)
    table.set_filters()
    assert table.model.total == 2000
    table.export_button.click()
    assert said == [f"Disque plein : « {target} » {FULL}"]
    assert [p.name for p in full_key.rglob("*") if p.is_file()] == ["remplissage"]


def test_photos_of_a_unit_of_work_that_fails_do_not_stay(demo_db: Database) -> None:
    """A photo stored, then the unit of work rolled back (a later step refused, the disk
    full at commit): its file and thumbnail go with it; a committed one stays."""
    import io

    from PIL import Image
    from sqlalchemy import func, select

    from app.errors import ValidationError
    from app.quotes.photos import add_photo
    from models.clients import Site
    from models.quotes import QuotePhoto

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (20, 120, 200)).save(buffer, "JPEG")
    store = demo_db.files_dir / "photos"
    before = {p.name for p in store.rglob("*") if p.is_file()}
    with demo_db.read() as s:
        site_id = s.scalars(select(Site.id)).first()
        photos = s.scalar(select(func.count()).select_from(QuotePhoto))
    with pytest.raises(ValidationError), demo_db.write() as s:
        add_photo(s, buffer.getvalue(), "IMG_3001.JPG", site_id=site_id)
        raise ValidationError("Légende", "{field} : refusée plus loin dans la même opération.")
    assert {p.name for p in store.rglob("*") if p.is_file()} == before
    with demo_db.write() as s:
        kept = add_photo(s, buffer.getvalue(), "IMG_3002.JPG", site_id=site_id)
    with demo_db.read() as s:  # a later rollback on another session touches nothing
        assert s.scalar(select(func.count()).select_from(QuotePhoto)) == photos + 1
    assert (demo_db.files_dir / kept.storage_name).is_file()
    assert (demo_db.files_dir / kept.thumb_name).is_file()


def test_an_attachment_of_a_unit_of_work_that_fails_does_not_stay(
    demo_db: Database, tmp_path: Path
) -> None:
    """« Cahier de liaison »: a file attached, then the unit of work rolled back — the copy
    in the firm's store goes with it."""
    from sqlalchemy import select

    from app.errors import ValidationError
    from app.liaison.files import add_attachment, liaison_dir
    from models.liaison import LiaisonEntry

    source = tmp_path / "constat.pdf"
    source.write_bytes(b"%PDF-1.4 constat de passage\n")
    with demo_db.read() as s:
        entry_id = s.scalars(select(LiaisonEntry.id).where(LiaisonEntry.status == "open")).first()
        folder = liaison_dir(s)
    before = sorted(p.name for p in folder.glob("*")) if folder.exists() else []
    with pytest.raises(ValidationError), demo_db.write() as s:
        add_attachment(s, entry_id, source)
        raise ValidationError("Pièce jointe", "{field} : refusée plus loin.")
    assert (sorted(p.name for p in folder.glob("*")) if folder.exists() else []) == before
    with demo_db.write() as s:
        kept = add_attachment(s, entry_id, source)
    assert (folder / kept.stored_name).read_bytes() == source.read_bytes()
