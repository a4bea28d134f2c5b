"""The state machines of e-invoicing records (``app.workflow``): a deposited flow and a
received supplier invoice. Their column is ``state`` (``attribute="state"``); every
change goes through :func:`move`, which checks the table (tests/test_state_machines.py
scans for hand-made assignments of ``.state`` as of ``.status``)."""

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
    attribute="state",
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
    attribute="state",
)


def move(workflow: Workflow, record: Any, target: str, *, ref: str = "") -> None:
    """Move ``record`` through ``workflow`` (staying in the same state is no move)."""
    if getattr(record, workflow.attribute) != target:
        workflow.move(record, target, ref=ref)
