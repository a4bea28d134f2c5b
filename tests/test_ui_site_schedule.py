"""The site's cadencier in the Chantiers tab (programme module 2, « prestations et
cadencier »): shown with the site, a task added and saved, hours per month recomputed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.db import Database
from app.money import format_amount, round_money
from app.quotes import pricing, schedules
from models.clients import Site
from models.schedules import TaskSchedule
from ui.main_window import MainWindow


def test_site_cadencier_in_the_site_record(qtbot: QtBot, demo_db: Database) -> None:
    with demo_db.read() as s:
        with_tasks = s.execute(
            select(TaskSchedule.site_id, func.count()).group_by(TaskSchedule.site_id).limit(1)
        ).one()
        empty = s.scalar(
            select(Site.id).where(Site.id.not_in(select(TaskSchedule.site_id))).order_by(Site.id)
        )
        as1 = pricing.hourly_costs(s, ["AS1"], dt.date.today())["AS1"]
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Chantiers")

    tab.open_site(with_tasks[0])
    assert tab.schedule.tasks.rowCount() == with_tasks[1]
    assert tab.schedule_hours.text().startswith("Heures par mois : ")
    assert not tab.schedule.apply_button.isVisibleTo(tab)  # prices stay in the quote

    tab.open_site(empty)
    assert tab.schedule.tasks.rowCount() == 0
    assert tab.schedule_hours.text() == "Le cadencier ne contient aucune tâche à chiffrer."
    # 3 passes a week × 30 min = 3 × 52 / 12 = 13 passes, 6,5 h a month at the AS1 cost.
    tab.schedule.add_task(schedules.ScheduleRow(task="Lavage du hall", zone="Hall"))
    tab.schedule.tasks.setItem(0, 2, QTableWidgetItem("3"))
    tab.schedule.tasks.setItem(0, 4, QTableWidgetItem("30"))
    labour = format_amount(round_money(Decimal("6.5") * as1))
    assert tab.schedule_hours.text() == f"Heures par mois : 6,5 h — main-d'œuvre chargée : {labour}"
    assert tab.schedule.save_schedule()

    tab.open_site(with_tasks[0])
    tab.open_site(empty)
    assert tab.schedule.tasks.rowCount() == 1
    assert tab.schedule.tasks.item(0, 0).text() == "Lavage du hall"
    with demo_db.read() as s:
        [row] = schedules.schedule_rows(s, empty)
    assert (row.frequency, row.minutes, row.period) == (Decimal("3"), Decimal("30"), "week")
