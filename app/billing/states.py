"""The life cycle of invoices, credit notes and down-payment invoices, as a transition
table (:class:`app.workflow.Workflow`): a draft is issued once; an issued document never
changes (the database refuses it, app.billing.issuing.install_triggers) — it is corrected
by a credit note. An unpaid invoice of the previous software is entered as a draft and
recorded at once as an opening item (« Reprise », app.imports.open_items); it never moves
again."""

from __future__ import annotations

from app.workflow import Workflow
from models.invoices import InvoiceStatus

INVOICE_WORKFLOW = Workflow(
    "Facture",
    dict(InvoiceStatus.LABELS),
    frozenset(
        {
            (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED),
            (InvoiceStatus.DRAFT, InvoiceStatus.OPENING),
        }
    ),
)
