"""Every status of every document is a constant with a label and a transition table
(app.workflow.Workflow); every change of status goes through the table."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.billing.contracts import CONTRACT_WORKFLOW
from app.billing.states import INVOICE_WORKFLOW
from app.documents.mailer import SEND_WORKFLOW
from app.einvoicing.states import FLOW_WORKFLOW, RECEIVED_WORKFLOW, move
from app.errors import StateError
from app.liaison.entries import WORKFLOW as LIAISON_WORKFLOW
from app.payments.sepa import create_batches
from app.payments.sepa_bank import cancel_batch, confirm_batch, reject_line
from app.payments.sepa_mandates import revoke_mandate
from app.payments.states import (
    BATCH_LINE_WORKFLOW,
    BATCH_WORKFLOW,
    MANDATE_WORKFLOW,
    PAYMENT_WORKFLOW,
)
from app.quotes.planning import JOB_WORKFLOW
from app.quotes.transitions import WORKFLOW as QUOTE_WORKFLOW
from app.workflow import Workflow
from models.audit import AuditEvent
from models.contracts import ContractStatus
from models.documents import SendStatus
from models.einvoicing import FlowState, PlatformFlow, ReceivedInvoice, ReceivedState
from models.invoices import InvoiceStatus
from models.payments import (
    MandateStatus,
    Payment,
    PaymentStatus,
    SepaBatchStatus,
    SepaLineStatus,
)
from models.quotes import JobStatus, QuoteStatus
from tests.test_payments import issue_invoice
from tests.test_sepa_expert import _debit_client, _mandate, _told

ROOT = Path(__file__).resolve().parent.parent
D = dt.date

TABLES: list[tuple[type, Workflow]] = [
    (InvoiceStatus, INVOICE_WORKFLOW),
    (QuoteStatus, QUOTE_WORKFLOW),
    (ContractStatus, CONTRACT_WORKFLOW),
    (JobStatus, JOB_WORKFLOW),
    (PaymentStatus, PAYMENT_WORKFLOW),
    (SepaBatchStatus, BATCH_WORKFLOW),
    (SepaLineStatus, BATCH_LINE_WORKFLOW),
    (MandateStatus, MANDATE_WORKFLOW),
    (SendStatus, SEND_WORKFLOW),
    (FlowState, FLOW_WORKFLOW),
    (ReceivedState, RECEIVED_WORKFLOW),
]
# The columns a workflow governs: ``status``, and ``state`` for the e-invoicing records.
GOVERNED = {"status", "state"}


@pytest.mark.parametrize(("states", "workflow"), TABLES, ids=[w.name for _, w in TABLES])
def test_each_status_has_a_label_and_a_place_in_its_table(states: type, workflow: Workflow) -> None:
    labels: dict[str, str] = states.LABELS  # type: ignore[attr-defined]
    assert workflow.labels == labels
    in_table = {s for pair in workflow.transitions for s in pair}
    assert in_table == set(labels), f"{workflow.name}: states outside the table"


def test_liaison_table_covers_its_labels() -> None:
    in_table = {s for pair in LIAISON_WORKFLOW.transitions for s in pair}
    assert in_table == set(LIAISON_WORKFLOW.labels)


def _status_assignments(path: Path) -> list[int]:
    """Lines assigning ``<something>.status`` or ``.state`` (or setattr(..., "status", ...))."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = [t for target in node.targets for t in _flatten(target)]
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in GOVERNED
        ):
            found.append(node.lineno)
        found += [t.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr in GOVERNED]
    return found


def _flatten(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        return [t for e in target.elts for t in _flatten(e)]
    return [target]


def test_no_status_is_set_outside_a_workflow() -> None:
    # ui/ is left out: widgets name their status labels ``self.status``; screens call app/.
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("app", "models", "reports")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "app" / "workflow.py"
        for line in _status_assignments(path)
    ]
    assert offenders == []


def test_the_scan_sees_a_state_set_by_hand(tmp_path: Path) -> None:
    source = tmp_path / "flows.py"
    source.write_text("def f(row):\n    row.state = 'accepted'\n    setattr(row, 'state', 'x')\n")
    assert _status_assignments(source) == [2, 3]


def test_a_flow_and_a_received_invoice_move_only_along_their_tables() -> None:
    flow = PlatformFlow(state=FlowState.ERROR, file_name="F-2026-0001.pdf")
    with pytest.raises(StateError) as exc:
        move(FLOW_WORKFLOW, flow, FlowState.ACCEPTED, ref=flow.file_name)
    assert str(exc.value) == (
        "Flux F-2026-0001.pdf : passage de « Rejeté par la plateforme » à "
        "« Accepté par la plateforme » impossible."
    )
    assert flow.state == FlowState.ERROR
    received = ReceivedInvoice(state=ReceivedState.RECEIVED, number="FA-77")
    move(RECEIVED_WORKFLOW, received, ReceivedState.REFUSED, ref=received.number)
    assert received.state == ReceivedState.REFUSED
    with pytest.raises(StateError, match="passage de « Refusée » à « Approuvée » impossible"):
        move(RECEIVED_WORKFLOW, received, ReceivedState.APPROVED, ref=received.number)


def _exported_batch(session: Session, code: str):  # type: ignore[no-untyped-def]
    client = _debit_client(session, code)
    invoice = issue_invoice(session, client, "480.00", D(2026, 6, 30))
    _told(session, D(2026, 8, 10), invoice)
    (batch,) = create_batches(session, D(2026, 8, 10), created_on=D(2026, 8, 5))
    return client, batch


def test_a_cancelled_batch_cannot_be_confirmed_and_says_it_was_cancelled(
    session: Session, company: object
) -> None:
    client, batch = _exported_batch(session, "ANNU")
    cancel_batch(session, batch.id, "Fichier refusé par la banque")
    with pytest.raises(StateError) as exc:
        confirm_batch(session, batch.id)
    assert str(exc.value) == (
        f"Lot de prélèvements {batch.reference} : passage de « Annulé » à « Confirmé » impossible."
    )
    assert batch.status == SepaBatchStatus.CANCELLED
    assert session.scalars(select(Payment).where(Payment.client_id == client.id)).all() == []
    assert _mandate(session, client).collections_done == 0


def test_a_confirmed_batch_cannot_be_cancelled_nor_confirmed_again(
    session: Session, company: object
) -> None:
    _client, batch = _exported_batch(session, "CONF")
    confirm_batch(session, batch.id)
    for action in (lambda: confirm_batch(session, batch.id),
                   lambda: cancel_batch(session, batch.id, "trop tard")):  # fmt: skip
        with pytest.raises(StateError, match="passage de « Confirmé » à"):
            action()
    assert batch.status == SepaBatchStatus.CONFIRMED
    assert [line.status for line in batch.lines] == [SepaLineStatus.PAID]


def test_a_debit_of_a_cancelled_batch_cannot_be_rejected(session: Session, company: object) -> None:
    _client, batch = _exported_batch(session, "REJA")
    cancel_batch(session, batch.id, "Lot jamais transmis")
    line = batch.lines[0]
    with pytest.raises(StateError) as exc:
        reject_line(session, line.id, "AM04 provision insuffisante", D(2026, 8, 12))
    assert str(exc.value) == (
        f"Prélèvement {line.end_to_end_id} : passage de « Lot annulé » à « Rejeté » impossible."
    )
    assert line.status == SepaLineStatus.CANCELLED
    rejects = session.scalars(select(AuditEvent).where(AuditEvent.action == "reject")).all()
    assert rejects == []


def test_a_rejected_debit_reverses_its_payment_once(session: Session, company: object) -> None:
    _client, batch = _exported_batch(session, "REJB")
    confirm_batch(session, batch.id)
    line = batch.lines[0]
    reject_line(session, line.id, "AM04 provision insuffisante", D(2026, 8, 12))
    payment = session.get(Payment, line.payment_id)
    assert payment is not None and payment.status == PaymentStatus.REJECTED
    with pytest.raises(StateError, match="passage de « Rejeté » à « Rejeté » impossible"):
        reject_line(session, line.id, "AM04", D(2026, 8, 13))


def test_a_revoked_mandate_cannot_be_revoked_again(session: Session, company: object) -> None:
    client = _debit_client(session, "REVO")
    mandate = _mandate(session, client)
    revoke_mandate(session, mandate.id, D(2026, 9, 1))
    assert (mandate.status, mandate.revoked_on) == (MandateStatus.REVOKED, D(2026, 9, 1))
    with pytest.raises(StateError) as exc:
        revoke_mandate(session, mandate.id, D(2026, 9, 2))
    assert str(exc.value) == (
        "Mandat SEPA RUM-REVO : passage de « Révoqué » à « Révoqué » impossible."
    )
    assert mandate.revoked_on == D(2026, 9, 1)
