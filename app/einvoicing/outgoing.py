"""Sending issued invoices to the platform (B2B) or to Chorus Pro (public bodies).

Only documents that passed validation leave: the file deposited is the archived Factur-X
PDF served by :func:`app.documents.render.render_batch`, which refuses a document that
fails its rule sets. Each deposit is recorded *before* it is made, under a tracking id made
of the invoice number and the SHA-256 of the file; when a previous attempt did not record
the platform's answer (crash, timeout), the flow is first searched by that tracking id on
the platform, and adopted if found: no double deposit. Nothing here runs inside a
numbering transaction; each state change is its own short unit of work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.einvoicing import connector, routing
from app.einvoicing.states import FLOW_WORKFLOW, move
from app.errors import PropreoError
from app.lookup import get_row
from models.clients import Client
from models.einvoicing import (
    DirectoryEntry,
    FlowKind,
    FlowState,
    InvoiceLifecycle,
    LifecycleCode,
    PlatformFlow,
)
from models.invoices import Invoice, InvoiceStatus


@dataclass
class Outcome:
    invoice_id: int
    number: str
    client: str
    channel: str
    flow_id: str = ""
    state_label: str = ""
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "numero": self.number,
            "client": self.client,
            "voie": self.channel,
            "flux": self.flow_id,
            "statut": self.state_label,
            "erreur": self.error,
        }


@dataclass
class SendReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def sent(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.flow_id and not o.error]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]


def tracking_id(prefix: str, key: str, data: bytes) -> str:
    return f"{prefix}{key}.{hashlib.sha256(data).hexdigest()[:16]}"


def _now() -> dt.datetime:
    from app import clock

    return clock.now().replace(microsecond=0)


def deposit(
    database: Database,
    submit: Callable[[str], dict[str, Any]],
    find: Callable[[str], dict[str, Any] | None],
    *,
    kind: str,
    tracking: str,
    data: bytes,
    name: str,
    invoice_id: int | None = None,
    period: str = "",
    keep_content: bool = False,
) -> PlatformFlow:
    """Deposit once: record, (search when an earlier attempt is unanswered,) submit, record.

    ``submit(tracking)`` deposits and returns the platform's flow info; ``find(tracking)``
    returns the flow a previous attempt left on the platform, or None.
    """
    with database.write() as session:
        row = session.scalar(select(PlatformFlow).where(PlatformFlow.tracking_id == tracking))
        if row is not None and row.flow_id:
            session.expunge(row)
            return row
        earlier = row is not None
        if row is None:
            row = PlatformFlow(
                kind=kind,
                invoice_id=invoice_id,
                tracking_id=tracking,
                sha256=hashlib.sha256(data).hexdigest(),
                file_name=name,
                period=period,
                content=data if keep_content else None,
                state=FlowState.PENDING,
            )
            session.add(row)
            session.flush()
        row_id = row.id
    info = find(tracking) if earlier else None
    if info is None:
        info = submit(tracking)
    return record_answer(database, row_id, info)


def record_answer(database: Database, row_id: int, info: dict[str, Any]) -> PlatformFlow:
    ack = info.get("acknowledgement", {}) or {}
    with database.write() as session:
        row = get_row(session, PlatformFlow, row_id, "Flux")
        row.flow_id = str(info.get("flowId", ""))
        row.deposited_at = row.deposited_at or _now()
        apply_ack(session, row, ack)
        session.flush()
        session.expunge(row)
        return row


def apply_ack(session: Session, row: PlatformFlow, ack: dict[str, Any]) -> None:
    """The acknowledgement of a flow: Ok, Error (reason kept, invoice flagged), Pending."""
    status = ack.get("status", "Pending")
    if status == "Ok":
        move(FLOW_WORKFLOW, row, FlowState.ACCEPTED, ref=row.file_name)
    elif status == "Error":
        details = ack.get("details") or [{}]
        move(FLOW_WORKFLOW, row, FlowState.ERROR, ref=row.file_name)
        row.reason = "; ".join(
            str(d.get("reasonMessage") or d.get("reasonCode") or "motif non précisé")
            for d in details
        )
    else:
        move(FLOW_WORKFLOW, row, FlowState.DEPOSITED, ref=row.file_name)


def _platform_find(platform: connector.Session) -> Callable[[str], dict[str, Any] | None]:
    def find(tracking: str) -> dict[str, Any] | None:
        found = platform.search({"trackingId": tracking, "flowDirection": ["Out"]}, limit=5)
        return found[0] if found else None

    return find


# --- directory --------------------------------------------------------------------------
def lookup_buyer(
    database: Database, platform: connector.Session, client: Client
) -> tuple[bool, str]:
    """Look the buyer up in the directory before its first send (a buyer not found is
    looked up again at the next send); the answer is kept per client."""
    with database.read() as session:
        entry = session.scalar(select(DirectoryEntry).where(DirectoryEntry.client_id == client.id))
        if entry is not None and entry.found and entry.siren == client.siren:
            return True, ""
    found, reason, name = platform.directory_line(client.siren)
    with database.write() as session:
        entry = session.scalar(select(DirectoryEntry).where(DirectoryEntry.client_id == client.id))
        if entry is None:
            entry = DirectoryEntry(client_id=client.id)
            session.add(entry)
        entry.siren, entry.found, entry.platform = client.siren, found, name
        entry.reason = "" if found else f"SIREN {client.siren} : {reason}"
        entry.checked_at = _now()
    return (
        found,
        ""
        if found
        else f"Destinataire introuvable dans l'annuaire (SIREN {client.siren}) : {reason}",
    )


# --- sending ----------------------------------------------------------------------------
def invoices_of_period(session: Session, period: str) -> list[int]:
    """Issued documents of the month (YYYY-MM) that leave by platform or Chorus Pro and
    were not yet deposited."""
    start, end = month_bounds(period)
    rows = session.execute(
        select(Invoice.id, Client)
        .join(Client, Client.id == Invoice.client_id)
        .where(
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.issue_date >= start,
            Invoice.issue_date <= end,
        )
        .order_by(Invoice.number)
    ).all()
    done = set(
        session.scalars(
            select(PlatformFlow.invoice_id).where(
                PlatformFlow.kind.in_((FlowKind.INVOICE, FlowKind.CHORUS)),
                PlatformFlow.flow_id != "",
                PlatformFlow.state != FlowState.ERROR,
            )
        )
    )
    return [
        invoice_id
        for invoice_id, client in rows
        if routing.channel(client) in (routing.B2B, routing.B2G) and invoice_id not in done
    ]


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    from app.errors import ValidationError

    try:
        start = dt.datetime.strptime(period, "%Y-%m").date()
    except ValueError:
        raise ValidationError(
            "Période", "Période attendue sous la forme AAAA-MM : {value}", value=period
        ) from None
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, following - dt.timedelta(days=1)


def send_invoices(
    database: Database,
    invoice_ids: list[int],
    platform: connector.Session,
    chorus: Callable[[], connector.ChorusSession] | None = None,
) -> SendReport:
    """Deposit each document on the platform (B2B) or Chorus Pro (public bodies)."""
    from app.documents.render import render_batch

    report = SendReport()
    outcomes: dict[int, Outcome] = {}
    clients: dict[int, Client] = {}
    with database.read() as session:
        for invoice_id in invoice_ids:
            invoice = session.get(Invoice, invoice_id)
            if invoice is None or invoice.status != InvoiceStatus.ISSUED:
                continue
            client = get_row(session, Client, invoice.client_id, "Client")
            session.expunge(client)
            clients[invoice_id] = client
            outcomes[invoice_id] = Outcome(
                invoice_id, invoice.number or "", client.name, routing.channel(client)
            )
        batch = render_batch(session, list(outcomes))
    chorus_session: connector.ChorusSession | None = None
    for rendered in batch.documents:
        outcome = outcomes[rendered.invoice_id]
        report.outcomes.append(outcome)
        pdf = rendered.pdf
        if pdf is None:
            outcome.error = f"document non conforme, envoi bloqué : {rendered.error}"
            continue
        try:
            if outcome.channel == routing.B2G:
                if chorus is None:
                    raise PropreoError("Chorus Pro n'est pas configuré.")
                chorus_session = chorus_session or chorus()
                _to_chorus(database, chorus_session, outcome, pdf)
            elif outcome.channel == routing.B2B:
                _to_platform(database, platform, clients[rendered.invoice_id], outcome, pdf)
            else:
                outcome.error = "ce client relève de l'e-reporting, pas de la facture électronique"
        except PropreoError as exc:
            outcome.error = str(exc)
    return report


def _to_platform(
    database: Database, platform: connector.Session, client: Client, outcome: Outcome, pdf: bytes
) -> None:
    found, reason = lookup_buyer(database, platform, client)
    if not found:
        outcome.error = reason
        return
    name = f"{outcome.number}.pdf"
    row = deposit(
        database,
        lambda tracking: platform.submit(
            pdf, name=name, syntax="Factur-X", tracking_id=tracking, profile="CIUS"
        ),
        _platform_find(platform),
        kind=FlowKind.INVOICE,
        tracking=tracking_id("", outcome.number, pdf),
        data=pdf,
        name=name,
        invoice_id=outcome.invoice_id,
    )
    outcome.flow_id, outcome.state_label = row.flow_id, FlowState.LABELS[row.state]
    if row.state == FlowState.ERROR:
        outcome.error = f"rejetée par la plateforme : {row.reason}"
        _flag_rejected(database, row)


def _flag_rejected(database: Database, row: PlatformFlow) -> None:
    """A flow refused at deposit: the invoice carries « Rejetée » with the reason."""
    if row.invoice_id is None:
        return
    with database.write() as session:
        exists = session.scalar(
            select(InvoiceLifecycle.id).where(
                InvoiceLifecycle.invoice_id == row.invoice_id,
                InvoiceLifecycle.code == LifecycleCode.REJECTED,
                InvoiceLifecycle.flow_id == row.flow_id,
            )
        )
        if exists is None:
            session.add(
                InvoiceLifecycle(
                    invoice_id=row.invoice_id,
                    code=LifecycleCode.REJECTED,
                    at=_now(),
                    reason=row.reason,
                    flow_id=row.flow_id,
                )
            )


def _chorus_found(chorus: connector.ChorusSession, number: str) -> dict[str, Any] | None:
    """Chorus Pro has no tracking id: an earlier deposit is searched by invoice number."""
    deposit_number = chorus.find(number)
    return {"flowId": deposit_number, "acknowledgement": {}} if deposit_number else None


def _to_chorus(
    database: Database, chorus: connector.ChorusSession, outcome: Outcome, pdf: bytes
) -> None:
    name = f"{outcome.number}.pdf"
    row = deposit(
        database,
        lambda tracking: {"flowId": chorus.deposit(pdf, name), "acknowledgement": {}},
        lambda tracking: _chorus_found(chorus, outcome.number),
        kind=FlowKind.CHORUS,
        tracking=tracking_id("CPP.", outcome.number, pdf),
        data=pdf,
        name=name,
        invoice_id=outcome.invoice_id,
    )
    outcome.flow_id, outcome.state_label = row.flow_id, FlowState.LABELS[row.state]
