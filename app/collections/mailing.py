"""Reminders sent by e-mail: the letter's text as the body and its PDF attached, through
the documents' SMTP settings (:mod:`app.documents.smtp_settings`). Call with a read session: the
letters are prepared, the SMTP conversation happens outside any write transaction, then
the sending log and the client's history are written in one short unit of work."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.addressing import display_name
from app.collections.dunning import letter_email, letter_pdf
from app.documents.mailer import Outgoing, SendReport, deliver, log_outcomes
from app.documents.smtp_settings import config_from
from app.lookup import get_row
from app.progress import NO_PROGRESS, Progress
from models.clients import Client
from models.collections import DunningCode, Reminder


def send_reminder_emails(
    session: Session,
    reminder_ids: list[int],
    progress: Progress = NO_PROGRESS,
    *,
    override: str | None = None,
    retry_delay: float = 1.0,
) -> SendReport:
    config = config_from(session, override)
    items: list[Outgoing] = []
    for reminder_id in reminder_ids:
        reminder = session.get(Reminder, reminder_id)
        if reminder is None:
            continue
        client = get_row(session, Client, reminder.client_id, "Client")
        to = client.invoice_email or client.email
        subject, body = letter_email(session, reminder_id)
        label = DunningCode.LABELS.get(reminder.code, reminder.code)
        name = f"{label} {reminder.sent_on:%d-%m-%Y}"
        items.append(
            Outgoing(
                to=to,
                to_name=display_name(client),
                subject=subject,
                body=body,
                attachments=[(f"{name}.pdf".replace(" ", "_"), letter_pdf(session, reminder_id))],
                client_id=client.id,
                number=name,
                doc_type="reminder",
                error="" if to else "aucune adresse e-mail pour ce client",
            )
        )
    session.rollback()  # release the read transaction before talking to the server
    outcomes = deliver(config, items, progress, retry_delay=retry_delay)
    with session.info["database"].write() as write:
        log_outcomes(write, outcomes)
    return SendReport(outcomes)
