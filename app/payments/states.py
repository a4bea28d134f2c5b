"""The life cycle of payments, SEPA direct-debit batches, their lines and mandates, as
transition tables (:class:`app.workflow.Workflow`)."""

from __future__ import annotations

from app.workflow import Workflow
from models.payments import MandateStatus, PaymentStatus, SepaBatchStatus, SepaLineStatus

P, B, L, M = PaymentStatus, SepaBatchStatus, SepaLineStatus, MandateStatus

# A payment is never deleted: a direct debit the bank sends back is marked rejected.
PAYMENT_WORKFLOW = Workflow("Règlement", dict(P.LABELS), frozenset({(P.ACTIVE, P.REJECTED)}))

# Exported file → confirmed by the bank, or cancelled (never sent, refused whole).
BATCH_WORKFLOW = Workflow(
    "Lot de prélèvements",
    dict(B.LABELS),
    frozenset({(B.EXPORTED, B.CONFIRMED), (B.EXPORTED, B.CANCELLED)}),
)

# A debit: paid when its batch is confirmed, cancelled with it; rejected by the bank
# before confirmation (left out of the file) or after (R-transaction, its payment reversed).
BATCH_LINE_WORKFLOW = Workflow(
    "Prélèvement",
    dict(L.LABELS),
    frozenset(
        {
            (L.PENDING, L.PAID),
            (L.PENDING, L.CANCELLED),
            (L.PENDING, L.REJECTED),
            (L.PAID, L.REJECTED),
        }
    ),
)

# A revoked mandate is never used again: the client signs a new one (new RUM).
MANDATE_WORKFLOW = Workflow("Mandat SEPA", dict(M.LABELS), frozenset({(M.ACTIVE, M.REVOKED)}))
