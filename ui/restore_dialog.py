"""Fichier → Restaurer… and the start-up verification report (see :mod:`app.backups`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from app.backups import (
    auto_backup,
    backups_folder,
    preview,
    restore_target,
    startup_check,
)
from app.db import Database
from app.errors import DatabaseError, NumbersWouldBeLost
from app.i18n import _


def choose_and_restore(parent: QWidget, db: Database) -> str | None:
    """Ask for a backup, show its preview, confirm, restore (after a safety copy).

    Returns the path or URL of the restored base (to reopen), or None when nothing was
    done. A SQLite base is replaced by a copy (``.db``), a PostgreSQL firm by a ``pg_dump``
    (``.dump``), with the same refusals (:func:`app.backups.restore_target`). This function
    disposes ``db``'s engine itself before replacing the base.
    """
    server = db.path is None
    try:
        start = str(backups_folder(db))
    except DatabaseError:  # a PostgreSQL firm with no shared files folder yet
        start = ""
    kind = _("Sauvegarde PostgreSQL (*.dump)") if server else _("Sauvegarde Propreo (*.db)")
    path, _filter = QFileDialog.getOpenFileName(parent, _("Restaurer une sauvegarde"), start, kind)
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
    target = db.engine.url.render_as_string(hide_password=False) if server else str(db.path)
    db.dispose()
    try:
        try:
            safety = restore_target(target, Path(path))
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
            safety = restore_target(target, Path(path), lose_numbers=True)
    except Exception as exc:
        QMessageBox.critical(parent, "Propreo", str(exc))
        return None
    QMessageBox.information(
        parent,
        "Propreo",
        _("Base restaurée. Copie de sécurité de la base remplacée :\n{path}").format(path=safety),
    )
    return target


def verify_at_startup(db: Database, parent: QWidget | None = None) -> bool:
    """Quick check (full once a week) and the daily backup, on either engine (a PostgreSQL
    firm's backups are ``pg_dump`` files beside its shared files folder). False: the base
    failed its check; the caller reopens it read-only. The report is shown and a restore
    proposed."""
    if not _interactive():
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
