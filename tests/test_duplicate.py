"""Duplicate a quote or a contract (issue P §7): a new draft, the original untouched; the
copied quote gets its own number when it is sent, the copied contract the next code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app import clock
from app.db import Database
from app.quotes.transitions import send_quote
from models.audit import AuditEvent
from models.contracts import Contract, ContractStatus
from models.quotes import Quote, QuoteStatus
from tests.dialogs import answer
from ui.main_window import MainWindow

TODAY = dt.date(2026, 9, 1)


def _lines(quote: Quote) -> list[tuple]:
    return [(q.label, q.description, q.quantity, q.unit_price, q.total_ht) for q in quote.lines]


def test_duplicate_a_sent_quote_from_the_list(qtbot: QtBot, demo_db: Database) -> None:
    with clock.pinned(TODAY):
        window = MainWindow(demo_db)
        qtbot.addWidget(window)
        tab = window.tab("Devis")
        with demo_db.read() as s:
            original = s.scalars(
                select(Quote).where(Quote.number == "DE2026-00003", Quote.version == 2)
            ).one()
            before = (original.status, original.next_reminder_date, _lines(original))
            photos, sheets = len(original.photos), len(original.sheets)
        rows = tab.list.visible_rows()
        tab.list.view.selectRow(next(i for i, r in enumerate(rows) if r.id == original.id))
        assert tab.buttons["duplicate"].isEnabled()
        tab.buttons["duplicate"].click()
        editor = tab.editor
        copy_id = editor.quote_id
        assert copy_id != original.id
        editor.close()
    with demo_db.read() as s:
        copy, original = s.get(Quote, copy_id), s.get(Quote, original.id)
        assert (copy.status, copy.number, copy.version) == (QuoteStatus.DRAFT, None, 1)
        assert copy.quote_date == TODAY
        assert copy.validity_date - copy.quote_date == original.validity_date - original.quote_date
        assert (copy.client_id, copy.site_id, copy.title) == (
            original.client_id, original.site_id, original.title
        )  # fmt: skip
        assert _lines(copy) == before[2]
        assert copy.total_ttc == original.total_ttc == Decimal("637.20")
        assert (len(copy.photos), len(copy.sheets)) == (photos, sheets)
        assert (original.status, original.next_reminder_date, _lines(original)) == before
        summary = s.scalar(
            select(AuditEvent.summary).where(
                AuditEvent.entity_id == copy.id, AuditEvent.action == "duplicate"
            )
        )
        assert summary == "Devis créé par copie de DE2026-00003 v2"
    with clock.pinned(TODAY), demo_db.write() as s:
        send_quote(s, copy_id, TODAY)
        number = s.get(Quote, copy_id).number
    assert number.startswith("DE2026-") and number != "DE2026-00003"


def test_duplicate_a_contract_asks_its_start_and_opens_the_draft(
    qtbot: QtBot, demo_db: Database
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Contrats")
    with demo_db.read() as s:
        original = s.scalars(select(Contract).where(Contract.code == "CT00004")).one()
        original_id, client_id = original.id, original.client_id
        lines = [
            (v.description, v.quantity, v.unit_price, v.frequency, v.term)
            for v in (line.versions[-1] for line in original.lines)
            if not v.removed
        ]
        count = s.scalar(select(func.count()).select_from(Contract))
    tab.open_contract(original_id)
    seen: list[str] = []

    def start(dialog):  # type: ignore[no-untyped-def]
        dialog.form.set_value("start", dt.date(2026, 10, 1))

    answer(seen=seen, fill=start)
    tab.buttons["duplicate"].click()
    assert "Début du nouveau contrat" in seen[0]
    assert tab.contract_id != original_id
    with demo_db.read() as s:
        copy = s.get(Contract, tab.contract_id)
        assert s.scalar(select(func.count()).select_from(Contract)) == count + 1
        assert copy.code == f"CT{count + 1:05d}"
        assert (copy.status, copy.client_id, copy.start_date) == (
            ContractStatus.DRAFT, client_id, dt.date(2026, 10, 1)
        )  # fmt: skip
        assert [
            (v.description, v.quantity, v.unit_price, v.frequency, v.term)
            for v in (line.versions[-1] for line in copy.lines)
        ] == lines
        assert all(
            v.valid_from == dt.date(2026, 10, 1) for line in copy.lines for v in line.versions
        )
        assert s.get(Contract, original_id).status == ContractStatus.ACTIVE
    assert copy.code in tab.status_label.text()
