"""Lists that answer the money question (issue P §5): settled / still owed / days late on the
invoice list and totals under it, totals under Règlements and Devis, the control grid's Total
row pinned under its families whatever the sort."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import clock
from app.control.month import control_month
from app.db import Database
from app.money import ZERO, format_amount
from app.receivables import open_amount
from models.invoices import Invoice
from models.payments import PaymentStatus
from models.quotes import QuoteStatus
from ui.main_window import MainWindow

TODAY = dt.date(2026, 9, 15)


def test_invoice_list_shows_paid_remaining_late_and_its_totals(
    qtbot: QtBot, demo_db: Database
) -> None:
    with clock.pinned(TODAY):
        window = MainWindow(demo_db)
        qtbot.addWidget(window)
        tab = window.tab("Facturation")
        tab.pages.setCurrentIndex(1)
        tab.f_period.set_period("2026-06")
        rows = tab.invoices.visible_rows()
        assert rows
        with demo_db.read() as s:
            invoices = {
                i.id: i
                for i in s.scalars(select(Invoice).where(Invoice.id.in_([r.id for r in rows])))
            }
            still_owed = {i.id: open_amount(s, i) for i in invoices.values()}
        late = owed = ZERO
        for row in rows:
            invoice = invoices[row.id]
            if row.kind == "credit_note":
                assert (row.paid, row.remaining, row.days_late) == (None, None, None)
                continue
            # What the client account says is still owed, and the rest settled.
            assert row.remaining == still_owed[row.id], row.number
            assert row.paid + row.remaining == invoice.amount_due
            expected_late = (TODAY - invoice.due_date).days if row.remaining > 0 else None
            assert row.days_late == (expected_late if expected_late and expected_late > 0 else None)
            owed += row.remaining
            if row.days_late:
                late += row.remaining
        assert owed > 0 and late > 0, "the demo has June invoices still unpaid in September"
        # The view shows them, the late ones in red.
        model = tab.invoices.model
        late_row = next(i for i, r in enumerate(model.rows) if r.days_late)
        late_column = [c.title for c in model.columns].index("Retard (j)")
        cell = model.index(late_row, late_column)
        assert model.data(cell) == str(model.rows[late_row].days_late)
        assert model.data(cell, Qt.ItemDataRole.ForegroundRole).name() == "#b00020"
        # Under the list, the same filter's totals (credit notes negative).
        sign = {True: -1, False: 1}
        ht = sum((r.total_ht * sign[r.kind == "credit_note"] for r in rows), ZERO)
        ttc = sum((r.total_ttc * sign[r.kind == "credit_note"] for r in rows), ZERO)
        text = tab.invoices.footer.text()
        assert text.startswith(f"{len(rows)} documents — {format_amount(ht)} HT — ")
        assert f"— {format_amount(ttc)} TTC — reste dû {format_amount(owed)}" in text
        assert text.endswith(f" dont {format_amount(late)} en retard")
        # The search narrows the totals with the list.
        first = rows[0]
        tab.invoices.search.setText(first.number)
        assert tab.invoices.footer.text().startswith(
            f"1 document — {format_amount(first.total_ht * sign[first.kind == 'credit_note'])} HT"
        )


def test_totals_under_the_payments_and_the_quotes(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    payments = window.tab("Règlements").list
    payments.filter_combo.setCurrentIndex(0)
    shown = [r for r in payments.visible_rows() if r.status != PaymentStatus.REJECTED]
    total = sum((r.amount for r in shown), ZERO)
    assert payments.footer.text().startswith(
        f"{len(shown)} règlements — {format_amount(total)} — non affecté "
    )
    payments.search.setText(shown[0].number)
    assert payments.footer.text().startswith(f"1 règlement — {format_amount(shown[0].amount)}")

    quotes = window.tab("Devis").list
    live = [r for r in quotes.visible_rows() if r.status != QuoteStatus.REVISED]
    ht = sum((r.total_ht for r in live), ZERO)
    weighted = sum((r.weighted_ht for r in live), ZERO)
    assert quotes.footer.text() == (
        f"{len(live)} devis — {format_amount(ht)} HT — pondéré {format_amount(weighted)} HT"
    )
    quotes.filter_combo.setCurrentIndex(quotes.filter_combo.findText("Acceptés"))
    accepted = quotes.visible_rows()
    assert quotes.footer.text().startswith(f"{len(accepted)} devis — ")


def test_the_control_total_row_stays_pinned_under_the_families(
    qtbot: QtBot, demo_db: Database
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Contrôle facturation")
    tab.panel.set_period("2026-08")
    families = tab.panel.families
    with demo_db.read() as s:
        result = control_month(s, "2026-08")
    assert len(result.by_family) >= 2
    for column, order in ((1, Qt.SortOrder.DescendingOrder), (0, Qt.SortOrder.AscendingOrder)):
        families.view.sortByColumn(column, order)
        listed = [r.family for r in families.visible_rows()]
        assert "Total" not in listed and len(listed) == len(result.by_family)
        total = families.total_row()
        assert (total.family, total.current, total.previous) == (
            "Total",
            result.total_current,
            result.total_previous,
        )
    shown = families.total_view
    assert shown.isVisibleTo(tab) and shown.model().data(shown.model().index(0, 1)) == (
        format_amount(result.total_current, currency=False)
    )
    assert result.total_current != Decimal(0)
