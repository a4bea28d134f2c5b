"""Contrats screen through its widgets: deleting a line (button, Delete key, menu), a
stray blank line, an amendment effective on the start date, and the buttons the
contract's status allows (asked of CONTRACT_WORKFLOW)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.billing.contracts import CONTRACT_WORKFLOW, contract_actions, mark_ended, terminate
from app.db import Database
from models.contracts import ContractLine, ContractLineVersion, ContractStatus
from tests import billing_fixtures as bf
from ui.contracts import ContractsTab
from ui.main_window import MainWindow

D = dt.date


def _tab(qtbot: QtBot, db: Database) -> ContractsTab:
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Contrats")
    assert isinstance(tab, ContractsTab)
    return tab


def _fill(tab: ContractsTab, row: int, label: str, price: str) -> None:
    tab.lines.item(row, 1).setText(label)
    tab.lines.item(row, 3).setText(price)


def _lines(db: Database, contract_id: int) -> list[tuple[str, Decimal, bool]]:
    """(description, unit price, removed) of each line's version in force, by position."""
    with db.read() as s:
        return [
            (v.description, v.unit_price, v.removed)
            for line in s.scalars(
                select(ContractLine)
                .where(ContractLine.contract_id == contract_id)
                .order_by(ContractLine.position)
            )
            for v in line.versions[-1:]
        ]


@pytest.fixture
def client_id(db: Database) -> int:
    with db.write() as s:
        bf.firm(s)
        return bf.client(s).id


def _draft(tab: ContractsTab, client_id: int, labels: list[str]) -> int:
    tab.new_contract()
    tab.form.set_value("client_id", client_id)
    tab.form.set_value("start_date", D(2026, 1, 15))
    for i, label in enumerate(labels):
        if i:
            tab.lines.add_line()
        _fill(tab, i, label, f"{100 * (i + 1)}")
    contract_id = tab.save()
    assert contract_id is not None, tab.form.general_error.text()
    return contract_id


def test_a_draft_line_is_deleted_by_button_delete_key_and_menu(
    qtbot: QtBot, db: Database, client_id: int
) -> None:
    tab = _tab(qtbot, db)
    contract_id = _draft(tab, client_id, ["Bureaux", "Sols", "Vitres", "Parking"])
    assert [d for d, _p, _r in _lines(db, contract_id)] == ["Bureaux", "Sols", "Vitres", "Parking"]
    # The button removes the selected row.
    tab.lines.setCurrentCell(1, 1)
    qtbot.mouseClick(tab.remove_line_button, Qt.MouseButton.LeftButton)
    assert tab.save() == contract_id
    assert [d for d, _p, _r in _lines(db, contract_id)] == ["Bureaux", "Vitres", "Parking"]
    # The Delete key on the grid.
    tab.lines.setCurrentCell(2, 1)
    qtbot.keyClick(tab.lines, Qt.Key.Key_Delete)
    assert tab.save() == contract_id
    assert [d for d, _p, _r in _lines(db, contract_id)] == ["Bureaux", "Vitres"]
    # The context menu of the grid offers the same action.
    assert tab.lines.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    (action,) = [a for a in tab.lines.actions() if a.text() == "Supprimer la ligne"]
    tab.lines.setCurrentCell(0, 1)
    action.trigger()
    assert tab.save() == contract_id
    assert _lines(db, contract_id) == [("Vitres", Decimal("300"), False)]


def test_a_stray_blank_line_does_not_block_saving(
    qtbot: QtBot, db: Database, client_id: int
) -> None:
    tab = _tab(qtbot, db)
    tab.new_contract()
    tab.form.set_value("client_id", client_id)
    _fill(tab, 0, "Entretien des bureaux", "980")
    tab.lines.add_line()  # « Ajouter une ligne » clicked once too often
    assert tab.lines.rowCount() == 2
    contract_id = tab.save()
    assert contract_id is not None, tab.form.general_error.text()
    assert _lines(db, contract_id) == [("Entretien des bureaux", Decimal("980"), False)]
    # A half-typed line is not blank: it is refused, naming the line.
    tab.lines.add_line()
    tab.lines.item(1, 3).setText("50")
    assert tab.save() is None
    assert "Ligne 2" in tab.form.general_error.text()


def test_a_line_of_a_contract_in_force_is_removed_by_amendment(
    qtbot: QtBot, db: Database, client_id: int
) -> None:
    tab = _tab(qtbot, db)
    contract_id = _draft(tab, client_id, ["Bureaux", "Sols"])
    tab.activate()
    tab.lines.setCurrentCell(1, 1)
    tab.remove_line_button.click()
    assert tab.amend(D(2026, 2, 20), D(2026, 3, 1), "Fin des sols")
    assert _lines(db, contract_id) == [
        ("Bureaux", Decimal("100"), False),
        ("Sols", Decimal("200"), True),
    ]
    sols = [
        tab.plan.item(r, 2).text()
        for r in range(tab.plan.rowCount())
        if tab.plan.item(r, 1).text() == "Sols"
    ]
    assert sols == ["15/01/2026", "01/02/2026"]  # billed until the amendment's date


def _plan_amounts(tab: ContractsTab) -> list[str]:
    return [tab.plan.item(r, 5).text().replace("\u202f", " ") for r in range(2)]


def test_an_amendment_effective_on_the_start_date(
    qtbot: QtBot, db: Database, client_id: int
) -> None:
    tab = _tab(qtbot, db)
    contract_id = _draft(tab, client_id, ["Entretien"])
    tab.lines.item(0, 3).setText("980")
    assert tab.save() == contract_id
    tab.activate()
    assert _plan_amounts(tab) == ["537,42", "980,00"]  # 17/31 of January
    tab.lines.item(0, 3).setText("1010")
    assert tab.amend(D(2026, 1, 20), D(2026, 1, 15), "Prix corrigé dès le début")
    assert tab.form.general_error.isHidden()
    assert _plan_amounts(tab) == ["553,87", "1 010,00"]
    assert _lines(db, contract_id) == [("Entretien", Decimal("1010"), False)]
    # The replaced version stays visible, marked as such.
    origins = [tab.versions.item(r, 2).text() for r in range(tab.versions.rowCount())]
    assert origins == ["Avenant n° 1", "Remplacée par un avenant du même jour"]
    # Cancelling the amendment puts the initial price back in force.
    tab.amend_page.table.selectRow(0)
    assert tab.amend_page.cancel("Saisie erronée")
    tab.open_contract(contract_id)
    assert _plan_amounts(tab) == ["537,42", "980,00"]
    with db.read() as s:
        in_force = s.scalars(
            select(ContractLineVersion.unit_price).where(ContractLineVersion.cancelled.is_(False))
        ).all()
    assert in_force == [Decimal("980")]


def test_the_buttons_are_what_the_contract_workflow_allows(
    qtbot: QtBot, db: Database, client_id: int
) -> None:
    tab = _tab(qtbot, db)
    enabled = {}
    contract_id = _draft(tab, client_id, ["Bureaux"])
    keys = ("activate", "amend", "suspend", "resume", "terminate", "extra")

    def seen() -> frozenset[str]:
        tab.open_contract(contract_id)
        assert tab.detail is not None
        enabled[tab.detail.status] = frozenset(k for k in keys if tab.buttons[k].isEnabled())
        return enabled[tab.detail.status]

    seen()
    tab.activate()
    seen()
    assert tab.suspend(D(2026, 3, 1), D(2026, 3, 31), False, "Travaux")
    seen()
    with db.write() as s:
        terminate(s, contract_id, D(2026, 4, 1), D(2026, 8, 31))
    seen()
    with db.write() as s:
        mark_ended(s, contract_id, D(2026, 9, 1))
    seen()
    assert enabled == {status: contract_actions(status) for status in ContractStatus.LABELS}
    assert enabled == {
        "draft": {"activate"},
        "active": {"amend", "suspend", "terminate", "extra"},
        "suspended": {"amend", "resume", "terminate", "extra"},
        "terminated": frozenset(),
        "ended": frozenset(),
    }
    # Every status-changing button leads to a transition the workflow holds.
    targets = {"activate": "active", "suspend": "suspended", "resume": "active"}
    targets["terminate"] = "terminated"
    for status, actions in enabled.items():
        for action in actions & targets.keys():
            assert targets[action] in CONTRACT_WORKFLOW.allowed(status)
