"""Demo step: billing history — every month from January 2025 to August 2026 run and issued.

The contract events queued by ``app.demo.contracts`` (amendments, suspension, termination)
are applied at their date between the runs, so the history holds prorata, regularisation
and suspended months like a real file. Invoices are dated the last day of their month.
Two credit notes: a partial commercial gesture and a full cancellation. September 2026
onwards is left to bill.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.billing.credit_notes import create_credit_note
from app.billing.issuing import issue_invoices
from app.billing.runs import issue_period, run_month
from models.invoices import Invoice, InvoiceStatus

FIRST_MONTH = dt.date(2025, 1, 1)
LAST_MONTH = dt.date(2026, 8, 1)


def _months() -> list[dt.date]:
    months, cursor = [], FIRST_MONTH
    while cursor <= LAST_MONTH:
        months.append(cursor)
        cursor = dt.date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months


def _invoice_of(session: Session, contract: Any, month: dt.date) -> Invoice | None:
    return session.scalar(
        select(Invoice)
        .where(
            Invoice.contract_id == contract.id,
            Invoice.period_start == month,
            Invoice.status == InvoiceStatus.ISSUED,
        )
        .order_by(Invoice.id)
    )


def load(session: Session, ctx: Any) -> None:
    try:
        events = list(ctx["contract_events"])
        contracts = ctx["billing_contracts"]
    except KeyError:  # no demo contracts in this build
        return
    for month in _months():
        month_end = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1) - dt.timedelta(
            days=1
        )
        while events and events[0][0] <= month_end:
            _date, apply = events.pop(0)
            apply(session)
        period = f"{month:%Y-%m}"
        run_month(session, period)
        issue_period(session, period, include_blocked=True)
        if period == "2026-04" and "OFF1" in contracts:
            invoice = _invoice_of(session, contracts["OFF1"], dt.date(2026, 3, 1))
            if invoice is not None:
                note = create_credit_note(
                    session,
                    invoice.id,
                    issue_date=dt.date(2026, 4, 10),
                    amounts={invoice.lines[0].id: Decimal("150.00")},
                    reason="Geste commercial : prestation du 12 mars non réalisée",
                )
                issue_invoices(session, [note.id])
        if period == "2026-07" and "HOTL" in contracts:
            invoice = _invoice_of(session, contracts["HOTL"], dt.date(2026, 6, 1))
            if invoice is not None:
                note = create_credit_note(
                    session,
                    invoice.id,
                    issue_date=dt.date(2026, 7, 3),
                    reason="Facture adressée par erreur : annulation totale",
                )
                issue_invoices(session, [note.id])
    session.flush()
