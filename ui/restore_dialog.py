"""Fichier → Restaurer… and the start-up verification report (see :mod:`app.backups`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from app.backups import (
    NumbersWouldBeLost,
    auto_backup,
    backups_dir,
    preview,
    restore,
    startup_check,
)
from app.db import Database
from app.i18n import _


def choose_and_restore(parent: QWidget, db: Database) -> str | None:
    """Ask for a backup, show its preview, confirm, restore (after a safety copy).

    Returns the path of the restored base (to reopen), or None when nothing was done.
    The caller must have closed every connection to the base beforehand... so this function
    disposes ``db``'s engine itself before replacing the file.
    """
    if db.path is None:
        return None
    start = backups_dir(db.path)
    path, _filter = QFileDialog.getOpenFileName(
        parent, _("Restaurer une sauvegarde"), str(start), _("Sauvegarde Propreo (*.db)")
    )
    if not path:
        return None
    try:
        info = preview(Path(path))
    except Exception as exc:  # unreadable file: say so, change nothing
        QMessageBox.warning(parent, "Propreo", str(exc))
        return None
    if info.problems:
        QMessageBox.warning(
            parent,
            "Propreo",
            info.text() + "\n\n" + _("Cette sauvegarde ne peut pas être restaurée."),
        )
        return None
    answer = QMessageBox.question(
        parent,
        "Propreo",
        info.text()
        + "\n\n"
        + _(
            "La base actuelle sera remplacée par cette sauvegarde (une copie de sécurité de la "
            "base actuelle est faite d'abord). Continuer ?"
        ),
    )
    if answer != QMessageBox.StandardButton.Yes:
        return None
    db.dispose()
    try:
        try:
            safety = restore(db.path, Path(path))
        except NumbersWouldBeLost as lost:
            knowingly = QMessageBox.warning(
                parent,
                "Propreo",
                str(lost) + "\n\n" + _("Restaurer quand même et perdre ces numéros ?"),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if knowingly != QMessageBox.StandardButton.Yes:
                return None
            safety = restore(db.path, Path(path), lose_numbers=True)
    except Exception as exc:
        QMessageBox.critical(parent, "Propreo", str(exc))
        return None
    QMessageBox.information(
        parent,
        "Propreo",
        _("Base restaurée. Copie de sécurité de la base remplacée :\n{path}").format(path=safety),
    )
    return str(db.path)


def verify_at_startup(db: Database, parent: QWidget | None = None) -> bool:
    """Quick check (full once a week) and the daily backup. False: the base failed its
    check; the caller reopens it read-only. The report is shown and a restore proposed."""
    if db.path is None or not _interactive():
        return True
    report = startup_check(db)
    if report.ok:
        if not db.read_only:
            try:
                auto_backup(db, reason="daily")
            except Exception as exc:
                QMessageBox.warning(
                    parent,
                    "Propreo",
                    _("Sauvegarde quotidienne impossible : {e}").format(e=exc),
                )
        return True
    QMessageBox.critical(
        parent,
        "Propreo",
        report.text()
        + "\n\n"
        + _(
            "La base est ouverte en lecture seule. Utilisez Fichier → Restaurer… pour "
            "revenir à la dernière sauvegarde vérifiée."
        ),
    )
    return False


def backup_at_close(db: Database) -> None:
    """Backup when the window closes (never blocks the close on failure)."""
    import contextlib

    if not _interactive():
        return
    with contextlib.suppress(Exception):
        auto_backup(db, reason="close")


def _interactive() -> bool:
    """Real sessions only: the offscreen platform (tests, scripted runs) skips automatic
    backups and start-up checks, which are tested directly in app.backups."""
    return QApplication.instance() is not None and QApplication.platformName() != "offscreen"
