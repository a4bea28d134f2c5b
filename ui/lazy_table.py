"""Paged lists for tables of a hundred thousand rows (the invoice list of Facturation).

``ui.table.RecordList`` holds every row in memory and searches and sorts them in Python;
that costs seconds at 100,000 invoices. Here the database does the work: the model asks
a *count* function for the number of matching rows and a *page* function for one page
(``offset``/``limit``) at a time, with the search text, the filters and the sort passed
to both, so opening the list, typing in the search box or clicking a header reads one
COUNT and one page of 200 rows. Qt asks for more rows through ``canFetchMore`` /
``fetchMore`` when the view is scrolled to its end.

Both functions are plain callables supplied by the tab (they go through ``ctx.query``):

* ``count(**filters, search=...) -> int``
* ``page(**filters, search=..., sort=..., descending=..., offset=..., limit=...) -> list``
  (``limit=None``: every row, used by the export).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, ngettext
from ui.table import Column, Index, ListActions, cell_data, header_data, list_view

PAGE_SIZE = 200


class PagedTableModel(QAbstractTableModel):
    """Rows read from the database one page at a time; search, filters and sort in SQL."""

    def __init__(
        self,
        columns: Sequence[Column],
        sort_keys: Sequence[str | None],
        count: Callable[..., int],
        page: Callable[..., list[Any]],
        *,
        page_size: int = PAGE_SIZE,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.sort_keys = list(sort_keys)
        self._count = count
        self._page = page
        self.page_size = page_size
        self.filters: dict[str, Any] = {}
        self.search = ""
        self.sorted_by: tuple[str, bool] | None = None  # (sort key, descending); None: default
        self.rows: list[Any] = []
        self.total = 0
        self.loaded = False

    # --- queries ----------------------------------------------------------------------

    def _order(self) -> dict[str, Any]:
        sort, descending = self.sorted_by or (None, False)
        return {"sort": sort, "descending": descending}

    def reload(self) -> None:
        """The first page for the current filters, search and sort, and one COUNT."""
        self.beginResetModel()
        self.rows = self._page(
            **self.filters, search=self.search, **self._order(), offset=0, limit=self.page_size
        )
        # A short first page is the whole answer: no COUNT (a rare search word would
        # otherwise scan the table twice, once for the page and once for the count).
        short = len(self.rows) < self.page_size
        self.total = len(self.rows) if short else self._count(**self.filters, search=self.search)
        self.loaded = True
        self.endResetModel()

    def set_filters(self, **filters: Any) -> None:
        self.filters = filters
        self.reload()

    def set_search(self, text: str) -> None:
        if text.strip() != self.search:
            self.search = text.strip()
            self.reload()

    def all_rows(self) -> list[Any]:
        """Every matching row in the list's order (the full query, for the export)."""
        return self._page(**self.filters, search=self.search, **self._order(), offset=0, limit=None)

    def row_at(self, row: int) -> Any:
        return self.rows[row]

    # --- Qt lazy loading and sort -----------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or len(self.rows) >= self.total:
            return
        start = len(self.rows)
        batch = self._page(
            **self.filters, search=self.search, **self._order(), offset=start, limit=self.page_size
        )
        if not batch:  # rows deleted since the count: stop asking
            self.total = start
            return
        self.beginInsertRows(QModelIndex(), start, start + len(batch) - 1)
        self.rows.extend(batch)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.sort_keys[column] if 0 <= column < len(self.sort_keys) else None
        self.sorted_by = None if key is None else (key, order == Qt.SortOrder.DescendingOrder)
        if self.loaded:
            self.reload()

    # --- display ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return cell_data(self.columns, self.rows, index, role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_data(self.columns, section, orientation, role)


class PagedRecordList(ListActions, QWidget):
    """Search box + row count + sortable paged table + export to .xlsx.

    Same signals and accessors as ``ui.table.RecordList`` (``activated``,
    ``selection_changed``, ``current()``, ``selected()``, ``visible_rows()``,
    ``export_xlsx()``); ``set_filters(**filters)`` replaces ``set_rows``.
    """

    activated = Signal(object)
    selection_changed = Signal(object)

    def __init__(
        self,
        columns: Sequence[Column],
        sort_keys: Sequence[str | None],
        count: Callable[..., int],
        page: Callable[..., list[Any]],
        *,
        export_name: str = "export",
        page_size: int = PAGE_SIZE,
        footer: Callable[..., str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = PagedTableModel(columns, sort_keys, count, page, page_size=page_size)
        self.model.setParent(self)
        self.export_name = export_name

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(_("Rechercher…"))
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip(
            _(
                "N°, client, objet, type, statut, date (JJ/MM/AAAA) ou montant exact ; "
                "la recherche se fait dans la base, au fil de la frappe."
            )
        )
        self.search.textChanged.connect(self.model.set_search)
        self.count_label = QLabel(self)
        self.export_button = QPushButton(_("Exporter (.xlsx)"), self)
        self.export_button.setToolTip(
            _("Toutes les lignes de la recherche, pas seulement celles affichées.")
        )
        self.export_button.clicked.connect(self._export)

        self.view = list_view(self, self.model, columns)
        # No column sorted at first: the query's own order (newest first).
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.model.modelReset.connect(self._show_count)
        self.footer = QLabel(self)
        self.footer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.footer.setVisible(footer is not None)
        if footer is not None:
            self.model.modelReset.connect(
                lambda: self.footer.setText(footer(**self.model.filters, search=self.model.search))
            )

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view)
        layout.addWidget(self.footer)

    def _show_count(self) -> None:
        self.count_label.setText(
            ngettext("{n} ligne", "{n} lignes", self.model.total).format(
                n=f"{self.model.total:,}".replace(",", "\u202f")
            )
        )

    def set_filters(self, **filters: Any) -> None:
        self.model.set_filters(**filters)

    def record_at(self, index: Index) -> Any:
        return self.model.row_at(index.row())

    def loaded_rows(self) -> list[Any]:
        """The rows read so far (the pages fetched), in display order."""
        return list(self.model.rows)

    def visible_rows(self) -> list[Any]:
        """Every row matching the search and filters (runs the full query)."""
        return self.model.all_rows()
