"""The draft invoice editor (Facturation → one-off invoice, or a draft opened from the list)
round-trips what it opens (issue O): every draft of the demo firm's September run and a
one-off draft holding every optional field, saved untouched, change no column of any row;
one field changed changes that column only. Seen: a reverse-charge draft opened to change
its date went from 930 to 1 116 € TTC (VAT reset to 20 %, unit to « forfait »)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.runs import run_month
from app.db import Database
from models.catalog import Article, VatRate
from models.clients import Client
from models.invoices import Invoice, InvoiceStatus
from tests.roundtrip import assert_only, assert_unchanged, snapshot
from ui.billing_dialogs import ManualInvoiceDialog
from ui.context import UiContext
from ui.invoice_lines import DISCOUNT, LABEL, PRICE, QUANTITY, UNIT, VAT
from ui.operations import Bus, OperationRunner

DAY = dt.date(2026, 9, 30)


def _ctx(db: Database) -> UiContext:
    bus = Bus()
    return UiContext(db, bus, OperationRunner(db, bus))


def _vat(s: Any, code: str) -> int:
    return s.scalar(select(VatRate.id).where(VatRate.code == code))


def _full_draft(db: Database) -> int:
    """A one-off draft with every optional field: reverse charge (930 € HT = TTC), a unit,
    a discount, an article line at 2,1 %, a line under the franchise, a service period."""
    with db.write() as s:
        client = s.scalar(select(Client).where(Client.active).order_by(Client.id))
        article = s.scalar(select(Article).where(Article.active).order_by(Article.code))
        assert client is not None and article is not None
        lines = [
            DraftLine(
                "Remise en état des sols (sous-traitance)",
                "31",
                "30",
                vat_rate_id=_vat(s, "AL"),
                unit="m²",
                period_start=dt.date(2026, 9, 1),
                period_end=dt.date(2026, 9, 30),
            ),
            DraftLine("Produits", "2,5", "40", vat_rate_id=_vat(s, "T21"), discount="5"),
            DraftLine("", "1", "12", article_id=article.id, vat_rate_id=_vat(s, "FRANCHISE")),
        ]
        invoice = create_draft_invoice(
            s,
            client.id,
            lines,
            issue_date=DAY,
            title="Travaux de septembre",
            purchase_order="BC-2026-114",
            notes="Autoliquidation",
        )
        return invoice.id


def _drafts(db: Database) -> list[int]:
    with db.write() as s:
        run_month(s, "2026-09")
    with db.read() as s:
        return list(
            s.scalars(
                select(Invoice.id)
                .where(Invoice.status == InvoiceStatus.DRAFT, Invoice.kind != "credit_note")
                .order_by(Invoice.id)
            )
        )


def _open(qtbot: QtBot, db: Database, invoice_id: int) -> ManualInvoiceDialog:
    dialog = ManualInvoiceDialog(_ctx(db))
    qtbot.addWidget(dialog)
    dialog.load_draft(invoice_id)
    return dialog


def test_every_draft_saved_untouched_keeps_every_column(qtbot: QtBot, demo_db: Database) -> None:
    full = _full_draft(demo_db)
    ids = _drafts(demo_db)
    assert full in ids and len(ids) > 5
    before = snapshot(demo_db)
    for invoice_id in ids:
        dialog = _open(qtbot, demo_db, invoice_id)
        dialog.save()
        assert dialog.error.text() == "", (invoice_id, dialog.error.text())
    assert_unchanged(demo_db, before)  # no column of any row of any table, no history


def test_reverse_charge_draft_keeps_its_vat_and_unit_when_its_date_changes(
    qtbot: QtBot, demo_db: Database
) -> None:
    invoice_id = _full_draft(demo_db)
    dialog = _open(qtbot, demo_db, invoice_id)
    assert dialog.grid.cell_text(0, VAT).startswith("AL")
    assert dialog.grid.cell_text(0, UNIT) == "m²"
    assert dialog.grid.cell_text(1, DISCOUNT) == "5"
    before = snapshot(demo_db)
    dialog.date.setDate(DAY - dt.timedelta(days=2))
    dialog.save()
    assert dialog.error.text() == ""
    assert_only(demo_db, before, {("invoices", "issue_date")})
    with demo_db.read() as s:
        invoice = s.get(Invoice, invoice_id)
        assert invoice is not None
        line = invoice.lines[0]
        assert (line.total_ht, line.vat_rate, line.vat_category, line.unit) == (
            Decimal("930.00"),
            Decimal("0"),
            "AE",
            "m²",
        )


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        (LABEL, "Produits d'entretien", {"description"}),
        (QUANTITY, "3", {"quantity", "total_ht"}),
        (UNIT, "heure", {"unit", "unit_code"}),
        (PRICE, "41", {"unit_price", "total_ht"}),
        (DISCOUNT, "6", {"discount", "total_ht"}),
    ],
)
def test_one_field_changed_changes_that_column_only(
    qtbot: QtBot, demo_db: Database, column: int, value: str, expected: set[str]
) -> None:
    invoice_id = _full_draft(demo_db)
    before = snapshot(demo_db)
    dialog = _open(qtbot, demo_db, invoice_id)
    dialog.grid.set_cell(1, column, value)
    dialog.save()
    assert dialog.error.text() == ""
    totals = {("invoices", c) for c in ("total_ht", "total_vat", "total_ttc", "amount_due")}
    lines = {("invoice_lines", c) for c in expected}
    assert_only(demo_db, before, lines | (totals if "total_ht" in expected else set()))


def test_free_line_takes_the_vat_chosen_from_the_apps_list(qtbot: QtBot, demo_db: Database) -> None:
    """Seen: free lines of a manual invoice were always 20 %; T21 and FRANCHISE missing."""
    with demo_db.read() as s:
        client_id = s.scalar(select(Client.id).where(Client.active).order_by(Client.id))
        t21 = _vat(s, "T21")
    dialog = ManualInvoiceDialog(_ctx(demo_db))
    qtbot.addWidget(dialog)
    combo = dialog.grid.cellWidget(0, VAT)
    codes = {combo.itemText(i).split(" — ")[0] for i in range(combo.count())}
    assert {"T20", "T10", "T55", "T21", "EXO", "AL", "FRANCHISE"} <= codes
    dialog.client.setCurrentIndex(dialog.client.findData(client_id))
    dialog.date.setDate(DAY)
    dialog.set_line(0, "Livres", "1", "100")
    dialog.grid.set_cell(0, VAT, t21)
    dialog.save()
    assert dialog.error.text() == ""
    with demo_db.read() as s:
        invoice = s.get(Invoice, dialog.invoice_id)
        assert invoice is not None
        assert (invoice.total_ht, invoice.total_ttc) == (Decimal("100.00"), Decimal("102.10"))


def test_deleting_a_draft_asks_first(qtbot: QtBot, demo_db: Database) -> None:
    from tests.dialogs import ACCEPT, REJECT, answer
    from ui.billing import BillingTab
    from ui.main_window import MainWindow

    _drafts(demo_db)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    tab.set_period("2026-09")
    tab.load_review()
    assert tab.review is not None
    target = tab.drafts.visible_rows()[0]
    tab.drafts.view.selectRow(0)
    seen: list[str] = []
    answer(REJECT, seen=seen)
    tab.delete_button.click()
    assert "1 facture provisoire sera supprimée" in seen[0]
    assert target.client in seen[0]
    with demo_db.read() as s:
        assert s.get(Invoice, target.id) is not None
    answer(ACCEPT)
    tab.delete_button.click()
    with demo_db.read() as s:
        assert s.get(Invoice, target.id) is None
