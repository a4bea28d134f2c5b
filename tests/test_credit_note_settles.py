"""A credit note settles the invoice it cites: nothing is left to pay, dun or age on it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.collections.aging import open_items as aged_items
from app.db import Database
from app.receivables import credited_by_invoice, open_amount, open_items
from models.invoices import Invoice
from models.payments import Allocation


def test_demo_cancelled_invoices_are_not_open_nor_paid(demo_db: Database) -> None:
    with demo_db.read() as session:
        notes = session.scalars(
            select(Invoice).where(
                Invoice.kind == "credit_note",
                Invoice.status == "issued",
                Invoice.origin_invoice_id.is_not(None),
            )
        ).all()
        assert notes, "the demo has credit notes citing their invoice"
        for note in notes:
            origin = session.get(Invoice, note.origin_invoice_id)
            credited = credited_by_invoice(session, [origin.id])[origin.id]
            assert credited == note.total_ttc
            left = open_amount(session, origin)
            if credited == origin.amount_due:
                # fully cancelled: never offered for allocation, never aged as overdue
                assert left <= Decimal("0.00")
                assert not session.scalars(
                    select(Allocation).where(
                        Allocation.invoice_id == origin.id, Allocation.undone_at.is_(None)
                    )
                ).all()
                assert origin.id not in {
                    i.invoice_id for i in open_items(session, origin.client_id)
                }
                aged = aged_items(session, dt.date(2026, 11, 30), origin.client_id)
                assert origin.id not in {i.invoice_id for i in aged}
                assert note.id not in {i.invoice_id for i in aged}
