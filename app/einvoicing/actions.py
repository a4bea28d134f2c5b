"""The e-invoicing use cases as the screen runs them (``fn(session, progress)`` in a
worker): the same functions as ``propreo pa send|sync|ereporting``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.einvoicing import connector, incoming, routing
from app.einvoicing.ereporting import Result, send_period
from app.einvoicing.outgoing import SendReport, invoices_of_period, send_invoices
from app.einvoicing.settings import chorus_session, platform_session, read_settings
from app.einvoicing.sync import SyncReport, sync
from app.progress import Progress
from models.clients import Client
from models.einvoicing import FlowKind, FlowState, PlatformFlow, ReceivedInvoice
from models.invoices import Invoice


@dataclass(frozen=True)
class SendPreview:
    numbers: list[str]
    platform: int
    chorus: int

    def text(self, period: str) -> str:
        if not self.numbers:
            return f"Aucune facture de {period} à envoyer par la plateforme ou Chorus Pro."
        return (
            f"{len(self.numbers)} facture(s) de {period} vont être déposées "
            f"({self.platform} sur la plateforme agréée, {self.chorus} sur Chorus Pro) : "
            f"{', '.join(self.numbers)}. Un dépôt est définitif : la facture ne sera plus "
            "envoyée par e-mail."
        )


def preview_send(session: Session, period: str) -> SendPreview:
    ids = invoices_of_period(session, period)
    rows = session.execute(
        select(Invoice.number, Client)
        .join(Client, Client.id == Invoice.client_id)
        .where(Invoice.id.in_(ids))
    ).all()
    channels = [routing.channel(client) for _n, client in rows]
    return SendPreview(
        sorted(str(n) for n, _c in rows),
        channels.count(routing.B2B),
        channels.count(routing.B2G),
    )


def _chorus(session: Session) -> Callable[[], connector.ChorusSession] | None:
    database = session.info["database"]
    if not read_settings(session).chorus_url:
        return None

    def make() -> connector.ChorusSession:
        with database.read() as inner:
            return chorus_session(inner)

    return make


def send_month(session: Session, progress: Progress, period: str) -> SendReport:
    database = session.info["database"]
    ids = invoices_of_period(session, period)
    return send_invoices(database, ids, platform_session(session), _chorus(session))


def sync_now(session: Session, progress: Progress) -> SyncReport:
    return sync(session.info["database"], platform_session(session), _chorus(session))


def ereport_month(session: Session, progress: Progress, period: str) -> list[Result]:
    return send_period(session.info["database"], platform_session(session), period)


def respond_received(
    session: Session, progress: Progress, received_id: int, approve: bool, reason: str
) -> ReceivedInvoice:
    return incoming.respond(
        session.info["database"],
        platform_session(session),
        received_id,
        approve=approve,
        reason=reason,
    )


@dataclass(frozen=True)
class ReportRow:
    period: str
    name: str
    flow_id: str
    state: str
    reason: str


def ereporting_rows(session: Session) -> list[ReportRow]:
    rows = session.scalars(
        select(PlatformFlow)
        .where(PlatformFlow.kind == FlowKind.EREPORTING)
        .order_by(PlatformFlow.id.desc())
    )
    return [
        ReportRow(r.period, r.file_name, r.flow_id, FlowState.LABELS[r.state], r.reason)
        for r in rows
    ]
