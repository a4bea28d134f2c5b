"""Client record → « Compte »: « dont échu » is the overdue part of the encours, never above it
(seen: « Encours : 2 100,00 € — dont échu : 2 520,00 € »)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot

from app.db import Database
from app.payments.allocation_rules import AllocationLine
from app.payments.entry import PaymentForm, record_payment
from models.clients import Client
from tests.test_payments import issue_invoice, make_client
from ui.main_window import MainWindow

D = dt.date


def _summary(qtbot: QtBot, db: Database, client_id: int) -> str:
    window = MainWindow(db)
    qtbot.addWidget(window)
    clients = window.tab("Clients")
    editor = clients.editor  # type: ignore[attr-defined]
    editor.load(client_id)
    editor.panels.setCurrentWidget(editor.ledger)  # the « Compte » tab of the record
    text: str = editor.ledger.summary.text()
    return text.replace("\u202f", " ").replace("\xa0", " ").replace("<b>", "").replace("</b>", "")


@pytest.mark.parametrize("allocated", [False, True], ids=["on-account", "allocated"])
def test_overdue_is_never_above_the_encours(qtbot: QtBot, db: Database, allocated: bool) -> None:
    from app.demo import DemoContext
    from app.demo import company as demo_company

    with db.write() as s:
        demo_company.load(s, DemoContext())
        client = make_client(s)
        old = issue_invoice(s, client, "2520.00", D(2026, 1, 31))  # due 02/03/2026: late
        lines = [AllocationLine(old.id, Decimal("420.00"))] if allocated else []
        form = PaymentForm(client_id=client.id, date=D(2026, 3, 10), means="transfer")
        form.amount = "420"
        record_payment(s, form, lines)
        client_id = client.id
    text = _summary(qtbot, db, client_id)
    assert text.startswith("Encours : 2 100,00 € — dont échu : 2 100,00 €"), text


def test_credit_left_on_account_settles_the_oldest_debts_first(qtbot: QtBot, db: Database) -> None:
    from app.demo import DemoContext
    from app.demo import company as demo_company

    today = dt.date.today()
    with db.write() as s:
        demo_company.load(s, DemoContext())
        client = make_client(s)
        issue_invoice(s, client, "1200.00", D(2026, 1, 31))  # late
        issue_invoice(s, s.get(Client, client.id), "600.00", today)  # not yet due
        form = PaymentForm(client_id=client.id, date=D(2026, 3, 10), means="transfer")
        form.amount = "1500"
        record_payment(s, form, [])  # all of it left on account
        client_id = client.id
    text = _summary(qtbot, db, client_id)
    # 1 800 owed − 1 500 of credit: 300 left, none of it late (the credit covers the late 1 200).
    assert text.startswith("Encours : 300,00 € — dont échu : 0,00 €"), text
