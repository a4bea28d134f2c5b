"""Programme module 11 « saisie des acomptes »: a down-payment invoice issued from an
accepted quote in the Devis tab (30 % of its total HT, VAT, normal numbering, 4191)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.quotes import Quote
from tests.dialogs import ACCEPT, answer
from ui.main_window import MainWindow

DAY = dt.date(2026, 9, 2)


def test_down_payment_from_an_accepted_quote(
    qtbot: QtBot, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo_db.read() as s:
        quote = s.scalar(select(Quote).where(Quote.number == "DE2026-00007"))
        assert quote is not None and quote.status == "accepted"
        quote_id, total_ht = quote.id, quote.total_ht
        sent = s.scalar(select(Quote.id).where(Quote.status == "sent"))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Devis")
    tab.today = lambda: DAY
    rows = tab.list.visible_rows()
    tab.list.view.selectRow(next(i for i, r in enumerate(rows) if r.id == sent))
    assert not tab.buttons["deposit"].isEnabled()  # a sent quote: no down-payment yet
    tab.list.view.selectRow(next(i for i, r in enumerate(rows) if r.id == quote_id))
    assert tab.buttons["deposit"].isEnabled()

    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    seen: list[str] = []
    answer(ACCEPT, seen=seen)  # the confirmation says what will be numbered
    invoice = tab.down_payment(quote_id, "30 %")
    assert invoice is not None

    expected_ht = (total_ht * Decimal("0.30")).quantize(Decimal("0.01"))
    with demo_db.read() as s:
        dp = s.get(Invoice, invoice.id)
        assert dp is not None
        assert (dp.kind, dp.status, dp.issue_date) == (
            InvoiceKind.DOWN_PAYMENT,
            InvoiceStatus.ISSUED,
            DAY,
        )
        assert dp.total_ht == expected_ht == Decimal("106.20")
        assert dp.total_ttc == Decimal("127.44")
        [line] = dp.lines
        assert line.description == "Acompte 30 % sur devis n° DE2026-00007 du 18/08/2026 " + (
            "(Nettoyage approfondi des salles de soins)"
        )
        assert line.revenue_account == "419100"
    assert f"Factures : 1 ({dp.number})" in seen[0]
    assert told and told[0].startswith(f"Facture d'acompte {dp.number} émise : 127,44")

    # An amount beyond the quote is refused in French, nothing issued.
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: errors.append(text))
    assert tab.down_payment(quote_id, "5 000") is None
    assert "dépasse le montant HT du devis" in errors[0]
