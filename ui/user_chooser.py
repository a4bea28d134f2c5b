"""Start-up: who is working? A small dialog listing the active users (password if set).

Skipped when PROPREO_USER is set (even empty: tests and scripts), when the system login
already matched a user, when the database has no users, or on the offscreen platform.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from app.db import Database
from app.i18n import _
from app.users import active_users, authenticate, needs_password
from ui.context import UiContext
from ui.forms import error_label


class UserChooser(QDialog):
    def __init__(
        self, db: Database, users: list[tuple[int, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(_("Propreo — utilisateur"))
        self.combo = QComboBox(self)
        for user_id, name in users:
            self.combo.addItem(name, user_id)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setToolTip(
            _("Seulement si un mot de passe a été défini pour cet utilisateur.")
        )
        self.error = error_label(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        layout = QFormLayout(self)
        layout.addRow(_("Utilisateur"), self.combo)
        layout.addRow(_("Mot de passe"), self.password)
        layout.addRow(self.error)
        layout.addRow(buttons)
        self.combo.currentIndexChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        user_id = self.combo.currentData()
        with_password = bool(user_id) and self._query(needs_password, user_id)
        self.password.setEnabled(with_password)
        self.error.setText("")

    def _query(self, fn: Callable[..., Any], *args: Any) -> Any:
        return _Reader(self.db).query(fn, *args)

    def check(self) -> None:
        user_id = self.combo.currentData()
        if not self._query(authenticate, user_id, self.password.text()):
            self.error.setText(_("Mot de passe incorrect."))
            return
        self.db.user_id = user_id
        self.accept()


def choose_startup_user(db: Database, parent: QWidget | None = None) -> bool:
    """Ask who is working; False when the user cancelled (the window must not open)."""
    if "PROPREO_USER" in os.environ or db.user_id is not None:
        return True
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        return True
    users = _Reader(db).query(lambda s: [(u.id, u.full_name) for u in active_users(s)])
    if not users:
        return True
    return UserChooser(db, users, parent).exec() == QDialog.DialogCode.Accepted


class _Reader:
    """Just enough of a UiContext for quick reads before the main window exists."""

    query = UiContext.query

    def __init__(self, db: Database) -> None:
        self.db = db
