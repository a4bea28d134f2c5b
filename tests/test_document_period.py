"""The service period printed on an invoice (and BT-73/74) covers every billed line."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.billing.runs import run_month
from app.db import Database
from app.documents.build import build_document
from models.invoices import Invoice


def test_catch_up_invoice_prints_the_period_of_all_its_lines(demo_db: Database) -> None:
    # The demo leaves September 2026 unbilled: October's run catches it up.
    with demo_db.write() as session:
        run_month(session, "2026-10")
    with demo_db.read() as session:
        drafts = session.scalars(
            select(Invoice).where(Invoice.status == "draft", Invoice.contract_id.is_not(None))
        ).all()
        catch_up = [
            inv
            for inv in drafts
            if any(line.period_start and line.period_start.month == 9 for line in inv.lines)
            and any(line.period_start and line.period_start.month == 10 for line in inv.lines)
        ]
        assert catch_up, "October's run should catch up September"
        document = build_document(session, catch_up[0].id, allow_draft=True)
    assert document.period_start == dt.date(2026, 9, 1)
    assert document.period_end >= dt.date(2026, 10, 31)
