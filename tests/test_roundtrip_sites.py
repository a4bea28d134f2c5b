"""Round-trip through the real widgets: site records and their cadencier (safeguard 1 of
issue O). Each site of the demo firm, and one holding every optional field, is opened in
the Chantiers tab and saved untouched (record, then cadencier): no column of any row may
change. One field changed: only that column changes."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import sites
from app.db import Database
from app.quotes import schedules
from models.clients import Client, Site
from models.schedules import FrequencyPeriod
from tests.roundtrip import ADDED, assert_only, assert_unchanged, changes, snapshot
from ui.context import UiContext
from ui.operations import Bus, OperationRunner


def _ctx(db: Database) -> UiContext:
    bus = Bus()
    return UiContext(db, bus, OperationRunner(db, bus))


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Errors the screens would show in a message box (recorded instead of blocking)."""
    shown: list[BaseException] = []
    import ui.quote_builder
    import ui.sites

    for module in (ui.sites, ui.quote_builder):
        monkeypatch.setattr(module, "show_error", lambda _parent, exc: shown.append(exc))
    return shown


def _full_site(db: Database) -> int:
    """A site with every optional field, a payer other than its client and a cadencier
    mixing minutes and surface × productivity, several periods and qualifications."""
    with db.write() as s:
        client_id, payer_id = s.scalars(select(Client.id).order_by(Client.id).limit(2))
        form = sites.SiteForm(
            code="TOUR-ALPHA",
            name="Tour Alpha — plateaux 3 à 7",
            client_id=client_id,
            payer_id=payer_id,
            street="12 avenue de la Grande Armée",
            street2="Entrée B, sous-sol -1",
            postcode="75017",
            city="Paris",
            access_codes="Portail 4521B\nAscenseur de service : badge",
            keys="Trousseau n° 7 chez le gardien",
            opening_hours="6h00–8h30",
            surfaces="Bureaux : 1 250,5\nSanitaires : 80\nHall : 120",
            floor_types="Moquette, carrelage, PVC",
            constraints=["water_point", "alarm", "height_work", "waste_sorting"],
            constraints_notes="Alarme coupée par l'agent de sécurité à 5h45.",
            onsite_contact="M. Girard (gardien)",
            onsite_phone="06 11 22 33 44",
        )
        site = sites.save_site(s, None, form)
        rows = [
            schedules.ScheduleRow(
                "Aspiration des sols", "Bureaux", "3", FrequencyPeriod.WEEK, None, "1250.5", "250"
            ),
            schedules.ScheduleRow(
                "Sanitaires", "Sanitaires", "5", FrequencyPeriod.WEEK, "45", None, None, "AS2"
            ),
            schedules.ScheduleRow(
                "Vitrerie intérieure", "Hall", "4", FrequencyPeriod.YEAR, "90.5", None, None, "AQS"
            ),
        ]
        schedules.save_schedule(s, site.id, rows)
        return site.id


def _open(qtbot: QtBot, db: Database) -> Any:
    from ui.sites import SitesTab

    tab = SitesTab(_ctx(db))
    qtbot.addWidget(tab)
    return tab


def test_every_site_and_cadencier_saved_untouched_changes_nothing(
    qtbot: QtBot, demo_db: Database, errors: list[BaseException]
) -> None:
    full = _full_site(demo_db)
    tab = _open(qtbot, demo_db)
    with demo_db.read() as s:
        ids = list(s.scalars(select(Site.id).order_by(Site.id)))
    assert len(ids) >= 25 and full in ids
    before = snapshot(demo_db)
    with_tasks = 0
    for site_id in ids:
        tab.open_site(site_id)
        assert tab.save(), (site_id, tab.status.text(), tab.form.general_error.text())
        with_tasks += tab.schedule.tasks.rowCount() > 0
        assert tab.schedule.save_schedule(), (site_id, errors)
    assert with_tasks >= 3
    assert_unchanged(demo_db, before)


def test_one_site_field_changed_changes_only_that_column(
    qtbot: QtBot, demo_db: Database, errors: list[BaseException]
) -> None:
    full = _full_site(demo_db)
    tab = _open(qtbot, demo_db)
    tab.open_site(full)
    before = snapshot(demo_db)
    tab.form.widget("onsite_phone").setText("06 99 88 77 66")
    assert tab.save(), tab.form.general_error.text()
    [change] = assert_only(demo_db, before, {("sites", "onsite_phone")})
    assert change.new == "06 99 88 77 66"

    before = snapshot(demo_db)
    tab.checks["lift"].setChecked(True)
    assert tab.save()
    [change] = assert_only(demo_db, before, {("sites", "constraints")})
    assert "lift" in change.new and "alarm" in change.new


def test_one_cadencier_cell_changed_replaces_the_lines_keeping_the_old_ones(
    qtbot: QtBot, demo_db: Database, errors: list[BaseException]
) -> None:
    """A changed cadencier keeps its old lines (inactive, for history) and writes the new
    set, where only the edited value differs."""
    full = _full_site(demo_db)
    tab = _open(qtbot, demo_db)
    tab.open_site(full)
    before = snapshot(demo_db)
    tab.schedule.tasks.item(1, 4).setText("50")  # Sanitaires: 45 → 50 minutes per pass
    assert tab.schedule.save_schedule(), errors
    found = changes(before, snapshot(demo_db))
    retired = {c.key for c in found if c.table == "task_schedules" and c.column == "active"}
    added = sorted(
        (c.new for c in found if c.table == "task_schedules" and c.column == ADDED),
        key=lambda row: row["position"],
    )
    assert len(retired) == 3 and len(added) == 3
    assert [(a["task"], a["minutes_per_pass"]) for a in added] == [
        ("Aspiration des sols", None),
        ("Sanitaires", 50000),
        ("Vitrerie intérieure", 90500),
    ]
    assert {(c.table, c.column) for c in found} <= {
        ("task_schedules", "active"),
        ("task_schedules", "updated_at"),
        ("task_schedules", ADDED),
        ("audit_events", ADDED),
    }
    with demo_db.read() as s:
        rows = schedules.schedule_rows(s, full)
    assert [r.minutes for r in rows][1] == 50


def test_a_site_whose_payer_was_deactivated_is_never_silently_changed(
    qtbot: QtBot, demo_db: Database, errors: list[BaseException]
) -> None:
    """The client lists offer active clients only. The site's payer, deactivated since, stays
    shown and selected (it used to become « le client lui-même » without a word); saving asks
    for an active payer, naming the field, and writes nothing."""
    full = _full_site(demo_db)
    with demo_db.write() as s:
        site = s.get(Site, full)
        assert site is not None
        payer_id = site.payer_id
        s.get(Client, payer_id).active = False  # type: ignore[union-attr]
    tab = _open(qtbot, demo_db)
    tab.open_site(full)
    assert tab.form.value("payer_id") == payer_id
    assert "désactivé" in tab.form.widget("payer_id").currentText()
    tab.ctx.bus.changed.emit("clients")  # the lists reload (a client saved elsewhere)
    assert tab.form.value("payer_id") == payer_id
    before = snapshot(demo_db)
    assert not tab.save()
    assert "inactif" in tab.form.error_text("payer_id")
    assert_unchanged(demo_db, before)
