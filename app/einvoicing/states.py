"""The state machines of e-invoicing records (``app.workflow``): a deposited flow and a
received supplier invoice. Their column is ``state``; every change goes through
:func:`move`, which checks the table."""

from __future__ import annotations

from typing import Any

from app.workflow import Workflow
from models.einvoicing import FlowState, ReceivedState

FLOW_WORKFLOW = Workflow(
    "Flux",
    dict(FlowState.LABELS),
    frozenset(
        {
            (FlowState.PENDING, FlowState.DEPOSITED),
            (FlowState.PENDING, FlowState.ACCEPTED),
            (FlowState.PENDING, FlowState.ERROR),
            (FlowState.DEPOSITED, FlowState.ACCEPTED),
            (FlowState.DEPOSITED, FlowState.ERROR),
        }
    ),
)
RECEIVED_WORKFLOW = Workflow(
    "Facture reçue",
    dict(ReceivedState.LABELS),
    frozenset(
        {
            (ReceivedState.RECEIVED, ReceivedState.APPROVED),
            (ReceivedState.RECEIVED, ReceivedState.REFUSED),
        }
    ),
)


def move(workflow: Workflow, record: Any, target: str, *, ref: str = "") -> None:
    """Check the transition in ``workflow`` then set ``record.state`` (staying is no move)."""
    if record.state != target:
        workflow.check(record.state, target, ref=ref)
        record.state = target
