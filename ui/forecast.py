"""Prévisionnel: pipeline of open quotes and billing forecast for the next 12 months
(table per family and month, stacked bar chart)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, month_names
from app.money import format_amount
from app.quotes import forecast
from models.quotes import QuoteStatus
from ui.context import Tab, UiContext
from ui.table import Column, RecordList

MONTHS = month_names("abbreviated")
PIPELINE = [
    Column(_("Mois"), lambda c: f"{MONTHS[c.month.month - 1]} {c.month.year}", 90),
    Column(_("Statut"), lambda c: QuoteStatus.LABELS[c.status], 90),
    Column(_("Devis"), lambda c: c.count, 60),
    Column(_("Montant HT"), lambda c: c.amount_ht, 110),
    Column(_("Pondéré HT"), lambda c: c.weighted_ht, 110, tooltip=_("Montant × probabilité")),
]


def month_label(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year % 100:02d}"


class ForecastTab(Tab):
    title = _("Prévisionnel")
    help_chapter = "previsionnel"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.today = dt.date.today
        self.pipeline = RecordList(PIPELINE, export_name="pipe", parent=self)
        self.pipeline_total = QLabel(self)
        self.table = QTableWidget(self)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.chart = QChart()
        self.chart.setTitle(_("Facturation prévisionnelle par famille (HT)"))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_view = QChartView(self.chart, self)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(260)
        top = QWidget(self)
        t = QVBoxLayout(top)
        t.setContentsMargins(0, 0, 0, 0)
        t.addWidget(QLabel(_("Pipe commercial : devis en cours par statut et par mois"), top))
        t.addWidget(self.pipeline)
        t.addWidget(self.pipeline_total)
        bottom = QWidget(self)
        b = QVBoxLayout(bottom)
        b.setContentsMargins(0, 0, 0, 0)
        b.addWidget(
            QLabel(_("Prévisionnel de facturation à 12 mois : contrats + TC acceptés non facturés"))
        )
        b.addWidget(self.table)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.addWidget(self.chart_view)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.refresh()

    def refresh(self) -> None:
        cells = self.ctx.query(forecast.pipeline)
        self.pipeline.set_rows(cells)
        total = sum((c.amount_ht for c in cells), Decimal(0))
        weighted = sum((c.weighted_ht for c in cells), Decimal(0))
        self.pipeline_total.setText(
            _("Total du pipe : {total} HT, pondéré {weighted} HT").format(
                total=format_amount(total), weighted=format_amount(weighted)
            )
        )
        self.forecast = self.ctx.query(forecast.billing_forecast, self.today())
        self._fill_table(self.forecast)
        self._fill_chart(self.forecast)

    def _fill_table(self, fc: forecast.Forecast) -> None:
        sources = {"contract": _("dont contrats"), "extra_work": _("dont TC")}
        rows = [*fc.by_family.items(), (_("Total"), fc.totals)]
        rows += [(sources.get(k, k), v) for k, v in sorted(fc.by_source.items())]
        self.table.setColumnCount(len(fc.months) + 2)
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(
            [_("Famille"), *(month_label(m) for m in fc.months), _("Total")]
        )
        for r, (label, amounts) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(label))
            for c, amount in enumerate([*amounts, sum(amounts, Decimal(0))], start=1):
                item = QTableWidgetItem(format_amount(amount, currency=False))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def _fill_chart(self, fc: forecast.Forecast) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        series = QStackedBarSeries()
        for family, amounts in fc.by_family.items():
            bar = QBarSet(family)
            for amount in amounts:
                bar.append(float(amount))  # drawing only; amounts stay Decimal elsewhere
            series.append(bar)
        self.chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([month_label(m) for m in fc.months])
        values = QValueAxis()
        values.setLabelFormat("%.0f")
        values.setTitleText(_("€ HT"))
        values.setMin(0)
        self.chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(categories)
        series.attachAxis(values)
