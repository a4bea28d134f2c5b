"""Read models for the « Éditions » screen: issued documents with archive and sending state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.addressing import display_name
from app.documents.render import month_bounds
from app.lookup import get_row
from models.clients import Client
from models.documents import ArchivedDocument, DocumentSending, SendStatus
from models.invoices import Invoice, InvoiceKind, InvoiceStatus

SENDING_MODES = {"paper": "Courrier", "email": "E-mail", "platform": "Plateforme"}


@dataclass(frozen=True)
class DocumentRow:
    invoice_id: int
    number: str
    kind: str
    issue_date: dt.date
    due_date: dt.date | None
    client_id: int
    client_code: str
    client: str
    sending_mode: str
    total_ttc: Decimal
    archived: str  # short SHA-256 or ""
    sending: str  # last sending state ("Envoyé le …", "Échec : …", "")
    recipient: str


def document_rows(session: Session, period: str) -> list[DocumentRow]:
    start, end = month_bounds(period)
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.status == InvoiceStatus.ISSUED,
                Invoice.issue_date >= start,
                Invoice.issue_date <= end,
            )
            .order_by(Invoice.issue_date, Invoice.number)
        )
    )
    ids = [i.id for i in invoices]
    archived = {
        a.invoice_id: a.sha256
        for a in session.scalars(
            select(ArchivedDocument).where(ArchivedDocument.invoice_id.in_(ids))
        )
    }
    last: dict[int, DocumentSending] = {}
    for row in session.scalars(
        select(DocumentSending)
        .where(DocumentSending.invoice_id.in_(ids))
        .order_by(DocumentSending.id)
    ):
        last[row.invoice_id] = row  # type: ignore[index]
    clients: dict[int, Client] = {}
    rows = []
    for inv in invoices:
        if inv.client_id not in clients:
            clients[inv.client_id] = get_row(session, Client, inv.client_id, "Client")
        client = clients[inv.client_id]
        sent = last.get(inv.id)
        if sent is None:
            state = ""
        elif sent.status == SendStatus.SENT and sent.sent_at:
            state = f"Envoyé le {sent.sent_at:%d/%m/%Y %H:%M}"
        elif sent.status == SendStatus.IN_PROGRESS:
            state = (
                f"Envoi interrompu le {sent.attempted_at:%d/%m/%Y %H:%M} : incertain, "
                "vérifiez auprès du client avant de renvoyer"
            )
        else:
            state = f"Échec : {sent.error}"
        rows.append(
            DocumentRow(
                invoice_id=inv.id,
                number=inv.number or "",
                kind=InvoiceKind.LABELS.get(inv.kind, inv.kind),
                issue_date=inv.issue_date,
                due_date=inv.due_date,
                client_id=client.id,
                client_code=client.code,
                client=display_name(client),
                sending_mode=SENDING_MODES.get(client.sending_mode, client.sending_mode),
                total_ttc=inv.total_ttc * inv.sign,
                archived=archived.get(inv.id, "")[:12],
                sending=state,
                recipient=sent.recipient if sent else "",
            )
        )
    return rows


def client_choices(session: Session) -> list[tuple[int, str]]:
    """Clients for the statement dialog (code – name), syndics included."""
    return [
        (c.id, f"{c.code} – {display_name(c)}")
        for c in session.scalars(
            select(Client).where(Client.active.is_(True)).order_by(Client.code)
        )
    ]
