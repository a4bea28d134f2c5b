"""Accueil as a dashboard (issue P §1): what needs doing today, each line opening its screen on
its record, and the turnover month by month. The figures are those of the ledgers: the client
accounts (« dont échu ») for what is overdue, the sales journal (revenue accounts 7…) for
the turnover."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import clock, ledger
from app.dashboard import dashboard, turnover, turnover_by
from app.db import Database
from app.documents.accounting import sales_entries
from app.money import ZERO, format_amount
from models.clients import Client
from ui.main_window import MainWindow

DEMO_TODAY = dt.date(2026, 9, 1)


@pytest.fixture
def today() -> Iterator[dt.date]:
    with clock.pinned(DEMO_TODAY) as day:
        yield day


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def test_overdue_figures_are_those_of_the_client_accounts(
    demo_db: Database, today: dt.date
) -> None:
    with demo_db.read() as session:
        board = dashboard(session)
        overdue = board.section("overdue")
        by_client = {}
        for client_id in session.scalars(select(Client.id)):
            late = ledger.credit_status(session, client_id).overdue
            if late:
                by_client[client_id] = late
    assert overdue.total == sum(by_client.values(), ZERO)
    assert overdue.total == Decimal("20256.00")
    assert overdue.summary == "20\u202f256,00\xa0€ échus chez 14 clients à relancer"
    shown = {item.target.key: item.amount for item in overdue.items}
    assert all(by_client[cid] == amount for cid, amount in shown.items())
    # The largest debts first: the clerk starts with them.
    assert [item.amount for item in overdue.items] == sorted(by_client.values(), reverse=True)[:8]


def test_turnover_per_month_is_the_sales_journal_revenue(demo_db: Database, today: dt.date) -> None:
    with demo_db.read() as session:
        figures = turnover(session, 2026)
        for month in range(1, 9):
            first = dt.date(2026, month, 1)
            revenue = ZERO
            for entry in sales_entries(session, first, _month_end(first)):
                for line in entry.lines:
                    if line.account.startswith("7"):
                        revenue += line.credit - line.debit
            assert figures.this_year[month - 1] == revenue, month
        assert figures.this_year[8:] == [ZERO] * 4  # September onwards is still to bill
        assert figures.total == Decimal("169162.65")
        assert figures.total_last == Decimal("236451.09")
        for by in ("family", "client"):
            rows = turnover_by(session, 2026, by)
            assert sum((r[1] for r in rows), ZERO) == figures.total
            assert sum((r[2] for r in rows), ZERO) == figures.total_last


def test_home_shows_what_to_do_and_opens_each_record(
    qtbot: QtBot, demo_db: Database, today: dt.date
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    home = window.tab("Accueil")
    assert "Lumière Propreté Services" in home.label.text()
    assert "aujourd'hui 01/09/2026" in home.label.text()
    alerts = home.items("alerts")
    assert alerts[0] == (
        "Cahier de liaison — 5 alertes du cahier de liaison en retard, 1 à traiter cette semaine"
    )
    assert alerts[1].startswith("02/06/2026 : L00019 — Agent absent ce matin")
    overdue = home.items("overdue")
    assert overdue[0].startswith("Impayés — 20\u202f256,00\xa0€ échus chez 14 clients")
    top = home.todo.topLevelItem(1)
    with demo_db.read() as session:
        first_id = top.child(0).data(0, 256).key
        expected = ledger.credit_status(session, first_id).overdue
    assert top.child(0).text(1) == format_amount(expected)
    assert home.items("billing")[1] == "Facturation de 09/2026 : pas encore lancée"
    assert home.items("quotes")[0] == "Devis à relancer — 3 devis à relancer"
    assert any("Révision au 01/09/2026 : CT00004" in t for t in home.items("contracts"))

    # Enter on a client line opens the client's record on the Clients tab.
    home.todo.setCurrentItem(top.child(0))
    home.todo.itemActivated.emit(top.child(0), 0)
    clients = window.current_screen().inner  # the screen now in front
    assert type(clients).__name__ == "ClientsTab"
    assert clients.editor.client_id == first_id
    # An alert opens the liaison book on that entry.
    alert = home.todo.topLevelItem(0).child(0)
    home.todo.itemActivated.emit(alert, 0)
    liaison = window.current_screen().inner
    assert liaison.entries.panel.detail.row.number == "L00019"
    # The month to bill opens Facturation on that month; the revision opens the contract.
    billing = home.todo.topLevelItem(3).child(0)
    home.todo.itemActivated.emit(billing, 0)
    assert type(window.current_screen().inner).__name__ == "BillingTab"
    assert window.current_screen().inner.period == "2026-09"
    revision = home.todo.topLevelItem(5).child(0)
    home.todo.itemActivated.emit(revision, 0)
    contracts = window.current_screen().inner
    assert contracts.contract_id == revision.data(0, 256).key


def test_turnover_panel_by_family_on_demand(
    qtbot: QtBot, demo_db: Database, today: dt.date
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    panel = window.tab("Accueil").turnover
    assert panel.totals.text() == "2026 : 169\u202f162,65\xa0€ — 2025 : 236\u202f451,09\xa0€"
    assert len(panel.chart.series()) == 1
    assert panel.chart.series()[0].barSets()[1].label() == "2026"
    panel.view.setCurrentIndex(1)  # Par famille
    assert panel.stack.currentWidget() is panel.table
    labels = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
    with demo_db.read() as session:
        rows = turnover_by(session, 2026, "family")
    assert labels == [r[0] for r in rows]
    assert panel.table.item(0, 1).text() == format_amount(rows[0][1])


def test_month_pickers_open_on_the_month_with_documents(
    qtbot: QtBot, demo_db: Database, today: dt.date
) -> None:
    # On 1 September nothing is issued yet for September: Éditions and the control open on
    # August (they opened on an empty month), Facturation on September, the month to bill.
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    assert window.tab("Éditions").period.period() == "2026-08"
    assert window.tab("Éditions").list.visible_rows() != []
    assert window.tab("Contrôle facturation").panel.period == "2026-08"
    assert window.tab("Facturation").period == "2026-09"


def test_every_picker_of_issued_documents_opens_on_the_last_month_with_some(
    qtbot: QtBot, demo_db: Database
) -> None:
    """Opened on 15 October while September is not billed yet: the screens about documents
    already issued (Éditions, the control, e-invoicing, the monthly closing) open on August,
    the last month that has some — not on September, empty; Facturation on September."""
    from ui.closings import ClosingsDialog

    with clock.pinned(dt.date(2026, 10, 15)):
        window = MainWindow(demo_db)
        qtbot.addWidget(window)
        assert window.tab("Éditions").period.period() == "2026-08"
        assert window.tab("Contrôle facturation").panel.period == "2026-08"
        assert window.tab("Facturation électronique").month.period() == "2026-08"
        dialog = ClosingsDialog(window.ctx, window)
        qtbot.addWidget(dialog)
        assert dialog.period.period() == "2026-08"
        assert window.tab("Facturation").period == "2026-09"
