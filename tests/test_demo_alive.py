"""A demo that is alive (issue P §8): ``init --demo`` builds the firm's history up to the
month before today, ``--as-of`` pins that day; the story up to August 2026 is the same
whatever the day (tests and benchmarks pin 1 September 2026); the month pickers of issued
documents open on a month that has some."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app import clock
from app.check import run_checks
from app.cli import main
from app.dashboard import dashboard, month_to_control, month_with_documents
from app.db import Database
from app.setup import prepare_database
from models.billing import BillingRun
from models.invoices import Invoice, InvoiceStatus
from models.payments import Payment

AS_OF = dt.date(2026, 11, 15)


@pytest.fixture(scope="module")
def alive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("alive") / "alive.db"
    prepare_database(path, demo=True, as_of=AS_OF).db.dispose()
    return path


def _chain(db: Database, until: dt.date) -> list[tuple[str, str]]:
    with db.read() as s:
        return [
            (number, content_hash)
            for number, content_hash in s.execute(
                select(Invoice.number, Invoice.content_hash)
                .where(Invoice.status == InvoiceStatus.ISSUED, Invoice.issue_date <= until)
                .order_by(Invoice.chain_index)
            )
        ]


@pytest.mark.slow
def test_history_runs_to_the_month_before_as_of(alive: Path, demo_db: Database) -> None:
    from app.db import open_database

    db = open_database(alive)
    try:
        assert run_checks(db).ok
        with db.read() as s:
            runs = dict(
                s.execute(
                    select(BillingRun.period, func.max(BillingRun.issue_date)).group_by(
                        BillingRun.period
                    )
                ).all()
            )
            assert runs["2026-09"] == dt.date(2026, 9, 30)
            assert runs["2026-10"] == dt.date(2026, 10, 31)
            assert "2026-11" not in runs  # this month is to bill
            drafts = s.scalar(select(func.count()).where(Invoice.status == InvoiceStatus.DRAFT))
            assert drafts == 0
            october = s.scalar(
                select(func.count()).where(
                    Invoice.status == InvoiceStatus.ISSUED,
                    Invoice.issue_date == dt.date(2026, 10, 31),
                )
            )
            assert october >= 20
            last_payment = s.scalar(select(func.max(Payment.date)))
            assert dt.date(2026, 11, 1) <= last_payment < AS_OF
            with clock.pinned(AS_OF):
                billing = dashboard(s).section("billing")
                assert billing.summary == "Facturation de 11/2026 : pas encore lancée"
                assert month_with_documents(s) == "2026-10"
                assert month_to_control(s) == "2026-10"
        # The story (to August 2026) is the same document for document, hash for hash.
        assert _chain(db, dt.date(2026, 8, 31)) == _chain(demo_db, dt.date(2026, 8, 31))
    finally:
        db.dispose()


def test_as_of_before_the_story_or_without_demo_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "x.db")
    assert main(["--db", db, "init", "--demo", "--as-of", "2026-08-01"]) != 0
    err = capsys.readouterr().err
    assert "au plus tôt au 01/09/2026" in err and "01/08/2026" in err
    assert "Traceback" not in err
    assert not Path(db).exists()  # refused before anything was created
    assert main(["--db", db, "init", "--as-of", "2026-10-01"]) != 0
    assert "ne s'emploie qu'avec « --demo »" in capsys.readouterr().err


def test_the_office_is_alive_on_as_of(alive: Path, qtbot: QtBot) -> None:
    """Opened in November, the demo has quotes to follow up, a few recently expired, liaison
    alerts due this week and a few late — dated from as_of, not from the story's summer."""
    from app.db import open_database
    from app.quotes.followup import quote_rows
    from models.quotes import QuoteStatus
    from ui.main_window import MainWindow

    db = open_database(alive)
    try:
        with clock.pinned(AS_OF):
            window = MainWindow(db)
            qtbot.addWidget(window)
            home = window.tab("Accueil")
            quotes = home.items("quotes")
            assert quotes[0] == "Devis à relancer — 3 devis à relancer"
            assert quotes[1].startswith("12/11/2026 : ") and "Vitrerie des salles" in quotes[1]
            assert quotes[2].startswith("13/11/2026 : ") and "Désinfection" in quotes[2]
            assert quotes[3].startswith("15/11/2026 : ") and "bureau d'accueil" in quotes[3]
            alerts = home.items("alerts")
            assert alerts[0] == (
                "Cahier de liaison — 2 alertes du cahier de liaison en retard, "
                "4 à traiter cette semaine"
            )
            assert [a[:10] for a in alerts[1:]] == [
                "12/11/2026",
                "14/11/2026",
                "15/11/2026",
                "18/11/2026",
                "20/11/2026",
                "21/11/2026",
            ]
            # The late ones in red, the week's not.
            top = home.todo.topLevelItem(0)
            red = [top.child(i).foreground(0).color().red() > 150 for i in range(6)]
            assert red[:2] == [True, True] and not any(red[2:])
        with db.read() as s:
            rows = quote_rows(s)
            expired = [
                r.validity_date
                for r in rows
                if r.status == QuoteStatus.EXPIRED and r.validity_date >= dt.date(2026, 11, 1)
            ]
            assert sorted(expired) == [dt.date(2026, 11, 7), dt.date(2026, 11, 12)]
    finally:
        db.dispose()
