"""Safeguard 1 for the Contrats and Règlements editors: every contract (with its lines and
amendments) and every payment of the demo firm opened in its editor and saved untouched
changes no column of any row; one field changed changes that column only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pytestqt.qtbot import QtBot
from sqlalchemy import select, text

from app.db import Database
from models.contracts import Contract, ContractStatus
from ui.contracts import ContractsTab
from ui.main_window import MainWindow
from ui.payments import PaymentsTab

CONTRACT_TABLES = (
    "contracts",
    "contract_lines",
    "contract_line_versions",
    "contract_sites",
    "amendments",
    "suspensions",
)
PAYMENT_TABLES = ("payments", "payment_allocations", "invoices")


def snapshot(db: Database, tables: tuple[str, ...]) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """Every row of ``tables`` by id, every column."""
    with db.read() as s:
        return {
            t: {
                row._mapping["id"]: tuple(row)
                for row in s.execute(text(f"SELECT * FROM {t} ORDER BY id"))
            }
            for t in tables
        }


def changes(
    before: dict[str, dict[Any, tuple[Any, ...]]],
    after: dict[str, dict[Any, tuple[Any, ...]]],
    db: Database,
) -> set[tuple[str, Any, str]]:
    """(table, id, column) of every value that differs; a row added or removed as column '*'."""
    out: set[tuple[str, Any, str]] = set()
    with db.read() as s:
        for table in before:
            names = list(s.execute(text(f"SELECT * FROM {table} LIMIT 0")).keys())
            old, new = before[table], after[table]
            out |= {(table, key, "*") for key in old.keys() ^ new.keys()}
            for key in old.keys() & new.keys():
                out |= {
                    (table, key, names[i])
                    for i, (a, b) in enumerate(zip(old[key], new[key], strict=True))
                    if a != b
                }
    return out


def _tab(qtbot: QtBot, db: Database) -> ContractsTab:
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Contrats")
    assert isinstance(tab, ContractsTab)
    return tab


def test_every_demo_contract_saved_untouched_changes_nothing(
    qtbot: QtBot, demo_db: Database
) -> None:
    with demo_db.read() as s:
        contracts = s.execute(select(Contract.id, Contract.code, Contract.status)).all()
    assert len(contracts) >= 20 and {c.status for c in contracts} >= {"active", "draft"}
    tab = _tab(qtbot, demo_db)
    before = snapshot(demo_db, CONTRACT_TABLES)
    for contract_id, code, _status in contracts:
        tab.open_contract(contract_id)
        assert tab.save() == contract_id, (code, tab.form.general_error.text())
    assert changes(before, snapshot(demo_db, CONTRACT_TABLES), demo_db) == set()


def test_one_header_field_changed_changes_that_column_only(qtbot: QtBot, demo_db: Database) -> None:
    with demo_db.read() as s:
        contracts = s.execute(select(Contract.id, Contract.code)).all()
    tab = _tab(qtbot, demo_db)
    for contract_id, code in contracts:
        tab.open_contract(contract_id)
        before = snapshot(demo_db, CONTRACT_TABLES)
        tab.form.set_value("purchase_order", f"BC-{code}")
        assert tab.save() == contract_id
        changed = changes(before, snapshot(demo_db, CONTRACT_TABLES), demo_db)
        assert changed - {("contracts", contract_id, "updated_at")} == {
            ("contracts", contract_id, "purchase_order")
        }, code


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
        before = snapshot(demo_db, CONTRACT_TABLES)
        version_id = tab.detail.current[-1]  # type: ignore[union-attr]
        last = tab.lines.rowCount() - 1
        tab.lines.item(last, 1).setText(tab.lines.item(last, 1).text() + " (révisé)")
        assert tab.save() == contract_id
        changed = changes(before, snapshot(demo_db, CONTRACT_TABLES), demo_db)
        stamps = {c for c in changed if c[2] == "updated_at"}
        (description,) = changed - stamps
        assert description[0::2] == ("contract_line_versions", "description"), changed
        with demo_db.read() as s:
            line_id = s.scalar(
                text("SELECT line_id FROM contract_line_versions WHERE id = :id"),
                {"id": description[1]},
            )
        assert line_id == version_id.line_id


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
        before = snapshot(demo_db, CONTRACT_TABLES)
        assert not tab.amend(day, day, "Sans changement")
        assert "Modifiez d'abord les lignes" in tab.form.general_error.text()
        assert changes(before, snapshot(demo_db, CONTRACT_TABLES), demo_db) == set()
        follows = tab.detail.current[0]  # type: ignore[union-attr]
        tab.lines.item(0, 2).setText(str(follows.quantity + 1).replace(".", ","))
        assert tab.amend(day, day, "Une quantité de plus"), tab.form.general_error.text()
        after = snapshot(demo_db, CONTRACT_TABLES)
        with demo_db.read() as s:
            names = list(s.execute(text("SELECT * FROM contract_line_versions LIMIT 0")).keys())
        added = [
            dict(zip(names, after["contract_line_versions"][k], strict=True))
            for k in after["contract_line_versions"].keys()
            - before["contract_line_versions"].keys()
        ]
        old = before["contract_line_versions"]
        previous = dict(
            zip(
                names,
                max(
                    (v for v in old.values() if v[names.index("line_id")] == follows.line_id),
                    key=lambda v: (v[names.index("valid_from")], v[names.index("id")]),
                ),
                strict=True,
            )
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
    before = snapshot(demo_db, PAYMENT_TABLES)
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
    assert changes(before, snapshot(demo_db, PAYMENT_TABLES), demo_db) == set()


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
    before = snapshot(demo_db, CONTRACT_TABLES)
    tab.open_contract(contract_id)
    assert tab.form.value("client_id") == client_id
    assert tab.form.widget("client_id").currentText().endswith("(inactif)")
    assert tab.lines.cellWidget(0, 0).currentText() == "ZZ-OLD — Ancienne prestation (inactif)"
    assert tab.save() == contract_id, tab.form.general_error.text()
    assert changes(before, snapshot(demo_db, CONTRACT_TABLES), demo_db) == set()
