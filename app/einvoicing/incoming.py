"""Supplier invoices received through the platform (the reception obligation since
1 September 2026): listed read-only with their file and data; approving or refusing one
sends the matching life-cycle status (205 Approuvée, 210 Refusée with its reason)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.einvoicing import cdar, connector, outgoing
from app.einvoicing.states import RECEIVED_WORKFLOW, move
from app.errors import StateError, ValidationError
from app.lookup import get_row
from models.company import CompanySettings
from models.einvoicing import FlowKind, LifecycleCode, ReceivedInvoice, ReceivedState


def received_invoices(session: Session) -> list[ReceivedInvoice]:
    return list(
        session.scalars(
            select(ReceivedInvoice).order_by(ReceivedInvoice.issue_date.desc(), ReceivedInvoice.id)
        )
    )


def respond(
    database: Database,
    platform: connector.Session,
    received_id: int,
    *,
    approve: bool,
    reason: str = "",
) -> ReceivedInvoice:
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError(
            "Motif", "Indiquez le motif du refus : il est transmis au fournisseur."
        )
    with database.read() as session:
        row = get_row(session, ReceivedInvoice, received_id, "Facture reçue")
        if row.state != ReceivedState.RECEIVED:
            raise StateError(
                "La facture {number} a déjà reçu une réponse ({state}).",
                number=row.number,
                state=ReceivedState.LABELS[row.state],
            )
        company = session.get(CompanySettings, 1)
        if row.issue_date is None:
            raise StateError("La facture reçue {number} n'a pas de date.", number=row.number)
        code = LifecycleCode.APPROVED if approve else LifecycleCode.REFUSED
        status = cdar.Status(
            row.number,
            row.issue_date,
            row.seller_siren,
            code,
            outgoing._now(),
            reason,
        )
        number, buyer = row.number, company.siren if company else ""
    data = cdar.build(status)
    name = f"CDAR_{buyer}_{number}_{code}.xml"
    outgoing.deposit(
        database,
        lambda tracking: platform.submit(data, name=name, syntax="CDAR", tracking_id=tracking),
        outgoing._platform_find(platform),
        kind=FlowKind.STATUS,
        tracking=outgoing.tracking_id(f"REP.{code}.", number, data),
        data=data,
        name=name,
        keep_content=True,
    )
    with database.write() as session:
        row = get_row(session, ReceivedInvoice, received_id, "Facture reçue")
        target = ReceivedState.APPROVED if approve else ReceivedState.REFUSED
        move(RECEIVED_WORKFLOW, row, target, ref=row.number)
        row.reason = reason
        session.flush()
        session.expunge(row)
        return row
