"""The e-invoicing state of each invoice as the user sees it: its flow, its last life-cycle
status with date and reason, and what it asks of the user (a rejected invoice is
corrected and sent again; a refused one calls for a credit note; a disputed one for a
call to the client)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clients import Client
from models.einvoicing import FlowKind, FlowState, InvoiceLifecycle, LifecycleCode, PlatformFlow
from models.invoices import Invoice

ACTIONS = {
    LifecycleCode.REJECTED: "rejetée par la plateforme : corrigez la facture (avoir puis "
    "nouvelle facture) et envoyez-la de nouveau",
    LifecycleCode.REFUSED: "refusée par le client : établissez un avoir",
    LifecycleCode.DISPUTED: "en litige : contactez le client",
    LifecycleCode.SUSPENDED: "suspendue : le client attend un complément",
}


@dataclass(frozen=True)
class InvoiceState:
    invoice_id: int
    number: str
    client: str
    flow_id: str
    code: str
    at: dt.datetime | None
    reason: str
    flow_state: str

    @property
    def label(self) -> str:
        if self.code:
            text = LifecycleCode.LABELS.get(self.code, self.code)
            when = f" le {self.at:%d/%m/%Y}" if self.at else ""
            return text + when + (f" ({self.reason})" if self.reason else "")
        return FlowState.LABELS.get(self.flow_state, "")

    @property
    def action(self) -> str:
        return ACTIONS.get(self.code, "")

    def as_json(self) -> dict[str, Any]:
        return {
            "numero": self.number,
            "client": self.client,
            "flux": self.flow_id,
            "statut": LifecycleCode.LABELS.get(
                self.code, FlowState.LABELS.get(self.flow_state, "")
            ),
            "code": self.code,
            "date": self.at.isoformat() if self.at else "",
            "motif": self.reason,
            "action": self.action,
        }


def last_statuses(
    session: Session, invoice_ids: Iterable[int] | None = None
) -> dict[int, InvoiceLifecycle]:
    """The latest life-cycle status of each invoice: the last one recorded (a status dated
    in the past, such as « Encaissée » on the day of payment, still comes after those
    already received)."""
    query = select(InvoiceLifecycle).order_by(InvoiceLifecycle.id)
    if invoice_ids is not None:
        query = query.where(InvoiceLifecycle.invoice_id.in_(list(invoice_ids)))
    latest: dict[int, InvoiceLifecycle] = {}
    for row in session.scalars(query):
        latest[row.invoice_id] = row
    return latest


def status_label(code: str, at: dt.datetime, reason: str = "") -> str:
    """« Refusée le 02/09/2026 (motif) »."""
    return (
        LifecycleCode.LABELS.get(code, code)
        + f" le {at:%d/%m/%Y}"
        + (f" ({reason})" if reason else "")
    )


def status_labels(session: Session, invoice_ids: Iterable[int]) -> dict[int, str]:
    """The last status of each invoice as :func:`status_label` says it."""
    return {
        invoice_id: status_label(row.code, row.at, row.reason)
        for invoice_id, row in last_statuses(session, invoice_ids).items()
    }


def labels_by_number(session: Session, client_id: int) -> dict[str, str]:
    """The status label of each e-invoiced document of a client, by number."""
    ids = dict(
        session.execute(
            select(Invoice.id, Invoice.number).where(
                Invoice.client_id == client_id,
                Invoice.id.in_(select(InvoiceLifecycle.invoice_id)),
            )
        ).all()
    )
    return {str(ids[i]): label for i, label in status_labels(session, ids).items()}


def invoice_states(session: Session, client_id: int | None = None) -> list[InvoiceState]:
    query = (
        select(PlatformFlow, Invoice.id, Invoice.number, Client.name)
        .join(Invoice, Invoice.id == PlatformFlow.invoice_id)
        .join(Client, Client.id == Invoice.client_id)
        .where(PlatformFlow.kind.in_((FlowKind.INVOICE, FlowKind.CHORUS)))
        .order_by(Invoice.number, PlatformFlow.id)
    )
    if client_id is not None:
        query = query.where(Invoice.client_id == client_id)
    flows: dict[int, tuple[PlatformFlow, str, str]] = {}
    for flow, invoice_id, number, name in session.execute(query):
        flows[invoice_id] = (flow, number or "", name)
    latest = last_statuses(session, flows)
    states = []
    for invoice_id, (flow, number, name) in flows.items():
        status = latest.get(invoice_id)
        states.append(
            InvoiceState(
                invoice_id,
                number,
                name,
                flow.flow_id,
                status.code if status else "",
                status.at if status else None,
                status.reason if status else flow.reason,
                flow.state,
            )
        )
    return states


def history(session: Session, invoice_id: int) -> list[InvoiceLifecycle]:
    return list(
        session.scalars(
            select(InvoiceLifecycle)
            .where(InvoiceLifecycle.invoice_id == invoice_id)
            .order_by(InvoiceLifecycle.at, InvoiceLifecycle.id)
        )
    )
