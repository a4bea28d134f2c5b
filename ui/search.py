"""Global search: a box in the main window's toolbar and Ctrl+K from anywhere. Type a
number, a name, a city or an amount; ↑/↓ choose, Entrée opens the record on its screen.
The search itself is :func:`app.search.search`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.search import MIN_LENGTH, Hit, search
from ui.context import UiContext

if TYPE_CHECKING:
    from ui.main_window import MainWindow

SHORTCUT = "Ctrl+K"
HIT_ROLE = Qt.ItemDataRole.UserRole


class SearchDialog(QDialog):
    """The query and its results, live; Entrée opens the chosen one (the first by default)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.opened: Any = None
        self.setWindowTitle(_("Rechercher"))
        self.resize(640, 420)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(
            _("N° de facture ou de devis, client, chantier, contrat, ville, montant…")
        )
        self.edit.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.status = QLabel(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(150)
        self.timer.timeout.connect(self.update_results)
        self.edit.textChanged.connect(lambda _t: self.timer.start())
        self.edit.returnPressed.connect(self.open_current)
        self.list.itemActivated.connect(lambda _item: self.open_current())
        self.edit.installEventFilter(self)
        self.update_results()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.list.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                row = min(max(self.list.currentRow() + step, 0), self.list.count() - 1)
                self.list.setCurrentRow(row)
                return True
        return super().eventFilter(watched, event)

    def set_query(self, text: str) -> None:
        self.edit.setText(text)
        self.update_results()

    def update_results(self) -> None:
        self.timer.stop()
        query = self.edit.text()
        hits: list[Hit] = self.ctx.query(search, query) if query.strip() else []
        self.list.clear()
        for hit in hits:
            item = QListWidgetItem(f"{hit.kind_label} — {hit.title}    {hit.detail}", self.list)
            item.setData(HIT_ROLE, hit)
            item.setToolTip(hit.detail)
        if hits:
            self.list.setCurrentRow(0)
        if len(query.strip()) < MIN_LENGTH:
            self.status.setText(_("Tapez au moins deux caractères."))
        elif not hits:
            self.status.setText(_("Aucun résultat pour « {q} ».").format(q=query.strip()))
        else:
            self.status.setText(_("Entrée : ouvrir ; ↑ ↓ : choisir."))

    def results(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def open_current(self) -> Any:
        if self.timer.isActive():  # Enter typed before the results caught up
            self.update_results()
        item = self.list.currentItem()
        if item is None:
            return None
        hit: Hit = item.data(HIT_ROLE)
        from ui.navigate import open_record

        self.accept()
        self.opened = open_record(self.ctx.window, hit.kind, hit.id)
        return self.opened


def install_search(window: MainWindow) -> None:
    """A box « Rechercher… » at the right of the menu bar (no extra row on a laptop screen)
    and Ctrl+K: both open the search on what is typed."""
    corner = QWidget(window.menuBar())
    box = QLineEdit(corner)
    box.setPlaceholderText(_("Rechercher… (Ctrl+K)"))
    box.setMinimumWidth(240)
    box.setClearButtonEnabled(True)
    row = QHBoxLayout(corner)
    row.setContentsMargins(0, 1, 8, 1)
    row.addWidget(box)
    window.menuBar().setCornerWidget(corner, Qt.Corner.TopRightCorner)
    window.search_box = box  # type: ignore[attr-defined]

    def open_search(text: str = "") -> SearchDialog:
        dialog = SearchDialog(window.ctx, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if text:
            dialog.set_query(text)
        dialog.show()
        dialog.edit.setFocus()
        window.search_dialog = dialog  # type: ignore[attr-defined]
        box.clear()
        return dialog

    window.open_search = open_search  # type: ignore[attr-defined]
    box.returnPressed.connect(lambda: open_search(box.text()))
    action = QAction(_("Rechercher…"), window)
    action.setShortcut(QKeySequence(SHORTCUT))
    action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    action.triggered.connect(lambda _=False: open_search(box.text()))
    window.addAction(action)
