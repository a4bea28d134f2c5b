"""Programme module 6 « historique de facturation »: the documents that billed a contract,
listed in the contract's « Factures » page (credit notes negative, newest first)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.billing.contract_invoices import contract_invoices
from app.db import Database
from models.contracts import Contract
from ui.main_window import MainWindow


def _contract(db: Database, code: str) -> int:
    with db.read() as s:
        contract_id = s.scalar(select(Contract.id).where(Contract.code == code))
        assert contract_id is not None
        return contract_id


def test_monthly_contract_history(demo_db: Database) -> None:
    contract_id = _contract(demo_db, "CT00001")
    with demo_db.read() as s:
        rows = contract_invoices(s, contract_id)
    # 1 500,00 HT a month billed from January 2025 to August 2026: 20 invoices.
    assert len(rows) == 20
    assert {r.contract_ht for r in rows} == {Decimal("1500.00")}
    assert (rows[0].period_start, rows[0].period_end) == (dt.date(2026, 8, 1), dt.date(2026, 8, 31))
    assert (rows[-1].number, rows[-1].issue_date) == ("FA2025-00001", dt.date(2025, 1, 31))
    assert all(r.status_label == "Émise" and not r.shared for r in rows)


def test_credit_note_in_the_history_and_the_contract_page(qtbot: QtBot, demo_db: Database) -> None:
    contract_id = _contract(demo_db, "CT00010")
    with demo_db.read() as s:
        rows = contract_invoices(s, contract_id)
    [credit] = [r for r in rows if r.number == "AV2026-00001"]
    assert credit.kind_label == "Avoir"
    assert (credit.contract_ht, credit.total_ttc) == (Decimal("-150.00"), Decimal("-180.00"))

    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Contrats")
    tab.open_contract(contract_id)
    page = tab.invoices
    assert tab.tabs.tabText(tab.tabs.indexOf(page)) == "Factures"
    assert page.rowCount() == len(rows)
    numbers = [page.item(r, 0).text() for r in range(page.rowCount())]
    assert numbers == [r.number for r in rows]
    i = numbers.index("AV2026-00001")
    assert page.item(i, 5).text() == "-150,00" and page.item(i, 1).text() == "Avoir"
