"""The run wizard's issue date (like ``billing run --issue-date``) and the ECB setting of the
company dialog, clicked through offscreen on the demo firm."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app import clock
from app.billing.run_dates import check_run_date, month_end, run_month_dated
from app.billing.runs import backdating_warnings
from app.db import Database
from app.errors import ConfirmationRequired, ValidationError
from models.billing import BillingRun
from models.company import CompanySettings
from ui.billing import BillingTab
from ui.main_window import MainWindow
from ui.settings_dialog import CompanyDialog

D = dt.date
TODAY = D(2026, 12, 7)


def test_issue_date_rule_is_the_cli_rule(demo_db: Database) -> None:
    assert month_end("2026-02") == D(2026, 2, 28) and month_end("2026-09") == D(2026, 9, 30)
    assert check_run_date(D(2026, 9, 1), "2026-09") == D(2026, 9, 1)
    assert check_run_date(D(2026, 11, 28), "2026-09") == D(2026, 11, 28)
    assert check_run_date(D(2026, 8, 31), "2026-09") == D(2026, 8, 31)  # in advance
    with pytest.raises(ConfirmationRequired) as info:
        check_run_date(D(2026, 7, 31), "2026-09")
    assert info.value.field == "Date d'émission"
    assert "Le mois facturé 09/2026 vient 2 mois après la date d'émission 31/07/2026" in str(
        info.value
    )
    with demo_db.read() as session:
        runs = session.scalar(select(func.count()).select_from(BillingRun))
    with pytest.raises(ValidationError), demo_db.write() as session:
        run_month_dated(session, "2026-09", D(2026, 7, 31))
    with demo_db.read() as session:  # nothing written
        assert session.scalar(select(func.count()).select_from(BillingRun)) == runs


def test_wizard_dates_a_catch_up_run_at_its_real_issue_date(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    with clock.pinned(TODAY):
        tab.set_period("2026-09")
        # Offered: the month's last day (past), never after today.
        assert tab.issue_date.date().toPython() == D(2026, 9, 30)
        assert tab.issue_date.maximumDate().toPython() == TODAY
        tab.issue_date.setDate(QDate(2026, 12, 31))  # clamped by the widget
        assert tab.issue_date.date().toPython() == TODAY
        # A month-end long past is flagged before the run (the warning the run would give).
        tab.issue_date.setDate(QDate(2026, 9, 30))
        expected = backdating_warnings(D(2026, 9, 30))
        assert expected and tab.backdating.text() == "\n".join(expected)
        assert tab.backdating.isVisibleTo(tab)
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
        # The current month and the coming one: today, not the month's last day.
        tab.set_period("2026-12")
        assert tab.issue_date.date().toPython() == TODAY
        tab.set_period("2027-01")
        assert tab.issue_date.date().toPython() == TODAY
    window.grab().save(str(tmp_path / "billing-issue-date.png"))


def test_wizard_asks_before_billing_beyond_the_coming_month(
    qtbot: QtBot, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    asked: list[str] = []
    reply = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(
        QMessageBox, "question", lambda _p, _t, text, *_a: asked.append(text) or reply[0]
    )
    with demo_db.read() as session:
        runs = session.scalar(select(func.count()).select_from(BillingRun))
    with clock.pinned(TODAY):
        tab.set_period("2027-06")
        assert tab.issue_date.date().toPython() == TODAY
        assert tab.start_run() is None  # « Non »: nothing run
        assert (
            "Le mois facturé 06/2027 vient 6 mois après la date d'émission 07/12/2026" in (asked[0])
        )
        with demo_db.read() as session:
            assert session.scalar(select(func.count()).select_from(BillingRun)) == runs
        reply[0] = QMessageBox.StandardButton.Yes
        tab.start_run()
        qtbot.waitUntil(lambda: bool(tab.review and tab.review.drafts), timeout=60_000)
        assert {d.issue_date for d in tab.review.drafts} == {TODAY}
    assert len(asked) == 2


def test_company_dialog_edits_the_ecb_rate_and_its_date(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    dialog = CompanyDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    assert dialog.form.value("ecb_rate") == "2,15"  # shown in French (app.money.decimal_text)
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


@pytest.mark.parametrize("threshold, early", [(1, True), (10_000, False)])
def test_wizard_starts_the_checking_workers_before_making_the_drafts(
    qtbot: QtBot, demo_db: Database, monkeypatch: pytest.MonkeyPatch, threshold: int, early: bool
) -> None:
    """Like ``billing run``: a run with enough contracts to be checked on the pool starts
    the workers before its drafts are made (their start overlaps the run); a small one
    does not start them."""
    from app.billing import run_dates
    from app.documents import render

    render.shutdown_pool()  # none left running by an earlier test
    monkeypatch.setattr(render, "POOL_THRESHOLD", threshold)
    seen: list[int] = []

    def run_month(*args: object, **kwargs: object) -> object:
        seen.append(len(render._pool._processes) if render._pool is not None else 0)
        return real_run_month(*args, **kwargs)

    real_run_month = run_dates.run_month
    monkeypatch.setattr(run_dates, "run_month", run_month)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    try:
        with clock.pinned(TODAY):
            tab.set_period("2026-09")
            tab.start_run()
            qtbot.waitUntil(lambda: bool(tab.review and tab.review.drafts), timeout=60_000)
        assert seen == [render.worker_count() if early else 0]
    finally:
        render.shutdown_pool()
