"""Main window: tabs grouped by trade (two rows), menus, status bar, recent files, geometry."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.db import Database
from app.errors import PropreoError
from app.i18n import _
from ui.context import Tab, UiContext
from ui.forms import error_label
from ui.operations import Bus, OperationRunner, show_error
from ui.tab_style import install_tab_style
from ui.tabs import GROUPS, TABS, place

MAX_RECENT = 8
logger = logging.getLogger(__name__)


def settings() -> QSettings:
    return QSettings("Propreo", "Propreo")


def recent_files() -> list[str]:
    value = settings().value("recent_files", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or [])]


def remember_file(path: str) -> None:
    files = [path] + [f for f in recent_files() if f != path]
    settings().setValue("recent_files", files[:MAX_RECENT])


class _LazyTab(QWidget):
    """Placeholder that builds the real tab the first time it is shown."""

    def __init__(self, ctx: UiContext, module: str, cls: str) -> None:
        super().__init__()
        self.ctx, self.module, self.cls = ctx, module, cls
        self.inner: Tab | None = None
        self.failure: QLabel | None = None
        self.setLayout(QVBoxLayout())
        self.layout().setContentsMargins(0, 0, 0, 0)

    def ensure(self) -> Tab:
        if self.inner is None:
            klass = getattr(importlib.import_module(self.module), self.cls)
            try:
                self.inner = klass(self.ctx, self)
            except Exception as exc:  # never a blank tab: say what went wrong
                for half_built in self.findChildren(Tab):
                    half_built.hide()
                    half_built.deleteLater()
                self.show_failure(exc)
                raise
            self.layout().addWidget(self.inner)
        return self.inner

    def show_failure(self, exc: BaseException) -> None:
        """Put the reason the tab could not be loaded where the tab would be."""
        logger.exception("Onglet %s.%s : chargement impossible", self.module, self.cls)
        if self.failure is None:
            self.failure = error_label(self)
            self.layout().addWidget(self.failure)
        detail = str(exc) if isinstance(exc, PropreoError) else f"{type(exc).__name__} : {exc}"
        self.failure.setText(
            _(
                "Cet onglet n'a pas pu être affiché : {detail}\n"
                "Rien n'a été modifié. Lancez « propreo check » sur la base et signalez ce "
                "problème s'il persiste."
            ).format(detail=detail)
        )


class MainWindow(QMainWindow):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.bus = Bus(self)
        self.runner = OperationRunner(db, self.bus, self)
        self.ctx = UiContext(db=db, bus=self.bus, runner=self.runner, window=self)
        self.setWindowTitle(self._title())
        install_tab_style()
        self.tabs = QTabWidget(self)  # the groups (Accueil, Relation client, Commercial…)
        self.tabs.setDocumentMode(True)
        self.lazy_tabs: list[_LazyTab] = []  # every screen, in TABS order
        self.group_tabs: list[QTabWidget | None] = []  # None: a group of one screen
        for group, screens in GROUPS:
            lazies = [_LazyTab(self.ctx, module, cls) for _t, module, cls in screens]
            self.lazy_tabs += lazies
            if len(lazies) == 1:
                self.group_tabs.append(None)
                self.tabs.addTab(lazies[0], group)
                continue
            inner = QTabWidget(self.tabs)
            for lazy, (title, _m, _c) in zip(lazies, screens, strict=True):
                inner.addTab(lazy, title)
            inner.currentChanged.connect(self._on_screen)
            self.group_tabs.append(inner)
            self.tabs.addTab(inner, group)
        self.tabs.currentChanged.connect(self._on_screen)
        self.setCentralWidget(self._with_read_only_banner(self.tabs))
        self._build_menus()
        self._build_status()
        self._restore_geometry()
        if db.path:
            remember_file(str(db.path))
        self._on_screen()
        from ui.liaison_quick import install_liaison  # Ctrl+L, overdue badge and notice

        install_liaison(self)
        from ui.help import install_help  # Aide → Guide d'utilisation, F1 opens the tab's chapter

        install_help(self)
        from ui.import_wizard import install_import  # Fichier → Importer depuis un autre logiciel

        install_import(self)
        from ui.search import install_search  # Ctrl+K and the box at the right of the menus

        install_search(self)
        from ui.einvoicing_watch import StatusWatcher  # platform statuses while open

        self.einvoicing_watch = StatusWatcher(self.ctx, self)
        self.einvoicing_watch.start()

    # --- tabs -----------------------------------------------------------------------------
    def _on_screen(self, _index: int = 0) -> None:
        lazy = self.current_screen()
        if lazy is not None:
            try:
                lazy.ensure()
            except Exception:  # shown in the tab itself (see _LazyTab.show_failure)
                return

    def current_screen(self) -> _LazyTab | None:
        """The screen shown (the current tab of the current group)."""
        widget = self.tabs.currentWidget()
        if isinstance(widget, QTabWidget):
            widget = widget.currentWidget()
        return widget if isinstance(widget, _LazyTab) else None

    def show_screen(self, title: str) -> _LazyTab:
        """Bring the screen with this title to the front (its group, then its tab), as two
        clicks would; it is built if needed. KeyError when no screen has this title."""
        group, index = place(title)
        inner = self.group_tabs[group]
        if inner is not None:
            inner.setCurrentIndex(index)
        self.tabs.setCurrentIndex(group)
        return self.lazy_tabs[[t for t, _m, _c in TABS].index(title)]

    def tab(self, title: str) -> Tab:
        """The tab with this title, shown and built if needed (tests and cross-tab links)."""
        return self.show_screen(title).ensure()

    def tab_texts(self) -> list[str]:
        """What the tabs read, groups then each group's screens (as the user sees them)."""
        bars = [self.tabs] + [inner for inner in self.group_tabs if inner is not None]
        return [bar.tabText(i) for bar in bars for i in range(bar.count())]

    def set_tab_count(self, title: str, count: int, tooltip: str = "") -> None:
        """« Cahier de liaison (6) » on the screen's tab and « Relation client (6) » on its
        group's tab, so the count is seen from every screen; the bare titles when 0."""
        group, index = place(title)
        suffix = f" ({count})" if count else ""
        inner = self.group_tabs[group]
        if inner is not None:
            inner.setTabText(index, title + suffix)
            inner.setTabToolTip(index, tooltip)
        self.tabs.setTabText(group, GROUPS[group][0] + suffix)
        self.tabs.setTabToolTip(group, tooltip)

    # --- menus ----------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(_("&Fichier"))
        self._action(
            file_menu, _("Nouvelle base…"), self.new_database, QKeySequence.StandardKey.New
        )
        self._action(
            file_menu, _("Ouvrir une base…"), self.open_database, QKeySequence.StandardKey.Open
        )
        self.recent_menu = file_menu.addMenu(_("Bases récentes"))
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._action(file_menu, _("Sauvegarder…"), self.backup, QKeySequence("Ctrl+Shift+S"))
        self._action(file_menu, _("Restaurer…"), self.restore)
        self._action(file_menu, _("Clôtures mensuelles…"), self.closings)
        file_menu.addSeparator()
        self._action(file_menu, _("Quitter"), self.close, QKeySequence.StandardKey.Quit)
        self.settings_menu = bar.addMenu(_("&Paramètres"))
        self._action(self.settings_menu, _("Société…"), self.edit_company)
        for text, name in (
            (_("Taux de TVA…"), "open_vat"),
            (_("Plan comptable…"), "open_accounts"),
            (_("Grille de coûts horaires…"), "open_cost_grid"),
            (_("Utilisateurs…"), "open_users"),
            (_("Changer d'utilisateur…"), "open_change_user"),
        ):
            self._action(
                self.settings_menu,
                text,
                lambda _=False, n=name: getattr(importlib.import_module("ui.settings_master"), n)(
                    self.ctx, self
                ),
            )
        self.help_menu = bar.addMenu(_("&Aide"))
        self._action(self.help_menu, _("À propos de Propreo"), self.about)

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in recent_files():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self._switch_to(p))

    def _build_status(self) -> None:
        where = str(self.db.path) if self.db.path else self.db.url
        mode = (
            _(" — journal {mode}").format(mode=self.db.journal_mode) if self.db.journal_mode else ""
        )
        share = _(" — partage réseau") if self.db.network else ""
        self.db_label = QLabel(_("Base : {where}").format(where=where) + mode + share, self)
        self.user_label = QLabel(self._user_text(), self)
        self.statusBar().addWidget(self.db_label, 1)
        self.statusBar().addPermanentWidget(self.user_label)

    def _user_text(self) -> str:
        from app.users import user_name

        name = self.ctx.query(user_name, self.db.user_id) if self.db.user_id else ""
        return _("Utilisateur : {name}").format(name=name or "—")

    def set_user(self, user_id: int | None) -> None:
        self.db.user_id = user_id
        self.user_label.setText(self._user_text())

    def _with_read_only_banner(self, tabs: QTabWidget) -> QWidget:
        """Above the tabs of a base opened read-only, the sentence saying so and why."""
        if not self.db.read_only:
            return tabs
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.read_only_banner = QLabel(
            self.db.info.get("read_only_banner")
            or _(
                "Base ouverte en lecture seule : consultation, impressions et exports "
                "possibles ; aucune modification ne peut être enregistrée."
            ),
            box,
        )
        self.read_only_banner.setWordWrap(True)
        self.read_only_banner.setStyleSheet(
            "background: #fff3cd; color: #664d03; padding: 6px; border-bottom: 1px solid #e0c36c"
        )
        layout.addWidget(self.read_only_banner)
        layout.addWidget(tabs)
        return box

    def _title(self) -> str:
        name = self.db.path.name if self.db.path else self.db.url
        return f"Propreo — {name}"

    # --- actions --------------------------------------------------------------------------
    def edit_company(self) -> None:
        from ui.settings_dialog import CompanyDialog

        CompanyDialog(self.ctx, self).exec()

    def new_database(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Nouvelle base"), "", "Base Propreo (*.db)"
        )
        if path:
            from app.setup import prepare_database

            prepare_database(path).db.dispose()
            self._switch_to(path)

    def open_database(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Ouvrir une base"), "", "Base Propreo (*.db);;Tous (*)"
        )
        if path:
            self._switch_to(path)

    def _switch_to(self, path: str) -> None:
        from ui.app import open_for_gui

        try:
            db = open_for_gui(path, self)
        except Exception as exc:
            show_error(self, exc)
            return
        if db is None:
            return
        window = MainWindow(db)
        window.show()
        self._replaced = True
        self.close()

    def backup(self) -> None:
        # SQLite: backup API copy; PostgreSQL: pg_dump (app.pg_backup); both verified.
        folder = QFileDialog.getExistingDirectory(self, _("Dossier de sauvegarde"))
        if not folder:
            return
        from app.backups import backup_database, backup_file_name

        def work(_session, progress):  # type: ignore[no-untyped-def]
            return backup_database(self.db, Path(folder) / backup_file_name(self.db))

        self.ctx.run(
            self,
            _("Sauvegarde en cours…"),
            work,
            write=False,
            on_done=lambda p: QMessageBox.information(
                self, "Propreo", _("Sauvegarde vérifiée :\n{path}").format(path=p)
            ),
        )

    def restore(self) -> None:
        from ui.restore_dialog import choose_and_restore

        if self.runner.busy:
            QMessageBox.information(self, "Propreo", _("Attendez la fin de l'opération en cours."))
            return
        path = choose_and_restore(self, self.db)
        if path:
            self._switch_to(path)

    def closings(self) -> None:
        from ui.closings import ClosingsDialog

        ClosingsDialog(self.ctx, self).exec()

    def about(self) -> None:
        from ui.about import AboutDialog

        AboutDialog(self.db, self).exec()

    # --- geometry -------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = settings().value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)

    def closeEvent(self, event: QCloseEvent) -> None:
        interactive = QApplication.platformName() != "offscreen"
        if self.runner.busy and interactive and not getattr(self, "_replaced", False):
            answer = QMessageBox.question(
                self,
                "Propreo",
                _("Une opération est en cours. Quitter quand même ?"),
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        settings().setValue("main_window/geometry", self.saveGeometry())
        if self.runner.busy:
            # Cancel what can be cancelled; the transactions roll back, then wait for them.
            self.runner.cancel_all()
        self.runner.wait()
        self.einvoicing_watch.stop()  # webhooks removed, local listener closed
        if not getattr(self, "_replaced", False):
            from ui.restore_dialog import backup_at_close

            backup_at_close(self.db)
        super().closeEvent(event)
