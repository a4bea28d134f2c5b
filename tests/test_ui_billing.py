"""Contrats and Facturation tabs clicked through offscreen on the demo firm and a fresh file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.db import Database
from app.money import format_amount
from models.contracts import Contract
from models.invoices import Invoice
from tests import billing_fixtures as bf
from tests.dialogs import ACCEPT, REJECT, answer
from ui.billing import BillingTab
from ui.contracts import ContractsTab
from ui.main_window import MainWindow

D = dt.date


def test_run_review_issue_and_view_on_the_demo_firm(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    tab.set_period("2026-10")
    assert tab.review is not None and tab.review.drafts == []
    tab.start_run()
    qtbot.waitUntil(lambda: bool(tab.review and tab.review.drafts), timeout=60_000)
    drafts = tab.review.drafts
    assert all(d.status == "draft" and d.issue_date == D(2026, 10, 31) for d in drafts)
    assert tab.review.total_ht == sum((d.total_ht for d in drafts), Decimal("0.00")) > 0
    assert "factures provisoires" in tab.totals.text()
    viewer = tab.open_invoice(drafts[0].id, modal=False)
    assert viewer.lines.rowCount() >= 1 and "Total TTC" in viewer.totals.text()
    # « Émettre tout » first says what it will do; cancelled, nothing is numbered.
    with demo_db.read() as s:
        last_before = s.scalar(
            select(func.max(Invoice.number)).where(
                Invoice.issue_date < D(2026, 10, 1), Invoice.series_code == "invoice"
            )
        )
    first = f"FA2026-{int(last_before[-5:]) + 1:05d}"
    last = f"FA2026-{int(last_before[-5:]) + len(drafts):05d}"
    seen: list[str] = []
    answer(REJECT, seen=seen)
    tab.issue_all_button.click()
    total_ht = format_amount(tab.review.total_ht)
    total_ttc = format_amount(tab.review.total_ttc)
    assert f"{len(drafts)} documents seront numérotés et figés" in seen[0]
    assert f"Factures : {len(drafts)} ({first} à {last})" in seen[0]
    assert "Date d'émission : 31/10/2026" in seen[0]
    assert f"Total : {total_ht} HT — {total_ttc} TTC" in seen[0]
    assert len(tab.review.drafts) == len(drafts) and tab.last_numbers == []
    # Confirmed: numbers follow the demo's history without a gap, as announced.
    answer(ACCEPT)
    tab.issue_all_button.click()
    qtbot.waitUntil(lambda: bool(tab.last_numbers), timeout=60_000)
    assert len(tab.last_numbers) == len(drafts)
    assert (tab.last_numbers[0], tab.last_numbers[-1]) == (first, last)
    assert tab.review.drafts == []
    # The invoice list shows them with the period filter.
    tab.f_period.set_period("2026-10")
    tab.load_invoices()
    numbers = {r.number for r in tab.invoices.visible_rows()}
    assert set(tab.last_numbers) <= numbers
    # Credit note on one of them, partial, through the dialog.
    target = next(r for r in tab.invoices.visible_rows() if r.number == tab.last_numbers[0])
    dialog = tab.open_credit_note(target.id, modal=False)
    assert dialog is not None
    dialog.set_amount(0, "999999")
    dialog.save()
    assert "dépasse" in dialog.error.text()
    dialog.set_amount(0, "10")
    dialog.date.setDate(D(2026, 10, 31))
    seen: list[str] = []
    answer(ACCEPT, seen=seen)  # the confirmation says what will be numbered
    dialog.save()
    assert dialog.note_number and dialog.note_number.startswith("AV2026-")
    assert f"Avoirs : 1 ({dialog.note_number})" in seen[0]
    # Rerunning the month creates nothing.
    tab.start_run()
    qtbot.waitUntil(
        lambda: any(
            "Rien de nouveau" in tab.warnings.item(i).text() for i in range(tab.warnings.count())
        ),
        timeout=60_000,
    )
    window.grab().save(str(tmp_path / "billing.png"))


def test_contract_form_create_activate_plan_amend_suspend(qtbot: QtBot, db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        art = bf.article(s, "ENT", "Entretien des bureaux", "980")
        client_id, article_id = client.id, art.id
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Contrats")
    assert isinstance(tab, ContractsTab)
    tab.new_contract()
    tab.save()  # no client chosen
    assert "client" in tab.form.error_text("client_id").lower()
    tab.form.set_value("client_id", client_id)
    tab.form.set_value("start_date", D(2026, 1, 15))
    tab.form.set_value("title", "Bureaux du siège")
    grid = tab.lines
    grid.cellWidget(0, 0).setCurrentIndex(grid.cellWidget(0, 0).findData(article_id))
    assert grid.item(0, 3).text() == "980"
    grid.cellWidget(0, 5).setCurrentIndex(grid.cellWidget(0, 5).findData("arrears"))
    contract_id = tab.save()
    assert contract_id is not None
    tab.activate()
    assert tab.detail is not None and tab.detail.status == "active"
    # Échéancier: the first period is pro-rated (17/31 days of 980 = 537.42).
    assert tab.plan.item(0, 5).text().replace("\u202f", " ") == "537,42"
    assert tab.plan.item(0, 7).text() == "17/31"
    # Amendment: new price from 1 March.
    grid.item(0, 3).setText("1010")
    assert tab.amend(D(2026, 2, 20), D(2026, 3, 1), "Révision de prix")
    assert tab.amendments.rowCount() == 1 and tab.versions.rowCount() == 2
    march = next(
        r for r in range(tab.plan.rowCount()) if tab.plan.item(r, 2).text() == "01/03/2026"
    )
    assert tab.plan.item(march, 5).text().replace("\u202f", " ") == "1 010,00"
    assert tab.suspend(D(2026, 7, 1), D(2026, 8, 31), False, "Travaux")
    assert tab.detail.status == "suspended" and tab.suspensions.rowCount() == 1
    assert not any(tab.plan.item(r, 2).text() == "01/07/2026" for r in range(tab.plan.rowCount()))
    assert tab.history.rowCount() >= 4
    extra = tab.bill_outside_plan(tab.detail.current[0].line_id, D(2026, 9, 15), "0,5")
    assert extra is not None and "505,00" in tab.status_label.text().replace("\u202f", " ")
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Contract)) == 1


def test_manual_invoice_draft_then_issue_from_the_list(qtbot: QtBot, db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client_id = bf.client(s).id
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    dialog = tab.new_invoice(modal=False)
    dialog.set_line(0, "Nettoyage après dégât des eaux", "3", "45,50")
    dialog.save()
    assert "client" in dialog.error.text().lower()
    dialog.client.setCurrentIndex(dialog.client.findData(client_id))
    dialog.date.setDate(D(2026, 11, 5))
    dialog.set_line(1, "Produits", "1", "12.30")
    dialog.save()
    assert dialog.invoice_id is not None
    tab.load_invoices()
    rows = tab.invoices.visible_rows()
    assert [(r.status, r.total_ht, r.total_ttc) for r in rows] == [
        ("draft", Decimal("148.80"), Decimal("178.56"))
    ]
    edit = tab.new_invoice(modal=False, draft_id=dialog.invoice_id)
    assert edit.grid.item(1, 1).text() == "Produits" and not edit.client.isEnabled()
    edit.set_line(0, "Nettoyage après dégât des eaux", "4", "45.50")
    edit.save()
    tab.load_invoices()
    assert [r.total_ttc for r in tab.invoices.visible_rows()] == [
        Decimal("233.16")
    ]  # (182 + 12.30) × 1.2
    tab.invoices.view.selectRow(0)
    seen: list[str] = []
    answer(ACCEPT, seen=seen)
    tab.issue_button.click()
    assert "FA2026-00001" in seen[0] and "233,16" in seen[0]
    qtbot.waitUntil(lambda: tab.last_numbers == ["FA2026-00001"], timeout=30_000)
    with db.read() as s:
        inv = s.get(Invoice, dialog.invoice_id)
        assert (inv.number, inv.status, inv.due_date) == ("FA2026-00001", "issued", D(2026, 12, 5))
