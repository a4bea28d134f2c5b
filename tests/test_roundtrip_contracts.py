"""Safeguard 1 for the Contrats and Règlements editors: every contract (with its lines and
amendments) and every payment of the demo firm opened in its editor and saved untouched
changes no column of any row; one field changed changes that column only."""

from __future__ import annotations

import datetime as dt

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from models.contracts import Contract, ContractStatus
from tests.roundtrip import ADDED, assert_only, assert_unchanged, changes, snapshot
from tests.test_contract_screen import _tab
from ui.main_window import MainWindow
from ui.payments import PaymentsTab


def test_every_demo_contract_saved_untouched_changes_nothing(
    qtbot: QtBot, demo_db: Database
) -> None:
    with demo_db.read() as s:
        contracts = s.execute(select(Contract.id, Contract.code, Contract.status)).all()
    assert len(contracts) >= 20 and {c.status for c in contracts} >= {"active", "draft"}
    tab = _tab(qtbot, demo_db)
    before = snapshot(demo_db)
    for contract_id, code, _status in contracts:
        tab.open_contract(contract_id)
        assert tab.save() == contract_id, (code, tab.form.general_error.text())
    assert_unchanged(demo_db, before)  # not even a « modifié » in the audit trail


def test_one_header_field_changed_changes_that_column_only(qtbot: QtBot, demo_db: Database) -> None:
    with demo_db.read() as s:
        contracts = s.execute(select(Contract.id, Contract.code)).all()
    tab = _tab(qtbot, demo_db)
    for contract_id, code in contracts:
        tab.open_contract(contract_id)
        before = snapshot(demo_db)
        tab.form.set_value("purchase_order", f"BC-{code}")
        assert tab.save() == contract_id
        (change,) = assert_only(demo_db, before, {("contracts", "purchase_order")})
        assert (change.key, change.new) == ((contract_id,), f"BC-{code}")


def test_one_line_field_of_a_draft_changes_that_column_only(
    qtbot: QtBot, demo_db: Database
) -> None:
    with demo_db.read() as s:
        drafts = s.scalars(select(Contract.id).where(Contract.status == ContractStatus.DRAFT)).all()
    assert drafts
    tab = _tab(qtbot, demo_db)
    for contract_id in drafts:
        tab.open_contract(contract_id)
        assert tab.lines.rowCount() >= 1
        before = snapshot(demo_db)
        current = tab.detail.current[-1]  # type: ignore[union-attr]
        last = tab.lines.rowCount() - 1
        tab.lines.item(last, 1).setText(tab.lines.item(last, 1).text() + " (révisé)")
        assert tab.save() == contract_id
        (change,) = assert_only(demo_db, before, {("contract_line_versions", "description")})
        assert change.new == current.description + " (révisé)"
        assert before["contract_line_versions"][change.key]["line_id"] == current.line_id


def test_an_amendment_changes_only_what_was_typed(qtbot: QtBot, demo_db: Database) -> None:
    """Every active demo contract: an amendment with nothing changed is refused and writes
    nothing; with one quantity changed, the new version differs from the one it follows in
    that column only (and its date and amendment)."""
    with demo_db.read() as s:
        active = s.scalars(
            select(Contract.id).where(Contract.status == ContractStatus.ACTIVE)
        ).all()
    assert len(active) >= 10
    tab = _tab(qtbot, demo_db)
    day = dt.date(2026, 12, 1)
    for contract_id in active:
        tab.open_contract(contract_id)
        before = snapshot(demo_db)
        assert not tab.amend(day, day, "Sans changement")
        assert "Modifiez d'abord les lignes" in tab.form.general_error.text()
        assert_unchanged(demo_db, before)
        follows = tab.detail.current[0]  # type: ignore[union-attr]
        tab.lines.item(0, 2).setText(str(follows.quantity + 1).replace(".", ","))
        assert tab.amend(day, day, "Une quantité de plus"), tab.form.general_error.text()
        found = changes(before, snapshot(demo_db))
        added = [c.new for c in found if c.table == "contract_line_versions" and c.column == ADDED]
        assert {c.table for c in found} <= {"contract_line_versions", "amendments", "audit_events"}
        previous = max(
            (
                v
                for v in before["contract_line_versions"].values()
                if v["line_id"] == follows.line_id
            ),
            key=lambda v: (v["valid_from"], v["id"]),
        )
        assert len(added) == 1, added
        different = {
            k
            for k, v in added[0].items()
            if v != previous[k] and k not in ("id", "created_at", "updated_at")
        }
        assert different <= {"quantity", "valid_from", "amendment_id"}, different
        assert "quantity" in different


def test_every_demo_payment_opened_changes_nothing(qtbot: QtBot, demo_db: Database) -> None:
    """Selecting each payment, opening « Imputer le crédit… » and saving it untouched writes
    nothing (nothing to allocate is refused, with a message)."""
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Règlements")
    assert isinstance(tab, PaymentsTab)
    before = snapshot(demo_db)
    rows = tab.list.visible_rows()
    assert len(rows) >= 20
    credits = 0
    for i in range(len(rows)):
        tab.list.view.selectRow(i)
        row = tab.list.current()
        assert tab.allocate_button.isEnabled() == (row.status == "active" and row.unallocated > 0)
        dialog = tab.allocate_credit()
        if dialog is None:
            continue
        credits += 1
        assert not dialog.save()
        assert dialog.allocation.error.text() == "Indiquez au moins une facture à régler."
        dialog.reject()
    assert_unchanged(demo_db, before)


def test_a_contract_naming_deactivated_records_round_trips(qtbot: QtBot, demo_db: Database) -> None:
    """The client, site and line article of a draft deactivated since: still offered
    (« (inactif) »), so an untouched save keeps them."""
    from models.catalog import Article
    from models.clients import Client, Site
    from models.contracts import ContractLine, ContractLineVersion

    with demo_db.write() as s:
        contract = s.scalars(
            select(Contract).where(Contract.status == ContractStatus.DRAFT)
        ).first()
        article = Article(code="ZZ-OLD", label="Ancienne prestation", unit="forfait")
        article.vat_rate_id = s.scalar(select(Article.vat_rate_id).limit(1))
        article.revenue_account_id = s.scalar(select(Article.revenue_account_id).limit(1))
        s.add(article)
        s.flush()
        version = s.scalar(
            select(ContractLineVersion)
            .join(ContractLine, ContractLine.id == ContractLineVersion.line_id)
            .where(ContractLine.contract_id == contract.id)
        )
        version.article_id = article.id
        article.active = False
        s.get(Client, contract.client_id).active = False
        if contract.site_id:
            s.get(Site, contract.site_id).active = False
        contract_id, client_id = contract.id, contract.client_id
    tab = _tab(qtbot, demo_db)
    before = snapshot(demo_db)
    tab.open_contract(contract_id)
    assert tab.form.value("client_id") == client_id
    assert tab.form.widget("client_id").currentText().endswith("(inactif)")
    assert tab.lines.cellWidget(0, 0).currentText() == "ZZ-OLD — Ancienne prestation (inactif)"
    assert tab.save() == contract_id, tab.form.general_error.text()
    assert_unchanged(demo_db, before)
