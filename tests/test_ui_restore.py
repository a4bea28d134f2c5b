"""Fichier → Restaurer… and the automatic backups of the window, on either engine (issue Q:
they were SQLite-only; a PostgreSQL firm is restored from a ``pg_dump`` with the same
preview, the same refusal of lost numbers and a safety copy)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.backups import backup_stem, backups_folder, list_backups, make_backup, verify_copy
from app.billing.runs import issue_period, run_month
from app.db import Database, open_database
from tests.pg import target_of
from ui.main_window import MainWindow


def _issued(target: str) -> list[str]:
    db = open_database(target)
    try:
        with db.read() as s:
            return list(s.scalars(text("SELECT number FROM issued_numbers ORDER BY id")))
    finally:
        db.dispose()


class Replies:
    """Answers each modal box in turn (True: its « Oui »/OK button, False: « Non »), keeping
    its text."""

    def __init__(self, *replies: bool) -> None:
        self.replies, self.texts = list(replies), []
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._answer)
        self.timer.start()

    def _answer(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not self.replies:
            return
        self.texts.append(box.text())
        yes = self.replies.pop(0)
        wanted = (
            (QMessageBox.ButtonRole.YesRole, QMessageBox.ButtonRole.AcceptRole)
            if yes
            else (QMessageBox.ButtonRole.NoRole, QMessageBox.ButtonRole.RejectRole)
        )
        button = next(b for b in box.buttons() if box.buttonRole(b) in wanted)
        button.click()


def test_restaurer_says_what_the_backup_holds_and_refuses_to_lose_numbers_unless_confirmed(
    qtbot: QtBot, demo_db: Database, monkeypatch
) -> None:
    target = target_of(demo_db)
    backup = make_backup(demo_db)
    with demo_db.read() as s:
        held = s.scalar(text("SELECT count(*) FROM invoices WHERE status = 'issued'"))
    with demo_db.write() as s:
        run_month(s, "2026-09")
    with demo_db.write() as s:
        numbers = issue_period(s, "2026-09")
    before = _issued(target)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    chosen: list[str] = []

    def pick(_parent, _title, start, kind):  # type: ignore[no-untyped-def]
        chosen[:] = [start, kind]
        return str(backup), kind

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    reopened: list[str] = []
    monkeypatch.setattr(window, "_switch_to", reopened.append)

    replies = Replies(True, False)  # restore this backup? yes; lose the numbers? no
    window.restore()
    preview, lost = replies.texts
    kind = "Sauvegarde Propreo (*.db)" if demo_db.is_sqlite else "Sauvegarde PostgreSQL (*.dump)"
    assert chosen == [str(backups_folder(demo_db)), kind]
    assert f"factures émises : {held}" in preview
    assert "Vérification : aucune anomalie." in preview
    assert "La base actuelle sera remplacée par cette sauvegarde" in preview
    assert f"antérieure à des numéros déjà attribués : {numbers[0]}, " in lost
    assert reopened == [] and _issued(target) == before  # nothing replaced

    replies = Replies(True, True, True)  # yes, yes: lose them knowingly, then OK
    window.restore()
    assert "Base restaurée. Copie de sécurité" in replies.texts[2]
    assert reopened == [target]
    assert numbers[0] not in _issued(target)
    (safety,) = [p for p in backup.parent.iterdir() if "-avant" in p.name and p.is_file()]
    assert str(safety) in replies.texts[2] and verify_copy(safety) == []


def test_the_window_backs_up_at_start_and_at_close(
    qtbot: QtBot, demo_db: Database, monkeypatch
) -> None:
    import ui.restore_dialog

    monkeypatch.setattr(ui.restore_dialog, "_interactive", lambda: True)
    assert ui.restore_dialog.verify_at_startup(demo_db)  # full check passes, daily backup
    folder, stem = backups_folder(demo_db), backup_stem(demo_db)
    (daily,) = list_backups(folder, stem)
    assert (folder / f"{stem}.verif.json").exists() or demo_db.is_sqlite
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    window.close()
    (at_close,) = list_backups(folder, stem)  # the same day: the newest one is kept
    assert at_close != daily and not daily.exists()
    assert verify_copy(at_close) == []
    assert Path(str(at_close) + ".files").is_dir()
