"""QApplication start-up: open (and if needed upgrade) the database, show the window."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.i18n import _

if TYPE_CHECKING:
    from ui.main_window import MainWindow

from app import startup
from app.db import Database
from app.errors import DatabaseError, PropreoError


def open_for_gui(
    target: str, parent: QWidget | None = None, *, ask: bool | None = None
) -> Database | None:
    """Open a database for the window; ask before upgrading an older schema (always when
    ``ask``; by default when there is a parent window), back it up, then migrate."""
    from app import migrate
    from app.db import open_database
    from app.setup import prepare_database
    from app.users import resolve_cli_user

    # Refused in French as by the command line; read-only when its medium cannot be written.
    db = migrate.open_usable(target, read_only_if_needed=True)
    if db.read_only and migrate.needs_upgrade(db):
        db.dispose()
        raise DatabaseError(
            "La base « {path} » vient d'une version antérieure de Propreo et doit être mise "
            "à jour, ce qui est impossible là où elle se trouve (lecture seule) : copiez-la "
            "sur un disque où vous pouvez écrire, puis ouvrez-la.",
            path=target,
        )
    if migrate.needs_upgrade(db):
        ask = parent is not None if ask is None else ask
        if migrate.has_tables(db) and ask:
            answer = QMessageBox.question(
                parent,
                "Propreo",
                _(
                    "Cette base utilise une version antérieure du schéma. Une sauvegarde sera faite "
                    "puis la base sera mise à jour. Continuer ?"
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                db.dispose()
                return None
        db.dispose()
        prepared = prepare_database(target)
        db = prepared.db
        if prepared.backup is not None and ask:
            QMessageBox.information(
                parent,
                "Propreo",
                _("Base mise à jour. Sauvegarde de la version précédente :\n{path}").format(
                    path=prepared.backup
                ),
            )
    from ui.lease_dialog import CANCEL, READ_ONLY, take_lease

    taken = take_lease(db, parent)
    if taken in (CANCEL, READ_ONLY):
        db.dispose()
        if taken == CANCEL:
            return None
        db = open_database(target, read_only=True)
    from ui.restore_dialog import verify_at_startup

    if not db.read_only and not verify_at_startup(db, parent):
        from ui.lease_dialog import release

        release(db)
        db.dispose()
        db = open_database(target, read_only=True)
    resolve_cli_user(db)
    from ui.user_chooser import choose_startup_user

    if not choose_startup_user(db, parent):
        db.dispose()
        return None
    return db


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Propreo")
        app.setOrganizationName("Propreo")
        _install_qt_french(app)
    return app  # type: ignore[return-value]


def _install_qt_french(app: QApplication) -> None:
    """Qt's own buttons and dialogs (Suivant, Annuler, Oui/Non…) in French."""
    from PySide6.QtCore import QLibraryInfo, QTranslator

    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load("qtbase_fr", folder):
        app.installTranslator(translator)


def start_gui(target: str, *, explicit: bool = False) -> MainWindow | None:
    """Open the database (first-start wizard when none is named nor found) and show the
    main window, without entering the event loop; None when the user gave up."""
    startup.install()  # idempotent: also done by app.cli.main when the window comes from there
    ensure_app()
    from ui.main_window import MainWindow

    if not explicit and not Path(target).exists():
        # No database named and none at the default place: reopen the last one used, or
        # run the first-start wizard (new company database, existing file, or the demo).
        from ui.main_window import recent_files

        last = next((f for f in recent_files() if Path(f).is_file()), None)
        if last is None:
            from ui.first_run import run_first_run

            last = run_first_run(Path(target))
            if last is None:
                return None
        target = last
    db = open_for_gui(target, ask=True)
    if db is None:
        return None
    window = MainWindow(db)
    window.show()
    return window


def run_gui(target: str, *, explicit: bool = False) -> int:
    """``propreo gui``: start, then run the event loop until the window closes."""
    app = ensure_app()
    try:
        window = start_gui(target, explicit=explicit)
    except PropreoError as exc:  # launched from an icon: no terminal to read stderr
        from ui.operations import show_error

        show_error(None, exc)
        return 2
    if window is None:
        return 0
    if os.environ.get("PROPREO_QUIT_AFTER_MS"):
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(os.environ["PROPREO_QUIT_AFTER_MS"]), app.quit)
    return app.exec()
