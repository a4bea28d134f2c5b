"""Contrats tab: « Annuler l'avenant… », « Corriger… » and « Annuler la suspension… »
clicked through offscreen, their confirmation dialogs answered like a user would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget
from pytestqt.qtbot import QtBot

from app.billing.contracts import ContractForm, LineForm, activate, add_amendment, create_contract
from app.billing.runs import issue_period, run_month
from app.db import Database
from tests import billing_fixtures as bf
from ui.contract_widgets import AskDialog
from ui.contracts import ContractsTab
from ui.main_window import MainWindow

D = dt.date


def _answer(qtbot: QtBot, button: Any, values: dict[str, Any]) -> list[str]:
    """Click ``button``; fill and confirm the dialog it opens. Returns the dialog's texts."""
    seen: list[str] = []

    def handle(tries: int = 0) -> None:
        dialogs = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, AskDialog) and w.isVisible()
        ]
        if not dialogs:
            if tries < 100:
                QTimer.singleShot(10, lambda: handle(tries + 1))
            return
        dialog = dialogs[0]
        seen.append(dialog.windowTitle())
        seen.extend(label.text() for label in dialog.findChildren(QLabel))
        for key, value in values.items():
            dialog.form.set_value(key, value)
        dialog.accept()

    QTimer.singleShot(0, handle)
    button.click()
    return seen


def _cells(table: QTableWidget, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def _plan_row(tab: ContractsTab, start: str) -> list[str]:
    for r in range(tab.plan.rowCount()):
        if tab.plan.item(r, 2).text() == start:
            cells = [tab.plan.item(r, c).text() for c in range(tab.plan.columnCount())]
            return [c.replace("\u202f", " ").replace("\xa0", " ") for c in cells]
    raise AssertionError(f"no plan row starting {start}")


def test_cancel_an_amendment_then_correct_and_cancel_a_suspension(
    qtbot: QtBot, db: Database
) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        contract = create_contract(
            s,
            ContractForm(client_id=client.id, start_date=D(2026, 1, 1), title="Bureaux"),
            [LineForm("Entretien des bureaux", Decimal(1), Decimal(1000), "monthly", "advance")],
        )
        activate(s, contract.id)
        add_amendment(
            s,
            contract.id,
            signed_date=D(2026, 1, 20),
            effective_date=D(2026, 2, 1),
            description="Hausse de prix (saisie erronée)",
            changes=[
                LineForm(
                    "Entretien des bureaux",
                    Decimal(1),
                    Decimal(1200),
                    "monthly",
                    "advance",
                    line_id=contract.lines[0].id,
                )
            ],
        )
        contract_id = contract.id
    for period in ("2026-01", "2026-02"):
        with db.write() as s:
            run_month(s, period)
        with db.write() as s:
            issue_period(s, period)

    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Contrats")
    assert isinstance(tab, ContractsTab)
    tab.open_contract(contract_id)
    tab.tabs.setCurrentWidget(tab.amend_page)
    page = tab.amend_page
    assert _plan_row(tab, "01/02/2026")[5:7] == ["1 200,00", "1 200,00"]
    assert not page.cancel_button.isEnabled()  # nothing selected
    page.table.selectRow(0)
    assert page.cancel_button.isEnabled()

    # No reason: refused, in French, nothing changed.
    _answer(qtbot, page.cancel_button, {"reason": ""})
    assert "motif" in page.message.text()
    assert _cells(tab.amendments, 4) == ["En vigueur"]

    page.table.selectRow(0)
    texts = _answer(qtbot, page.cancel_button, {"reason": "Prix saisi par erreur"})
    assert texts[0] == "Annuler l'avenant n° 1"
    assert any("régularisées au prochain lancement" in t for t in texts)
    assert page.message.text() == ""
    # Listed « annulé » with its reason; its version kept, shown as cancelled.
    assert _cells(tab.amendments, 0) == ["1"]
    assert tab.amendments.item(0, 4).text().startswith("Annulé le")
    assert tab.amendments.item(0, 4).text().endswith(": Prix saisi par erreur")
    assert _cells(tab.versions, 2) == ["Contrat initial", "Avenant n° 1 (annulé)"]
    assert _cells(tab.versions, 5)[1].replace("\u202f", " ") == "1 200,00"
    # The échéancier falls back to 1 000 (February billed 1 200: regularised next run).
    assert _plan_row(tab, "01/02/2026")[5:7] == ["1 000,00", "1 200,00"]
    assert tab.lines.item(0, 3).text() == "1000"
    page.table.selectRow(0)
    assert not page.cancel_button.isEnabled()  # already cancelled

    # A suspension typed for the whole of March, really 1–15 March.
    assert tab.suspend(D(2026, 3, 1), D(2026, 3, 31), False, "Travaux")
    assert tab.detail is not None and tab.detail.status == "suspended"
    tab.tabs.setCurrentWidget(tab.suspension_page)
    spage = tab.suspension_page
    assert not spage.correct_button.isEnabled()
    spage.table.selectRow(0)
    texts = _answer(qtbot, spage.correct_button, {"end": D(2026, 3, 15)})
    assert texts[0] == "Corriger la suspension"
    assert _cells(tab.suspensions, 1) == ["15/03/2026"]
    assert _plan_row(tab, "01/03/2026")[5] == "516,13"  # 16/31 of 1 000
    assert _plan_row(tab, "01/03/2026")[7] == "16/31"

    spage.table.selectRow(0)
    texts = _answer(qtbot, spage.cancel_button, {"reason": "Travaux reportés"})
    assert any("facturées en rattrapage" in t for t in texts)
    assert tab.suspensions.item(0, 5).text().startswith("Annulée le")
    assert _plan_row(tab, "01/03/2026")[5] == "1 000,00"
    assert tab.detail.status == "active"
    spage.table.selectRow(0)
    assert not spage.correct_button.isEnabled() and not spage.cancel_button.isEnabled()

    history = "\n".join(_cells(tab.history, 1))
    assert "Avenant n° 1 au contrat" in history and "annulé : Prix saisi par erreur" in history
    assert "Suspension corrigée : du 01/03/2026 au 15/03/2026" in history
    assert "annulée : Travaux reportés" in history
    tab.tabs.setCurrentWidget(page)
    window.resize(1400, 800)
    window.grab().save("/tmp/contract_corrections.png")
