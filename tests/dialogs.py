"""Answering the modal dialogs a click opens, as a user would: the next dialog shown is read
(title, texts) then answered by its button of a given role (never by its English or French
text), after an optional ``fill(dialog)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QWidget,
)

ACCEPT = QMessageBox.ButtonRole.AcceptRole
REJECT = QMessageBox.ButtonRole.RejectRole


def _buttons(dialog: QWidget) -> list[tuple[QAbstractButton, int]]:
    if isinstance(dialog, QMessageBox):
        return [(b, dialog.buttonRole(b).value) for b in dialog.buttons()]
    return [
        (b, box.buttonRole(b).value)
        for box in dialog.findChildren(QDialogButtonBox)
        for b in box.buttons()
    ]


def texts(dialog: QWidget) -> str:
    parts = [dialog.windowTitle()]
    if isinstance(dialog, QMessageBox):
        parts += [dialog.text(), dialog.informativeText()]
    parts += [label.text() for label in dialog.findChildren(QLabel)]
    return "\n".join(p for p in parts if p)


def answer(
    role: Any = ACCEPT,
    *,
    seen: list[str] | None = None,
    fill: Callable[[QDialog], None] | None = None,
    tries: int = 400,
    only: type[QWidget] | None = None,
) -> None:
    """Answer the next modal dialog by clicking its button of ``role``; its texts are
    appended to ``seen``. Call before the click that opens the dialog. With ``only``, other
    modal dialogs (a progress dialog of a long operation) are waited through."""

    def handle(left: int) -> None:
        dialog = QApplication.activeModalWidget()
        if only is not None and not isinstance(dialog, only):
            dialog = None
        if dialog is None:
            if left:
                QTimer.singleShot(10, lambda: handle(left - 1))
            return
        if seen is not None:
            seen.append(texts(dialog))
        if fill is not None:
            fill(dialog)  # type: ignore[arg-type]
        wanted = role.value if hasattr(role, "value") else int(role)
        button = next((b for b, r in _buttons(dialog) if r == wanted), None)
        if button is None:
            dialog.close()  # never leave a test waiting on a modal dialog
            raise AssertionError(f"no button of role {role} in {texts(dialog)!r}")
        button.click()

    QTimer.singleShot(0, lambda: handle(tries))
