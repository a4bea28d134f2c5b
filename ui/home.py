"""Home tab: what needs doing today (each line opens its screen on its record) and the
turnover month by month, this year against last (by family or by client on demand).

The figures come from :mod:`app.dashboard`; this module only shows them and navigates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.company import get_company
from app.dashboard import Dashboard, Target, Turnover, dashboard, turnover, turnover_by
from app.errors import NotFoundError
from app.i18n import _, month_names
from app.money import format_amount
from ui.context import Tab, UiContext

LATE = QColor("#b3261e")
TARGET_ROLE = Qt.ItemDataRole.UserRole


class HomeTab(Tab):
    title = _("Accueil")
    help_chapter = "accueil"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.board: Dashboard | None = None
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.todo = QTreeWidget(self)
        self.todo.setHeaderLabels([_("À faire aujourd'hui"), _("Montant")])
        self.todo.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.todo.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.todo.header().setStretchLastSection(False)
        self.todo.setToolTip(_("Double-clic ou Entrée : ouvrir l'écran sur cet élément."))
        self.todo.itemActivated.connect(self._activated)
        self.turnover = TurnoverPanel(ctx, self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.todo)
        split.addWidget(self.turnover)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([780, 560])
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(split, 1)
        self.refresh()

    def refresh(self) -> None:
        self.label.setText(self.ctx.query(_header))
        self.board = self.ctx.query(dashboard)
        self.todo.clear()
        bold = self.todo.font()
        bold.setBold(True)
        for section in self.board.sections:
            top = QTreeWidgetItem([f"{section.title} — {section.summary}", ""])
            top.setFont(0, bold)
            if section.total is not None and section.total:
                top.setText(1, format_amount(section.total))
            self.todo.addTopLevelItem(top)
            for item in section.items:
                child = QTreeWidgetItem(
                    [item.text, format_amount(item.amount) if item.amount else ""]
                )
                child.setData(0, TARGET_ROLE, item.target)
                child.setToolTip(0, item.text)
                if item.late:
                    child.setForeground(0, QBrush(LATE))
                top.addChild(child)
            top.setData(0, TARGET_ROLE, section.items[0].target if section.items else None)
        self.todo.expandAll()
        self.turnover.refresh()

    def items(self, section: str) -> list[str]:
        """The lines shown under a section (tests read what the user sees)."""
        assert self.board is not None
        keys = [s.key for s in self.board.sections]
        top = self.todo.topLevelItem(keys.index(section))
        return [top.text(0)] + [top.child(i).text(0) for i in range(top.childCount())]

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        target = item.data(0, TARGET_ROLE)
        if isinstance(target, Target):
            self.open_target(target)

    def open_target(self, target: Target) -> Any:
        """Show the screen that deals with ``target`` on its record."""
        from ui.navigate import open_record

        return open_record(self.ctx.window, target.kind, target.key)


def _header(session: Any) -> str:
    from html import escape

    try:
        c = get_company(session)
    except NotFoundError as exc:
        return str(exc)
    today = clock.today()
    return f"<b>{escape(c.name or '')}</b> — {escape(c.city or '')} — " + _(
        "aujourd'hui {day}"
    ).format(day=today.strftime("%d/%m/%Y"))


class TurnoverPanel(QWidget):
    """Turnover HT month by month (bars: last year, this year), or by family / by client."""

    VIEWS = (("month", _("Par mois")), ("family", _("Par famille")), ("client", _("Par client")))

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.year = clock.today().year
        self.data: Turnover | None = None
        self.view = QComboBox(self)
        for key, label in self.VIEWS:
            self.view.addItem(_(label), key)
        self.view.currentIndexChanged.connect(lambda _i: self.refresh())
        self.totals = QLabel(self)
        self.chart = QChart()
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_view = QChartView(self.chart, self)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(240)
        self.table = QTableWidget(0, 3, self)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.chart_view)
        self.stack.addWidget(self.table)
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Chiffre d'affaires HT"), self))
        top.addWidget(self.view)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.totals)
        layout.addWidget(self.stack, 1)

    def refresh(self) -> None:
        self.data = self.ctx.query(turnover, self.year)
        d = self.data
        self.totals.setText(
            _("{year} : {this} — {last} : {prev}").format(
                year=d.year,
                this=format_amount(d.total),
                last=d.year - 1,
                prev=format_amount(d.total_last),
            )
        )
        by = self.view.currentData()
        if by == "month":
            self._chart(d)
            self.stack.setCurrentWidget(self.chart_view)
        else:
            self._table(self.ctx.query(turnover_by, self.year, by), by)
            self.stack.setCurrentWidget(self.table)

    def _chart(self, d: Turnover) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        series = QBarSeries()
        for year, values in ((d.year - 1, d.last_year), (d.year, d.this_year)):
            bars = QBarSet(str(year))
            for value in values:
                bars.append(float(value))  # drawing only; the figures shown are Decimal
            series.append(bars)
        self.chart.addSeries(series)
        months = QBarCategoryAxis()
        months.append([m.rstrip(".") for m in month_names("abbreviated")])
        small = months.labelsFont()
        small.setPointSize(max(small.pointSize() - 2, 7))
        months.setLabelsFont(small)
        self.chart.addAxis(months, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(months)
        amounts = QValueAxis()
        amounts.setLabelFormat("%.0f")
        top = max([*d.this_year, *d.last_year, Decimal(1)])
        amounts.setRange(0, float(top))
        self.chart.addAxis(amounts, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(amounts)
        amounts.applyNiceNumbers()

    def _table(self, rows: list[tuple[str, Decimal, Decimal]], by: str) -> None:
        first = _("Famille") if by == "family" else _("Client")
        self.table.setHorizontalHeaderLabels([first, str(self.year), str(self.year - 1)])
        self.table.setRowCount(len(rows))
        for i, (label, this, last) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(label))
            for col, value in ((1, this), (2, last)):
                cell = QTableWidgetItem(format_amount(value))
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, col, cell)

    def month_values(self) -> list[str]:
        """The amounts of this year's bars, as the tooltips and totals show them."""
        assert self.data is not None
        return [format_amount(v) for v in self.data.this_year]
