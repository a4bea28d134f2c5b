"""The confirmation asked before anything final (numbering, sending, deleting): it says what
will happen, the button names the action, « Annuler » is the default."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from app.i18n import _


def confirm(parent: QWidget | None, title: str, text: str, action: str, details: str = "") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    if details:
        box.setInformativeText(details)
    ok = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(_("Annuler"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is ok
