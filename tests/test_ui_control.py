"""Contrôle facturation (own tab and panel of the run wizard) and Relances tab, offscreen."""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from app.db import Database
from models.collections import Reminder
from ui.billing import BillingTab
from ui.collections import CollectionsTab
from ui.control import ControlTab
from ui.main_window import MainWindow


def test_control_in_the_run_wizard_and_its_own_tab(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    billing = window.tab("Facturation")
    assert isinstance(billing, BillingTab)
    billing.set_period("2026-09")
    billing.start_run()
    qtbot.waitUntil(lambda: bool(billing.review and billing.review.drafts), timeout=60_000)
    panel = billing.control
    qtbot.waitUntil(lambda: panel.result is not None and panel.result.drafts > 0, timeout=10_000)
    result = panel.result
    assert result.period == "2026-09" and result.previous == "2026-08"
    # The control's family totals are the run's totals, to the cent.
    assert result.total_current == billing.review.total_ht
    assert panel.families.model.rowCount() == len(result.by_family)  # the total pinned below
    assert panel.families.total_row().current == result.total_current
    assert "provisoire" in panel.summary.text()
    # Correct a draft with a free line: the control sees it at once.
    billing.drafts.view.selectRow(0)
    dialog = panel.correct_draft(modal=False)
    assert dialog is not None
    dialog.description.setText("Nettoyage après travaux")
    dialog.unit_price.setText("50")
    assert dialog.save()
    qtbot.waitUntil(lambda: panel.result.total_current == result.total_current + 50, timeout=10_000)
    assert billing.review.total_ht == result.total_current + 50
    # Re-compute the month from the panel: the run's drafts again, the free line gone.
    before = result.total_current
    panel.recompute()
    qtbot.waitUntil(lambda: panel.last_recompute is not None, timeout=60_000)
    assert panel.last_recompute.total_ht == before
    qtbot.waitUntil(lambda: billing.review.total_ht == before, timeout=10_000)

    tab = window.tab("Contrôle facturation")
    assert isinstance(tab, ControlTab)
    tab.panel.set_period("2026-09")
    rows = tab.panel.anomalies.visible_rows()
    assert rows, "the demo's September shows new contracts"
    opened: list[int] = []
    tab.panel.contract_requested.connect(opened.append)
    tab.panel.open_contract(rows[0].contract_id)
    assert opened == [rows[0].contract_id]
    assert window.tab("Contrats").contract_id == rows[0].contract_id
    # Exports: .xlsx with both sheets, PDF with the families.
    xlsx, pdf = tmp_path / "c.xlsx", tmp_path / "c.pdf"
    tab.panel.export_xlsx(str(xlsx))
    tab.panel.export_pdf(str(pdf))
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["Familles", "Anomalies"]
    total_row = next(r for r in wb["Familles"].iter_rows(values_only=True) if r[0] == "Total")
    assert Decimal(str(total_row[1])) == result.total_current
    assert wb["Anomalies"].max_row == len(rows) + 1
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout
    assert "Contrôle de la facturation — septembre 2026" in text.decode()
    # Threshold saved from the panel.
    tab.panel.threshold.setText("25")
    tab.panel.save_threshold()
    assert tab.panel.result.threshold == Decimal("25")


def test_relances_tab(qtbot: QtBot, demo_db: Database, tmp_path: Path) -> None:
    tab = CollectionsTab(_ctx(demo_db))
    qtbot.addWidget(tab)
    tab.on.setDate(QDate(2026, 9, 1))
    aged = tab.aged.visible_rows()
    total = next(r for r in aged if r.client == "Total")
    assert total.total == sum((r.total for r in aged if r is not total), Decimal("0.00"))
    assert "Encours" in tab.total.text()
    history_before = len(tab.history.visible_rows())
    assert history_before >= 3  # the demo's reminders of 2026
    proposals = tab.proposals.visible_rows()
    assert proposals
    tab.proposals.view.selectRow(0)
    done = tab.record("letter")
    assert len(done) == 1 and done[0].client_id == proposals[0].client_id
    assert len(tab.history.visible_rows()) == history_before + 1
    assert len(tab.proposals.visible_rows()) == len(proposals) - 1
    with demo_db.read() as s:
        assert s.get(Reminder, done[0].id).sent_on == dt.date(2026, 9, 1)
    tab.history.view.selectRow(0)
    data = tab.letter_bytes(tab.history.current().id, "docx")
    assert data[:2] == b"PK"
    dialog = tab.show_email(modal=False)
    assert dialog is not None and "Relance" in dialog.windowTitle()
    tab.delays["relance_1"].setValue(20)
    tab.save_delays()
    tab.refresh()
    assert tab.delays["relance_1"].value() == 20


def _ctx(db: Database):  # type: ignore[no-untyped-def]
    from ui.context import UiContext
    from ui.operations import Bus, OperationRunner

    bus = Bus()
    return UiContext(db, bus, OperationRunner(db, bus))
