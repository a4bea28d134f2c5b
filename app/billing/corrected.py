"""The invoices a run's credit note corrects (BT-25/BT-26, BR-FR-CO-05).

A month whose only items are regularisations of periods already billed (an end, a
suspension, an amendment or a revision that lowered what was due) gives a credit note.
It cites the invoice that billed the corrected periods; when it corrects periods billed by
several invoices, it cites the latest and lists the others in a note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.billing import BillingLedger
from models.invoices import Invoice, InvoiceKind

Key = tuple[int, dt.date]  # (contract line, period start)


def corrected_invoices(
    session: Session, items: Iterable[tuple[int, dt.date, int]]
) -> list[tuple[int, str, dt.date]]:
    """(id, number, issue date) of the invoices that billed the periods of ``items``
    ((contract line, period start, revision) of regularisations), latest first."""
    wanted: dict[Key, int] = {}
    for line_id, start, revision in items:
        wanted[(line_id, start)] = max(revision, wanted.get((line_id, start), 0))
    if not wanted:
        return []
    ledger, invoice = BillingLedger.__table__.c, Invoice.__table__.c
    found: dict[int, tuple[int, str, dt.date]] = {}
    line_ids = sorted({line for line, _start in wanted})
    for chunk_start in range(0, len(line_ids), 900):
        query = (
            select(
                ledger.contract_line_id,
                ledger.period_start,
                ledger.revision,
                invoice.id,
                invoice.number,
                invoice.issue_date,
            )
            .join(Invoice.__table__, invoice.id == ledger.invoice_id)
            .where(
                ledger.contract_line_id.in_(line_ids[chunk_start : chunk_start + 900]),
                invoice.kind != InvoiceKind.CREDIT_NOTE,
            )
        )
        for line_id, start, revision, invoice_id, number, issue_date in session.execute(query):
            limit = wanted.get((line_id, start))
            if limit is not None and revision < limit:
                found[invoice_id] = (invoice_id, number or "", issue_date)
    return sorted(found.values(), key=lambda f: (f[2], f[1], f[0]), reverse=True)


def citation(corrected: list[tuple[int, str, dt.date]]) -> tuple[int | None, str]:
    """The invoice to cite (the latest) and the note listing the others."""
    if not corrected:
        return None, ""
    others = [f"{number or 'brouillon'} du {day:%d/%m/%Y}" for _i, number, day in corrected[1:]]
    note = f"Corrige également : {', '.join(others)}." if others else ""
    return corrected[0][0], note
