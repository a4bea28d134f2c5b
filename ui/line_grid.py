"""Base of the editable line grids (quote lines, draft invoice lines): text cells and
drop-down cells, each row keeping the record it was loaded from so that a save gives back
what the grid does not show; read-only mode for a document no longer editable."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QTableWidget, QTableWidgetItem, QWidget

from ui.quote_builder import decimal_text
from ui.table import set_widths


class LineGrid(QTableWidget):
    COMBO_COLUMNS: tuple[int, ...] = ()
    ORIGIN_COLUMN = 1  # the text cell holding the loaded record (UserRole)
    # Where a chosen article writes its designation, unit, price and VAT.
    ARTICLE_COLUMN, UNIT_COLUMN, PRICE_COLUMN, VAT_COLUMN = 0, 3, 4, 6

    changed = Signal()  # a cell typed or a list choice changed (not the computed cells)

    def __init__(self, headers: list[str], widths: dict[int, int], parent: QWidget | None) -> None:
        super().__init__(0, len(headers), parent)
        self.building = False  # a row being built: its cells are not changes of the user's
        self.itemChanged.connect(lambda _item: self._changed())
        self.setHorizontalHeaderLabels(headers)
        self.horizontalHeader().setStretchLastSection(True)
        set_widths(self, [widths.get(c, 0) for c in range(len(headers))])
        self.read_only = False
        self._edit_triggers = self.editTriggers()
        self.articles: dict[int, Any] = {}  # app.choices.ArticleChoice by id

    def _changed(self) -> None:
        if not self.building:
            self.changed.emit()

    def vat_of(self, article: Any) -> tuple[Any, str]:
        """The VAT value (as the VAT combo stores it) and label an article brings."""
        raise NotImplementedError

    def put_article(self, r: int, article_id: int | None) -> None:
        choices = [(None, "—")] + [(a.id, a.label) for a in self.articles.values()]
        combo = self.put_combo(r, self.ARTICLE_COLUMN, choices, article_id, f"n° {article_id}")
        complete_as_typed(combo)
        combo.currentIndexChanged.connect(lambda _i, c=combo: self._article_chosen(c))

    def _article_chosen(self, combo: QComboBox) -> None:
        """A newly chosen article fills the designation, unit, price and VAT of its row."""
        row = self.row_of(combo, self.ARTICLE_COLUMN)
        article = self.articles.get(combo.currentData())
        if row < 0 or article is None:
            return
        self.item(row, self.ORIGIN_COLUMN).setText(article.text)
        self.item(row, self.UNIT_COLUMN).setText(article.unit)
        self.item(row, self.PRICE_COLUMN).setText(decimal_text(article.unit_price))
        select_value(self.combo(row, self.VAT_COLUMN), *self.vat_of(article))

    def new_row(self, origin: Any, texts: dict[int, str]) -> int:
        r = self.rowCount()
        self.insertRow(r)
        for column, text in texts.items():
            self.setItem(r, column, QTableWidgetItem(text))
        self.item(r, self.ORIGIN_COLUMN).setData(Qt.ItemDataRole.UserRole, origin)
        return r

    def origin(self, r: int) -> Any:
        return self.item(r, self.ORIGIN_COLUMN).data(Qt.ItemDataRole.UserRole)

    def put_combo(
        self, r: int, column: int, choices: list[tuple[Any, str]], value: Any, unknown: str
    ) -> QComboBox:
        combo = QComboBox(self)
        for data, label in choices:
            combo.addItem(label, data)
        select_value(combo, value, unknown)
        combo.setEnabled(not self.read_only)
        combo.currentIndexChanged.connect(lambda _i: self._changed())
        self.setCellWidget(r, column, combo)
        return combo

    def combo(self, r: int, column: int) -> QComboBox:
        widget = self.cellWidget(r, column)
        assert isinstance(widget, QComboBox)
        return widget

    def row_of(self, widget: QWidget, column: int) -> int:
        return next((r for r in range(self.rowCount()) if self.cellWidget(r, column) is widget), -1)

    def text(self, r: int, column: int) -> str:
        item = self.item(r, column)
        return item.text().strip() if item else ""

    def cell_text(self, r: int, column: int) -> str:
        widget = self.cellWidget(r, column)
        if isinstance(widget, QComboBox):
            return widget.currentText()
        return self.item(r, column).text()

    def set_cell(self, r: int, column: int, value: Any) -> None:
        """Type ``value`` into a text cell or choose it (by its stored value) in a list."""
        widget = self.cellWidget(r, column)
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(widget.findData(value))
        else:
            self.item(r, column).setText(str(value))

    def remove_current(self) -> bool:
        row = self.currentRow()
        if self.read_only or row < 0:
            return False
        self.removeRow(row)
        return True

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.setEditTriggers(
            QTableWidget.EditTrigger.NoEditTriggers if read_only else self._edit_triggers
        )
        for r in range(self.rowCount()):
            for column in self.COMBO_COLUMNS:
                self.cellWidget(r, column).setEnabled(not read_only)


def select_value(combo: QComboBox, value: Any, unknown_label: str) -> None:
    """Select ``value`` without signals; a stored value the list no longer offers (an inactive
    article or VAT rate) is added rather than silently replaced by the first choice."""
    combo.blockSignals(True)
    index = combo.findData(value)
    if index < 0:
        combo.addItem(unknown_label, value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)
    combo.blockSignals(False)


def complete_as_typed(combo: QComboBox) -> None:
    """Let the user type part of an article's code or label (« vitr ») and pick it from the
    matches, instead of scrolling the whole catalogue; what matches nothing is not added."""
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = combo.completer()
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
