"""Cahier de liaison: the tableau de compte rendu (filters, counts, weekly chart, .xlsx and
PDF exports) and the editable departments and categories."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.company import get_company
from app.errors import NotFoundError, PropreoError
from app.i18n import _
from app.liaison import entries as L
from app.liaison.dashboard import (
    Dashboard,
    dashboard_rows,
    export_dashboard_pdf,
    export_dashboard_xlsx,
    format_duration,
    load_dashboard,
)
from app.liaison.views import EntryFilter, choices
from ui.context import UiContext
from ui.liaison_quick import fill_combo, make_searchable
from ui.operations import show_error
from ui.table import Column, RecordList

DASHBOARD_COLUMNS = [
    Column(_("Axe"), lambda r: r[0], 90),
    Column(_("Valeur"), lambda r: r[1], 200),
    Column(
        _("Ouvertes"), lambda r: r[2], 70, tooltip=_("Ouvertes, en cours ou en attente du client.")
    ),
    Column(_("Dont en retard"), lambda r: r[3], 90, color=lambda r: "#b00020" if r[3] else None),
    Column(_("Clôturées"), lambda r: r[4], 70),
    Column(_("Total"), lambda r: r[5], 60),
]


def _firm_name(session: Any) -> str:
    try:
        return get_company(session).name
    except NotFoundError:
        return ""


class DashboardPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.board: Dashboard | None = None
        self.last_export = ""
        today = dt.date.today()
        self.date_from = QDateEdit(self)
        self.date_to = QDateEdit(self)
        for edit, value in ((self.date_from, dt.date(today.year, 1, 1)), (self.date_to, today)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setDate(QDate(value.year, value.month, value.day))
            edit.dateChanged.connect(self.refresh)
        self.department = QComboBox(self)
        self.category = QComboBox(self)
        self.assignee = QComboBox(self)
        self.client = QComboBox(self)
        make_searchable(self.client)
        for combo in (self.department, self.category, self.assignee, self.client):
            combo.currentIndexChanged.connect(self.refresh)
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.table = RecordList(DASHBOARD_COLUMNS, export_name="compte-rendu-liaison", parent=self)
        self.table.export_button.hide()  # the dashboard's own export adds the average
        self.chart = QChart()
        self.chart.setTitle(_("Fiches reçues et clôturées par semaine"))
        self.chart_view = QChartView(self.chart, self)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(220)
        xlsx = QPushButton(_("Exporter (.xlsx)"), self)
        xlsx.clicked.connect(self._export_xlsx)
        pdf = QPushButton(_("Rapport PDF…"), self)
        pdf.clicked.connect(self._export_pdf)

        filters = QGridLayout()
        for col, (label, widget) in enumerate(
            (
                (_("Du"), self.date_from),
                (_("Au"), self.date_to),
                (_("Service"), self.department),
                (_("Catégorie"), self.category),
                (_("Attribuée à"), self.assignee),
                (_("Client"), self.client),
            )
        ):
            filters.addWidget(QLabel(label, self), 0, col)
            filters.addWidget(widget, 1, col)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(xlsx)
        buttons.addWidget(pdf)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.chart_view)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        self._fill_filters()

    def _fill_filters(self) -> None:
        c = self.ctx.query(choices, include_inactive=True)
        fill_combo(self.department, c.departments, _("Tous"))
        fill_combo(self.category, c.categories, _("Toutes"))
        fill_combo(self.assignee, c.users, _("Tous"))
        fill_combo(self.client, c.clients, _("Tous"))

    def current_filter(self) -> EntryFilter:
        return EntryFilter(
            date_from=self.date_from.date().toPython(),
            date_to=self.date_to.date().toPython(),
            department_id=self.department.currentData(),
            category_id=self.category.currentData(),
            assignee_id=self.assignee.currentData(),
            client_id=self.client.currentData(),
        )

    def filters_text(self) -> str:
        parts = [
            f"{name} : {combo.currentText()}"
            for name, combo in (
                (_("Service"), self.department),
                (_("Catégorie"), self.category),
                (_("Attribuée à"), self.assignee),
                (_("Client"), self.client),
            )
            if combo.currentData() is not None
        ]
        return ", ".join(parts)

    def period_text(self) -> str:
        a, b = self.date_from.date().toPython(), self.date_to.date().toPython()
        return _("du {a} au {b}").format(a=a.strftime("%d/%m/%Y"), b=b.strftime("%d/%m/%Y"))

    def refresh(self) -> None:
        board: Dashboard = self.ctx.query(load_dashboard, self.current_filter())
        self.board = board
        t = board.total
        self.summary.setText(
            _(
                "<b>{total}</b> fiches · <b>{open}</b> ouvertes (dont "
                "<span style='color:#b00020'><b>{late}</b> en retard</span>) · "
                "<b>{closed}</b> clôturées · délai moyen de clôture <b>{avg}</b>"
            ).format(
                total=t.total,
                open=t.open,
                late=t.overdue,
                closed=t.closed,
                avg=format_duration(board.average_close),
            )
        )
        self.table.set_rows(dashboard_rows(board))
        self._draw_chart(board)

    def _draw_chart(self, board: Dashboard) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        weeks = board.weeks[-26:]  # half a year is what fits
        received, closed = QBarSet(_("Reçues")), QBarSet(_("Clôturées"))
        for w in weeks:
            received.append(w.created)
            closed.append(w.closed)
        series = QBarSeries()
        series.append(received)
        series.append(closed)
        self.chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([f"S{w.week_start.isocalendar()[1]:02d}" for w in weeks])
        y = QValueAxis()
        y.setLabelFormat("%d")
        top = max([1] + [max(w.created, w.closed) for w in weeks])
        top = top if top <= 10 else (top + 4) // 5 * 5
        y.setRange(0, top)
        y.setTickCount(top + 1 if top <= 10 else 6)
        self.chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)

    def chart_values(self) -> list[tuple[str, int, int]]:
        """What the chart shows (week label, received, closed), for tests and tooltips."""
        series = self.chart.series()
        if not series:
            return []
        sets = series[0].barSets()
        axis = self.chart.axes(Qt.Orientation.Horizontal)[0]
        labels = axis.categories()
        return [(labels[i], int(sets[0].at(i)), int(sets[1].at(i))) for i in range(len(labels))]

    def _export_xlsx(self) -> None:
        path, _f = QFileDialog.getSaveFileName(
            self, _("Exporter"), "compte-rendu-liaison.xlsx", "Classeur Excel (*.xlsx)"
        )
        if path and self.board is not None:
            self.export_xlsx(path)

    def export_xlsx(self, path: str) -> None:
        board = self.board
        assert board is not None
        self.ctx.run(
            self,
            _("Export en cours…"),
            lambda _s, _p: export_dashboard_xlsx(board, path),
            write=False,
            on_done=self._exported,
        )

    def _export_pdf(self) -> None:
        path, _f = QFileDialog.getSaveFileName(
            self, _("Rapport PDF"), "compte-rendu-liaison.pdf", "PDF (*.pdf)"
        )
        if path and self.board is not None:
            self.export_pdf(path)

    def export_pdf(self, path: str) -> None:
        board, period, filters = self.board, self.period_text(), self.filters_text()
        assert board is not None

        def work(session: Any, _progress: Any) -> Any:
            firm = _firm_name(session)
            return export_dashboard_pdf(board, path, firm=firm, period=period, filters=filters)

        self.ctx.run(
            self,
            _("Rapport en cours…"),
            work,
            write=False,
            on_done=self._exported,
        )

    def _exported(self, path: Any) -> None:
        """Say where the file went without a modal box (the user keeps working)."""
        self.last_export = str(path)
        window = self.ctx.window
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(_("Fichier enregistré : {p}").format(p=path), 10000)


class _NamedList(QWidget):
    """One editable list (services or categories): add, rename, (de)activate."""

    def __init__(self, ctx: UiContext, title: str, save: Any, key: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self.save, self.key = ctx, save, key
        self.list = RecordList(
            [Column(title, lambda r: r[1], 220), Column(_("Active"), lambda r: r[2], 60)],
            export_name=title,
            parent=self,
        )
        self.name = QLineEdit(self)
        self.name.setPlaceholderText(_("Nom"))
        add = QPushButton(_("Ajouter"), self)
        add.clicked.connect(self.add)
        rename = QPushButton(_("Renommer"), self)
        rename.clicked.connect(self.rename)
        toggle = QPushButton(_("Activer / désactiver"), self)
        toggle.clicked.connect(self.toggle)
        row = QHBoxLayout()
        for w in (self.name, add, rename, toggle):
            row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{title}</b>", self))
        layout.addWidget(self.list, 1)
        layout.addLayout(row)

    def set_rows(self, rows: list[tuple[int, str, bool]]) -> None:
        self.list.set_rows(rows)

    def _call(self, name: str, obj_id: int | None, active: bool) -> None:
        try:
            self.ctx.call(self.save, name, **{self.key: obj_id, "active": active}, topic="liaison")
        except PropreoError as exc:
            show_error(self, exc)
            return
        self.name.clear()

    def add(self) -> None:
        self._call(self.name.text(), None, True)

    def rename(self) -> None:
        row = self.list.current()
        if row is not None:
            self._call(self.name.text(), row[0], row[2])

    def toggle(self) -> None:
        row = self.list.current()
        if row is not None:
            self._call(row[1], row[0], not row[2])


class SettingsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.departments = _NamedList(ctx, _("Services"), L.save_department, "department_id", self)
        self.categories = _NamedList(ctx, _("Catégories"), L.save_category, "category_id", self)
        layout = QHBoxLayout(self)
        layout.addWidget(self.departments)
        layout.addWidget(self.categories)

    def refresh(self) -> None:
        rows = self.ctx.query(_named_rows)
        self.departments.set_rows(rows["departments"])
        self.categories.set_rows(rows["categories"])


def _named_rows(session: Any) -> dict[str, list[tuple[int, str, bool]]]:
    active = choices(session)
    every = choices(session, include_inactive=True)
    return {
        key: [
            (i, name, i in {a for a, _n in getattr(active, key)}) for i, name in getattr(every, key)
        ]
        for key in ("departments", "categories")
    }
