"""Planning tab: the week's jobs for accepted extra works, progress, invoicing from the quote."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.errors import PropreoError, ValidationError
from app.fiscal import parse_date
from app.i18n import _
from app.money import format_amount, format_quantity
from app.quotes import invoicing, planning
from ui.context import Tab, UiContext
from ui.operations import show_error
from ui.table import Column, RecordList

DAYS = [
    _("Lundi"),
    _("Mardi"),
    _("Mercredi"),
    _("Jeudi"),
    _("Vendredi"),
    _("Samedi"),
    _("Dimanche"),
]
COLUMNS = [
    Column(_("Date"), lambda r: r.planned_date, 85),
    Column(_("Heure"), lambda r: r.start_time, 50),
    Column(_("Devis"), lambda r: r.quote_reference, 110),
    Column(_("Client"), lambda r: r.client, 160),
    Column(_("Chantier"), lambda r: r.site, 170),
    Column(_("Travaux"), lambda r: r.title, 190),
    Column(_("Équipe"), lambda r: r.team, 150),
    Column(_("Durée (h)"), lambda r: r.duration_hours, 70),
    Column(_("Statut"), lambda r: r.status_label, 80),
    Column(_("Avancement %"), lambda r: r.progress_percent, 90),
    Column(_("Facturé %"), lambda r: r.invoiced_percent, 80),
]


class PlanningTab(Tab):
    title = _("Planning")
    help_chapter = "planning"
    topics = ("", "quotes", "planning")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.today = clock.today
        self.day = self.today()
        self.week_label = QLabel(self)
        nav = QHBoxLayout()
        for label, delta in (
            ("◀ " + _("Semaine précédente"), -7),
            (_("Cette semaine"), 0),
            (_("Semaine suivante") + " ▶", 7),
        ):
            button = QPushButton(label, self)
            button.clicked.connect(lambda _c=False, d=delta: self.go(d))
            nav.addWidget(button)
        nav.addWidget(self.week_label, 1)
        self.grid = QTableWidget(1, 7, self)
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.grid.verticalHeader().setVisible(False)
        self.grid.horizontalHeader().setStretchLastSection(True)
        for c in range(7):
            self.grid.setColumnWidth(c, 170)
        self.grid.setMinimumHeight(190)
        self.list = RecordList(COLUMNS, export_name="planning", parent=self)
        actions = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, label, slot in (
            ("progress", _("Avancement…"), self._ask_progress),
            ("done", _("Marquer terminé"), lambda: self._with_current(self.mark_done)),
            ("move", _("Replanifier…"), self._ask_move),
            ("invoice", _("Facturer depuis le devis"), lambda: self._with_current(self.invoice)),
        ):
            button = QPushButton(label, self)
            button.clicked.connect(slot)
            actions.addWidget(button)
            self.buttons[key] = button
        self.buttons["invoice"].setToolTip(
            _(
                "Crée la facture provisoire de l'avancement non encore facturé, avec les lignes du devis"
            )
        )
        actions.addStretch(1)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        self.feedback.setStyleSheet("color: #1b7f3b;")
        layout = QVBoxLayout(self)
        layout.addLayout(nav)
        layout.addWidget(self.grid)
        layout.addLayout(actions)
        layout.addWidget(self.feedback)
        layout.addWidget(self.list, 1)
        self.refresh()

    def go(self, delta_days: int) -> None:
        self.day = self.today() if delta_days == 0 else self.day + dt.timedelta(days=delta_days)
        self.refresh()

    def show_week(self, day: dt.date) -> None:
        self.day = day
        self.refresh()

    def refresh(self) -> None:
        week: planning.WeekView = self.ctx.query(planning.week_view, self.day)
        self.week = week
        hours = format_quantity(week.hours)
        self.week_label.setText(
            _("{week} — {hours} h planifiées").format(week=week.label, hours=hours)
        )
        self.grid.setHorizontalHeaderLabels(
            [f"{DAYS[i]} {d:%d/%m}" for i, (d, _jobs) in enumerate(week.days)]
        )
        for c, (_day, jobs) in enumerate(week.days):
            text = "\n\n".join(
                f"{j.start_time} {j.quote_reference}\n{j.site or j.client}\n{j.team} — "
                f"{format_quantity(j.duration_hours)} h — {format_quantity(j.progress_percent)} %"
                for j in jobs
            )
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            self.grid.setItem(0, c, item)
        self.grid.resizeRowsToContents()
        self.list.set_rows(self.ctx.query(planning.job_rows))

    def _with_current(self, fn: Any) -> None:
        row = self.list.current()
        if row is not None:
            fn(row.id)

    def _do(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.ctx.call(fn, *args, topic="planning", **kwargs)
        except PropreoError as exc:
            show_error(self, exc)
            return None

    def record_progress(
        self, job_id: int, percent: Decimal | str, day: dt.date | None = None
    ) -> Any:
        return self._do(planning.record_progress, job_id, percent, day or self.today())

    def mark_done(self, job_id: int, day: dt.date | None = None) -> Any:
        return self._do(planning.mark_done, job_id, day or self.today())

    def invoice(self, job_id: int, day: dt.date | None = None) -> Any:
        """The draft invoice of the progress not invoiced yet; says what was made and where."""
        invoice = self._do(invoicing.invoice_job, job_id, day or self.today())
        if invoice is not None:
            self.feedback.setText(
                _(
                    "Facture provisoire créée : {title} — {ht} HT, {ttc} TTC. "
                    "À vérifier puis émettre dans Facturation → Factures et avoirs."
                ).format(
                    title=invoice.title,
                    ht=format_amount(invoice.total_ht),
                    ttc=format_amount(invoice.total_ttc),
                )
            )
        return invoice

    def _ask_progress(self) -> None:
        row = self.list.current()
        if row is None:
            return
        value, ok = QInputDialog.getInt(
            self,
            _("Avancement"),
            _("Avancement des travaux (%) :"),
            int(row.progress_percent),
            0,
            100,
        )
        if ok:
            self.record_progress(row.id, str(value))

    def _ask_move(self) -> None:
        row = self.list.current()
        if row is None:
            return
        text, ok = QInputDialog.getText(
            self,
            _("Replanifier"),
            _("Nouvelle date (JJ/MM/AAAA) :"),
            text=row.planned_date.strftime("%d/%m/%Y"),
        )
        if not ok:
            return
        self.move(row, text)

    def move(self, row: Any, text: str) -> Any:
        """Reschedule ``row``'s job to the date typed; a date that cannot be read is said."""
        try:
            day = parse_date(text, _("Nouvelle date"))
            if day is None:
                raise ValidationError(
                    _("Nouvelle date"), _("{field} : saisissez une date JJ/MM/AAAA.")
                )
        except ValidationError as exc:
            show_error(self, exc)
            return None
        return self._do(
            planning.reschedule_job,
            row.id,
            day,
            team=row.team,
            duration_hours=row.duration_hours,
            start_time=row.start_time,
        )
