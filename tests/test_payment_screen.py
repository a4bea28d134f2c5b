"""Règlements: a payment left on account allocated later from the screen, and the
write-off limit held by app.payments (record_payment refuses beyond it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.errors import ValidationError
from app.payments.allocation_rules import WRITEOFF_LIMIT, AllocationLine, suggest_allocation
from app.payments.entry import PaymentForm, record_payment
from models.payments import Allocation
from tests.test_payments import issue_invoice, make_client
from ui.main_window import MainWindow
from ui.payments import AllocateCreditDialog, PaymentDialog, PaymentsTab

E = Decimal
D = dt.date


def _firm(db: Database) -> int:
    from app.demo import DemoContext
    from app.demo import company as demo_company

    with db.write() as s:
        demo_company.load(s, DemoContext())
        s.flush()
        return make_client(s).id


def test_a_payment_on_account_is_allocated_later_from_the_screen(
    qtbot: QtBot, db: Database
) -> None:
    client_id = _firm(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Règlements")
    assert isinstance(tab, PaymentsTab)
    # 600 € received before any invoice: kept on the client's account.
    dialog = tab.new_payment(client_id)
    assert isinstance(dialog, PaymentDialog) and dialog.grid.rowCount() == 0
    dialog.form.set_value("means", "transfer")
    dialog.form.set_value("amount", "600")
    dialog.save()
    assert dialog.payment_id is not None
    tab.list.view.selectRow(0)
    assert tab.list.current().unallocated == E("600.00")
    assert tab.allocate_button.isEnabled()
    # The invoice comes later (the guide: applied to the next invoice).
    with db.write() as s:
        from models.clients import Client

        number = issue_invoice(s, s.get(Client, client_id), "480.00", D(2026, 3, 31)).number
    tab.refresh()
    tab.list.view.selectRow(0)
    credit = tab.allocate_credit()
    assert isinstance(credit, AllocateCreditDialog)
    assert [credit.allocation.table.item(r, 0).text() for r in range(1)] == [number]
    credit.allocation.suggest()
    assert credit.allocation.table.item(0, 4).text() == "480,00"
    assert "reste non affecté (crédit du client) : 120,00" in credit.allocation.rest_label.text()
    assert credit.save()
    tab.list.view.selectRow(0)
    row = tab.list.current()
    assert (row.unallocated, row.invoices) == (E("120.00"), number)
    assert [(a.invoice_number, a.amount, a.letter) for a in tab.allocations.visible_rows()] == [
        (number, E("480.00"), "A")
    ]
    # More than the credit left is refused, in the dialog, nothing written.
    with db.write() as s:
        number2 = issue_invoice(s, s.get(Client, client_id), "240.00", D(2026, 4, 30)).number
    tab.refresh()
    tab.list.view.selectRow(0)
    credit = tab.allocate_credit()
    assert credit is not None
    assert [credit.allocation.table.item(r, 0).text() for r in range(1)] == [number2]
    credit.allocation.set_amount(0, "200")
    assert not credit.save()
    assert "dépassent le montant disponible" in credit.allocation.error.text()
    with db.read() as s:
        assert len(s.scalars(select(Allocation)).all()) == 1


def test_the_write_off_limit_lives_in_the_application(qtbot: QtBot, db: Database) -> None:
    client_id = _firm(db)
    with db.write() as s:
        from models.clients import Client

        invoice = issue_invoice(s, s.get(Client, client_id), "120.00", D(2026, 3, 31))
        invoice_id = invoice.id
    form = PaymentForm(client_id=client_id, date=D(2026, 4, 2), means="transfer", amount="1")
    # 119 € written off on a 120 € invoice paid 1 €: refused, nothing recorded.
    with pytest.raises(ValidationError, match="au plus 0,05"), db.write() as s:
        record_payment(s, form, [AllocationLine(invoice_id, E("1.00"), E("119.00"))])
    with pytest.raises(ValidationError, match="limité à 0,05"):
        suggest_allocation(E("1.00"), [], tolerance=E("119.00"))
    with db.read() as s:
        assert s.scalars(select(Allocation)).all() == []
    # The screen offers the application's limit, and writes off nothing beyond it.
    window = MainWindow(db)
    qtbot.addWidget(window)
    dialog = window.tab("Règlements").new_payment(client_id)  # type: ignore[attr-defined]
    assert E("0.05") == WRITEOFF_LIMIT
    assert "0,05" in dialog.writeoff_check.text()
    dialog.form.set_value("means", "transfer")
    dialog.form.set_value("amount", "1")
    dialog.suggest()
    dialog.writeoff_check.setChecked(True)
    dialog.save()
    with db.read() as s:
        assert [(a.amount, a.writeoff) for a in s.scalars(select(Allocation))] == [
            (E("1.00"), E("0.00"))
        ]
