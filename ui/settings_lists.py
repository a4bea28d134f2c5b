"""A small list + form editor used by the Paramètres dialogs (VAT, accounts, cost grid, users).

The editor knows nothing of the business: it is given how to read the rows, how to load a
record into a plain dataclass and how to save it (an ``app`` use case run through
``ctx.call``). Errors come back as ValidationErrors and are shown under their fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import PropreoError
from app.i18n import _
from ui.context import UiContext
from ui.forms import Field, FormWidget
from ui.operations import show_error
from ui.table import Column, RecordList


class ListEditor(QWidget):
    """Rows on the left, the selected record's form on the right, New / Save buttons."""

    def __init__(
        self,
        ctx: UiContext,
        *,
        columns: Sequence[Column],
        fields: Sequence[Field],
        rows: Callable[[Any], list[Any]],
        new_form: Callable[[], Any],
        load_form: Callable[[Any, int], Any],
        save: Callable[[Any, int | None, Any], Any],
        toggle_active: Callable[[Any, int, bool], Any] | None = None,
        topic: str = "settings",
        export_name: str = "liste",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._rows, self._new_form, self._load_form = rows, new_form, load_form
        self._save, self._toggle, self.topic = save, toggle_active, topic
        self.current_id: int | None = None
        self.list = RecordList(columns, export_name=export_name, parent=self)
        self.list.selection_changed.connect(self._on_select)
        self.list.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.form = FormWidget(fields, self)
        self.new_button = QPushButton(_("Nouveau"), self)
        self.new_button.clicked.connect(self.new)
        self.save_button = QPushButton(_("Enregistrer"), self)
        self.save_button.clicked.connect(self.save)
        self.toggle_button = QPushButton(_("Désactiver / réactiver"), self)
        self.toggle_button.clicked.connect(self.toggle)
        self.toggle_button.setVisible(toggle_active is not None)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.toggle_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.form)
        right_layout.addStretch(1)
        right_layout.addLayout(buttons)
        splitter = QSplitter(self)
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.refresh()
        self.new()

    def refresh(self) -> None:
        self.list.set_rows(self.ctx.query(self._rows))

    def new(self) -> None:
        self.current_id = None
        self.form.load(self._new_form())

    def _on_select(self, row: Any) -> None:
        if row is None:
            return
        self.current_id = row.id
        self.form.load(self.ctx.query(self._load_form, row.id))

    def select_id(self, record_id: int) -> None:
        for i, row in enumerate(self.list.visible_rows()):
            if row.id == record_id:
                self.list.view.selectRow(i)
                return

    def save(self) -> bool:
        data = self.form.dump(self._new_form())
        try:
            record = self.ctx.call(self._save, self.current_id, data, topic=self.topic)
        except PropreoError as exc:
            self.form.show_errors(exc)
            return False
        self.form.clear_errors()
        self.current_id = record.id if hasattr(record, "id") else self.current_id
        self.refresh()
        if self.current_id is not None:
            self.select_id(self.current_id)
        return True

    def toggle(self) -> None:
        row = self.list.current()
        if row is None or self._toggle is None:
            return
        try:
            self.ctx.call(self._toggle, row.id, not row.active, topic=self.topic)
        except PropreoError as exc:
            show_error(self, exc)
        self.refresh()


class EditorDialog(QDialog):
    """A dialog holding one or several named editors (tabs when more than one)."""

    def __init__(
        self, title: str, editors: Sequence[tuple[str, QWidget]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(1000, 620)
        layout = QVBoxLayout(self)
        if len(editors) == 1:
            layout.addWidget(editors[0][1])
        else:
            from PySide6.QtWidgets import QTabWidget

            self.tabs = QTabWidget(self)
            for name, widget in editors:
                self.tabs.addTab(widget, name)
            layout.addWidget(self.tabs)
        close = QDialogButtonBox(self)
        close.addButton(_("Fermer"), QDialogButtonBox.ButtonRole.RejectRole)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
