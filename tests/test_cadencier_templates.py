"""Chantiers → cadencier → « Ajouter les tâches types »: each task added has its duration
(minutes, or the site's surface of its zone ÷ productivity), none twice, and the cadencier
saves (seen: 12 tasks without durations, some twice, then saving failed)."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from models.clients import Site
from models.schedules import TaskSchedule
from ui.main_window import MainWindow
from ui.sites import SitesTab


def test_task_templates_fit_the_site_and_the_cadencier_saves(
    qtbot: QtBot, demo_db: Database
) -> None:
    with demo_db.read() as s:
        site_id = s.scalar(select(Site.id).where(Site.code == "ARNA001-01"))
        before = s.scalars(
            select(TaskSchedule.task).where(TaskSchedule.site_id == site_id, TaskSchedule.active)
        ).all()
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Chantiers")
    assert isinstance(tab, SitesTab)
    tab.open_site(site_id)
    panel = tab.schedule
    assert [r.task for r in panel.rows()] == list(before) and len(before) == 5
    (add,) = [
        b
        for b in panel.table_buttons.findChildren(QPushButton)
        if b.text() == "Ajouter les tâches types"
    ]
    add.click()
    rows = panel.rows()
    keys = [(r.task, r.zone) for r in rows]
    assert len(keys) == len(set(keys))  # nothing twice
    for r in rows:  # every task has its duration
        assert r.minutes or (r.surface and r.productivity), r
    added = rows[len(before) :]
    # The site has Bureaux 380 m², Sanitaires 30 m², Accueil 45 m²: surface tasks of these
    # zones take their surface; tasks timed in minutes need none; others are left out.
    by_task = {r.task: r for r in added}
    assert by_task["Dépoussiérage des bureaux"].surface == "380"
    assert "Lavage des sols" not in by_task  # Couloirs: no surface on this site
    assert "Lavage des sols (Couloirs)" in panel.template_message.text()
    assert panel.template_message.text().startswith(f"{len(added)} tâches type ajoutées")
    assert panel.save_schedule()
    with demo_db.read() as s:
        saved = s.scalars(
            select(TaskSchedule).where(TaskSchedule.site_id == site_id, TaskSchedule.active)
        ).all()
    assert len(saved) == len(rows)
    assert {t.surface_m2 for t in saved if t.task == "Dépoussiérage des bureaux"} == {
        Decimal("380")
    }
    # A second click adds nothing.
    add.click()
    assert len(panel.rows()) == len(rows)
    assert panel.template_message.text().startswith("0 tâche type ajoutée")
