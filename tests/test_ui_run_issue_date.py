"""The run wizard's issue date (like ``billing run --issue-date``) and the ECB setting of the
company dialog, clicked through offscreen on the demo firm."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.billing.run_dates import check_issue_date, month_end, run_month_dated
from app.billing.runs import backdating_warnings
from app.db import Database
from app.errors import ValidationError
from models.billing import BillingRun
from models.company import CompanySettings
from ui.billing import BillingTab
from ui.main_window import MainWindow
from ui.settings_dialog import CompanyDialog

D = dt.date


def test_issue_date_rule_is_the_cli_rule(demo_db: Database) -> None:
    assert month_end("2026-02") == D(2026, 2, 28) and month_end("2026-09") == D(2026, 9, 30)
    assert check_issue_date(D(2026, 9, 1), "2026-09") == D(2026, 9, 1)
    assert check_issue_date(D(2026, 11, 28), "2026-09") == D(2026, 11, 28)
    with pytest.raises(ValidationError) as info:
        check_issue_date(D(2026, 8, 31), "2026-09")
    assert info.value.field == "Date d'émission"
    assert "La date d'émission 31/08/2026 précède le mois facturé 2026-09." in str(info.value)
    with demo_db.read() as session:
        runs = session.scalar(select(func.count()).select_from(BillingRun))
    with pytest.raises(ValidationError), demo_db.write() as session:
        run_month_dated(session, "2026-09", D(2026, 8, 31))
    with demo_db.read() as session:  # nothing written
        assert session.scalar(select(func.count()).select_from(BillingRun)) == runs


def test_wizard_dates_a_catch_up_run_at_its_real_issue_date(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    tab.set_period("2026-09")
    # Offered: the month's last day, never before the month billed.
    assert tab.issue_date.date().toPython() == D(2026, 9, 30)
    assert tab.issue_date.minimumDate().toPython() == D(2026, 9, 1)
    tab.issue_date.setDate(QDate(2026, 8, 15))  # clamped by the widget
    assert tab.issue_date.date().toPython() == D(2026, 9, 1)
    # A month-end long past is flagged before the run (the warning the run would give).
    tab.issue_date.setDate(QDate(2026, 9, 30))
    expected = backdating_warnings(D(2026, 9, 30))
    assert tab.backdating.text() == "\n".join(expected)
    assert tab.backdating.isVisibleTo(tab) == bool(expected)
    # Catch-up dated 5 October: every draft carries that date.
    tab.issue_date.setDate(QDate(2026, 10, 5))
    tab.start_run()
    qtbot.waitUntil(lambda: bool(tab.review and tab.review.drafts), timeout=60_000)
    assert {d.issue_date for d in tab.review.drafts} == {D(2026, 10, 5)}
    with demo_db.read() as session:
        run = session.scalars(select(BillingRun).order_by(BillingRun.id.desc())).first()
        assert (run.period, run.issue_date) == ("2026-09", D(2026, 10, 5))
    # Another month: the date follows it.
    tab.set_period("2026-10")
    assert tab.issue_date.date().toPython() == D(2026, 10, 31)
    assert tab.issue_date.minimumDate().toPython() == D(2026, 10, 1)
    window.grab().save(str(tmp_path / "billing-issue-date.png"))


def test_company_dialog_edits_the_ecb_rate_and_its_date(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    dialog = CompanyDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    assert dialog.form.value("ecb_rate") == "2.15"
    assert dialog.form.value("ecb_rate_date") == "01/07/2026"
    assert "R2192-31" in dialog.form.widget("ecb_rate").toolTip()
    dialog.form.widget("ecb_rate_date").setText("15/03/2027")
    dialog.save()
    assert "premier jour du semestre" in dialog.form.error_text("ecb_rate_date")
    assert dialog.result() == 0  # still open, nothing saved
    dialog.form.widget("ecb_rate").setText("2,4")
    dialog.form.widget("ecb_rate_date").setText("01/01/2027")
    dialog.save()
    assert dialog.form.error_text("ecb_rate_date") == ""
    with demo_db.read() as session:
        company = session.get(CompanySettings, 1)
        assert (str(company.ecb_rate.normalize()), company.ecb_rate_date) == ("2.4", D(2027, 1, 1))
