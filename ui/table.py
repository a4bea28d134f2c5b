"""Lists are models: plain read-only row records → QAbstractTableModel → proxy → view.

Rows are plain objects (dataclasses, named tuples), never live ORM objects. Columns say
how to show a row. ``data()`` returns ``None`` for roles it does not handle; this is
why PySide6 is pinned below 6.12 (6.12.0 over-releases None there on Python 3.11).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.money import format_amount

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    get: Callable[[Any], Any]
    width: int = 0
    tooltip: str = ""
    color: Callable[[Any], str | None] | None = None


def display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, Decimal):
        return format_amount(value, currency=False)
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def sort_key(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (Decimal, int)):
        return float(value)  # display sorting only, never stored or summed
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).casefold()


# From this size on, a click on a header sorts the records themselves (``model.rows`` is
# then in display order); smaller lists keep Qt's proxy sort and their loading order.
FAST_SORT_ROWS = 5000


class RecordTableModel(QAbstractTableModel):
    def __init__(self, columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._haystacks: list[str] | None = None
        if self.sorted_by is not None and not self._sort_in_place(*self.sorted_by):
            self.sorted_by = None
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self.rows[row]

    # Large lists (100,000 invoices): search and sort in Python over the row records, one
    # call per row, instead of Qt calling data() for every cell (see SearchProxy).
    sorted_by: tuple[int, bool] | None = None
    _haystacks: list[str] | None = None

    def haystack(self, row: int) -> str:
        """Every column's displayed text of a row, casefolded (built once per set_rows)."""
        if self._haystacks is None:
            getters = [c.get for c in self.columns]
            shown: dict[tuple[type, str], str] = {}  # amounts and dates repeat: format once

            def text(value: Any) -> str:
                if isinstance(value, (Decimal, dt.date)):
                    key = (type(value), str(value))
                    if key not in shown:
                        shown[key] = display(value)
                    return shown[key]
                return display(value)

            self._haystacks = [
                "\t".join([text(get(r)) for get in getters]).casefold() for r in self.rows
            ]
        return self._haystacks[row]

    def _sort_in_place(self, column: int, descending: bool) -> bool:
        get = self.columns[column].get

        def key(r: Any) -> tuple[bool, Any]:
            value = get(r)
            return (value is not None, sort_key(value))

        try:
            order = sorted(
                range(len(self.rows)), key=lambda i: key(self.rows[i]), reverse=descending
            )
        except TypeError:  # mixed value types in one column: let Qt compare them
            return False
        self.rows = [self.rows[i] for i in order]
        if self._haystacks is not None:
            self._haystacks = [self._haystacks[i] for i in order]
        return True

    def sort_rows(self, column: int, descending: bool) -> bool:
        """Sort the records themselves; False when Qt must sort (mixed types)."""
        self.layoutAboutToBeChanged.emit()
        done = self._sort_in_place(column, descending)
        self.sorted_by = (column, descending) if done else None
        self.layoutChanged.emit()
        return done

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.UserRole:
            return sort_key(self.columns[index.column()].get(self.rows[index.row()]))
        return cell_data(self.columns, self.rows, index, role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_data(self.columns, section, orientation, role)


def cell_data(columns: Sequence[Column], rows: Sequence[Any], index: Index, role: int) -> Any:
    """What a list model shows for a cell (text, alignment, colour); None for other roles."""
    if not index.isValid():
        return None
    column = columns[index.column()]
    row = rows[index.row()]
    if role == Qt.ItemDataRole.DisplayRole:
        return display(column.get(row))
    if role == Qt.ItemDataRole.TextAlignmentRole:
        value = column.get(row)
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
    if role == Qt.ItemDataRole.ForegroundRole and column.color is not None:
        color = column.color(row)
        return QColor(color) if color else None
    return None


def header_data(
    columns: Sequence[Column], section: int, orientation: Qt.Orientation, role: int
) -> Any:
    if orientation == Qt.Orientation.Horizontal:
        if role == Qt.ItemDataRole.DisplayRole:
            return columns[section].title
        if role == Qt.ItemDataRole.ToolTipRole and columns[section].tooltip:
            return columns[section].tooltip
    return None


class SearchProxy(QSortFilterProxyModel):
    """Search-as-you-type over every column, plus an optional row predicate."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(Qt.ItemDataRole.UserRole)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.predicate: Callable[[Any], bool] | None = None
        self.needle = ""

    def set_search(self, text: str) -> None:
        """Search-as-you-type: a casefolded substring of any displayed column."""
        self._refilter(lambda: setattr(self, "needle", text.casefold()))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        if (
            isinstance(model, RecordTableModel)
            and column >= 0
            and len(model.rows) >= FAST_SORT_ROWS
            and model.sort_rows(column, order == Qt.SortOrder.DescendingOrder)
        ):
            # The records are in order: keep the source order (-1 with Descending reverses).
            super().sort(-1, Qt.SortOrder.AscendingOrder)
            return
        super().sort(column, order)

    def set_predicate(self, predicate: Callable[[Any], bool] | None) -> None:
        self._refilter(lambda: setattr(self, "predicate", predicate))

    def _refilter(self, change: Callable[[], None]) -> None:
        """Apply a filter change the Qt 6.10 way (invalidateFilter() is deprecated)."""
        self.beginFilterChange()
        change()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if (
            self.predicate is not None
            and isinstance(model, RecordTableModel)
            and not self.predicate(model.row_at(source_row))
        ):
            return False
        if isinstance(model, RecordTableModel):
            return not self.needle or self.needle in model.haystack(source_row)
        return super().filterAcceptsRow(source_row, source_parent)


def set_widths(view: QTableView, widths: Sequence[int] = ()) -> None:
    """Give each column its width (0: Qt's default), never less than its title needs with
    the sort arrow, so that no header reads « Date de révisior »."""
    header = view.horizontalHeader()
    for i in range(header.count()):
        wanted = widths[i] if i < len(widths) and widths[i] else header.sectionSize(i)
        view.setColumnWidth(i, max(wanted, header.sectionSizeHint(i)))


def list_view(owner: Any, model: Any, columns: Sequence[Column]) -> QTableView:
    """The table of a list (``RecordList`` or ``ui.lazy_table.PagedRecordList``): whole
    rows selected, read-only, sortable, each column its width; a double click or the
    current row changing emits ``owner.activated`` / ``owner.selection_changed`` with the
    record (``owner.record_at``)."""
    view = QTableView(owner)
    view.setModel(model)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    set_widths(view, [col.width for col in columns])
    view.doubleClicked.connect(lambda idx: owner.activated.emit(owner.record_at(idx)))
    view.selectionModel().currentRowChanged.connect(
        lambda idx, _prev: owner.selection_changed.emit(
            owner.record_at(idx) if idx.isValid() else None
        )
    )
    return view


class ListActions:
    """What every list offers whatever holds its rows: the current and selected records,
    and « Exporter (.xlsx) » of the rows matching its search (a refusal of the disk said
    in French). The list defines ``view``, ``model`` (with ``columns``), ``export_name``,
    ``record_at(index)`` and ``visible_rows()``."""

    view: QTableView
    model: Any
    export_name: str

    def record_at(self, index: Index) -> Any:
        raise NotImplementedError

    def visible_rows(self) -> list[Any]:
        raise NotImplementedError

    def current(self) -> Any:
        index = self.view.currentIndex()
        return self.record_at(index) if index.isValid() else None

    def selected(self) -> list[Any]:
        rows = {i.row(): i for i in self.view.selectionModel().selectedRows()}
        return [self.record_at(rows[r]) for r in sorted(rows)]

    def _export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self.view.window(),
            _("Exporter"),
            f"{self.export_name}.xlsx",
            _("Classeur Excel (*.xlsx)"),
        )
        if path:
            from app.errors import PropreoError
            from ui.operations import show_error

            try:
                self.export_xlsx(path)
            except PropreoError as exc:  # full disk, read-only media: one French sentence
                show_error(self.view.window(), exc)

    def export_xlsx(self, path: str) -> None:
        from reports.xlsx import write_table

        headers = [c.title for c in self.model.columns]
        rows = [[c.get(r) for c in self.model.columns] for r in self.visible_rows()]
        write_table(path, self.export_name, headers, rows)


class RecordList(ListActions, QWidget):
    """Search box + optional filter combo + sortable table + export to .xlsx."""

    activated = Signal(object)  # the row record double-clicked or Enter
    selection_changed = Signal(object)  # the current row record or None

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        filters: Sequence[tuple[str, Callable[[Any], bool] | None]] = (),
        export_name: str = "export",
        footer: Callable[[list[Any]], str] | None = None,
        total: Callable[[list[Any]], Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = RecordTableModel(columns, self)
        self.proxy = SearchProxy(self)
        self.proxy.setSourceModel(self.model)
        self.export_name = export_name

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(_("Rechercher…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_search)
        self.filter_combo = QComboBox(self)
        self._filters = list(filters)
        for label, _pred in self._filters:
            self.filter_combo.addItem(label)
        self.filter_combo.setVisible(bool(self._filters))
        self.filter_combo.currentIndexChanged.connect(
            lambda i: self.proxy.set_predicate(self._filters[i][1] if self._filters else None)
        )
        self.export_button = QPushButton(_("Exporter (.xlsx)"), self)
        self.export_button.clicked.connect(self._export)

        self.view = list_view(self, self.proxy, columns)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.filter_combo)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view)
        # Under the list: its Total row, pinned (never sorted nor scrolled away), and its
        # totals as a sentence; both for the rows shown (after search and filter).
        self.total_view: QTableView | None = None
        if total is not None:
            self.total_view = self._pinned_total(columns)
            layout.addWidget(self.total_view)
        self.footer = QLabel(self)
        self.footer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.footer.setVisible(footer is not None)
        layout.addWidget(self.footer)
        self._footer, self._total = footer, total
        if footer is not None or total is not None:
            for signal in (
                self.proxy.modelReset,
                self.proxy.layoutChanged,
                self.proxy.rowsInserted,
                self.proxy.rowsRemoved,
            ):
                signal.connect(lambda *_a: self._show_totals())

    def _pinned_total(self, columns: Sequence[Column]) -> QTableView:
        """A one-row table under the list, its columns kept as wide as the list's."""
        view = QTableView(self)
        view.setModel(RecordTableModel(columns, view))
        view.horizontalHeader().setVisible(False)
        view.verticalHeader().setVisible(False)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        font = view.font()
        font.setBold(True)
        view.setFont(font)
        view.setFixedHeight(view.verticalHeader().defaultSectionSize() + 2 * view.frameWidth())
        header = self.view.horizontalHeader()
        view.horizontalHeader().setStretchLastSection(True)
        for i in range(header.count()):
            view.setColumnWidth(i, header.sectionSize(i))
        header.sectionResized.connect(lambda i, _old, new: view.setColumnWidth(i, new))
        self.view.horizontalScrollBar().valueChanged.connect(view.horizontalScrollBar().setValue)
        return view

    def _show_totals(self) -> None:
        rows = self.visible_rows()
        if self._footer is not None:
            self.footer.setText(self._footer(rows))
        if self.total_view is not None and self._total is not None:
            self.total_view.model().set_rows([self._total(rows)])

    def total_row(self) -> Any:
        """The record shown in the pinned Total row (None without one)."""
        if self.total_view is None or not self.total_view.model().rowCount():
            return None
        return self.total_view.model().row_at(0)

    def set_rows(self, rows: Sequence[Any]) -> None:
        column = self.proxy.sortColumn()
        if column >= 0 and len(rows) >= FAST_SORT_ROWS:
            # Hand the current sort over to the model (Python, one key per row) before the
            # reset, instead of Qt re-sorting 100,000 rows through data().
            descending = self.proxy.sortOrder() == Qt.SortOrder.DescendingOrder
            self.proxy.sort(-1, Qt.SortOrder.AscendingOrder)
            self.model.sorted_by = (column, descending)
        self.model.set_rows(rows)

    def select_first(self) -> bool:
        """Select the first listed row when none is, as a screen opens on a record rather
        than on a blank form; False when the list is empty."""
        if not self.proxy.rowCount():
            return False
        if not self.view.currentIndex().isValid():
            self.view.selectRow(0)
        return True

    def record_at(self, proxy_index: Index) -> Any:
        return self.model.row_at(self.proxy.mapToSource(proxy_index).row())

    def visible_rows(self) -> list[Any]:
        return [self.record_at(self.proxy.index(r, 0)) for r in range(self.proxy.rowCount())]
