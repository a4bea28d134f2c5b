"""Sending e-mails: building each message, delivering over one SMTP connection with
retries, and the sending log (one :class:`DocumentSending` per attempt, with its workflow).

Rendering and SMTP happen outside any write transaction; the log is written afterwards
in a short unit of work (or row by row by the caller, see :func:`deliver`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy.orm import Session

from app import audit
from app.documents.smtp_settings import SmtpConfig, email_address, one_line
from app.errors import ValidationError
from app.progress import NO_PROGRESS, Progress
from app.workflow import Workflow
from models.documents import DocumentSending, SendStatus

MAX_ATTEMPTS = 3


@dataclass
class Outgoing:
    """One e-mail to send, with what the sending log needs."""

    to: str
    to_name: str
    subject: str
    body: str
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    invoice_id: int | None = None
    client_id: int | None = None
    number: str = ""
    doc_type: str = "invoice"
    error: str = ""  # set before sending when the document could not be produced


@dataclass
class Outcome:
    item: Outgoing
    message_id: str = ""
    error: str = ""
    sent_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.error


def build_message(config: SmtpConfig, item: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email_address(
        config.sender_email, "Adresse de l'expéditeur", config.sender_name
    )
    message["To"] = email_address(item.to, "E-mail de facturation du client", item.to_name)
    if config.reply_to:
        message["Reply-To"] = email_address(config.reply_to, "Adresse de réponse")
    message["Subject"] = one_line(item.subject)
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    domain = config.sender_email.rpartition("@")[2] or "propreo.local"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(item.body)
    for filename, data in item.attachments:
        message.add_attachment(
            data, maintype="application", subtype="pdf", filename=one_line(filename)
        )
    return message


class _Connection:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is None:
            c = self.config
            context = ssl.create_default_context()
            if c.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=c.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
                if c.security == "starttls":
                    smtp.starttls(context=context)
            if c.username:
                smtp.login(c.username, c.password)
            self.smtp = smtp
        return self.smtp

    def reset(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
        self.smtp = None


def _transient(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError))


def _explain(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "identifiant ou mot de passe refusé par le serveur"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "adresse du destinataire refusée par le serveur"
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else error
        return f"refus du serveur ({exc.smtp_code} {text})"
    if isinstance(exc, ssl.SSLError):
        return f"échec de la connexion chiffrée ({exc})"
    if isinstance(exc, OSError):
        return f"serveur injoignable ({exc})"
    return str(exc)


def deliver(
    config: SmtpConfig,
    items: list[Outgoing],
    progress: Progress = NO_PROGRESS,
    *,
    retry_delay: float = 1.0,
    on_start: Callable[[Outgoing], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Send each message over one connection; transient failures are retried (reconnect).

    ``on_start`` runs before a message goes, ``on_done`` once its outcome is known and
    before the next one starts (:func:`app.documents.email.send_invoices` logs each
    message there)."""
    connection = _Connection(config)
    outcomes: list[Outcome] = []
    try:
        for index, item in enumerate(items):
            progress.step(index, len(items), f"Envoi {item.number} à {item.to}")
            outcome = Outcome(item)
            outcomes.append(outcome)
            _send_one(config, connection, outcome, retry_delay, on_start)
            if on_done is not None:
                on_done(outcome)
        progress.step(len(items), len(items), "Envoi terminé")
    finally:
        connection.reset()
    return outcomes


def _send_one(
    config: SmtpConfig,
    connection: _Connection,
    outcome: Outcome,
    retry_delay: float,
    on_start: Callable[[Outgoing], None] | None,
) -> None:
    item = outcome.item
    if item.error:
        outcome.error = item.error
        return
    try:
        message = build_message(config, item)
    except ValidationError as exc:
        outcome.error = str(exc)
        return
    if on_start is not None:
        on_start(item)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            recipients = [item.to] + ([config.bcc] if config.bcc else [])
            connection.open().send_message(message, to_addrs=recipients)
            outcome.message_id = str(message["Message-ID"])
            outcome.sent_at = dt.datetime.now(dt.UTC)
            outcome.error = ""
            return
        except (smtplib.SMTPException, OSError) as exc:
            outcome.error = _explain(exc)
            connection.reset()
            if not _transient(exc) or attempt == MAX_ATTEMPTS:
                return
            time.sleep(retry_delay * attempt)


# A sending row is written « in progress » before the message goes, then gets its outcome.
SEND_WORKFLOW = Workflow(
    "Envoi",
    dict(SendStatus.LABELS),
    frozenset(
        {(SendStatus.IN_PROGRESS, SendStatus.SENT), (SendStatus.IN_PROGRESS, SendStatus.FAILED)}
    ),
)


def log_row(session: Session, item: Outgoing, status: str) -> DocumentSending:
    row = DocumentSending(
        doc_type=item.doc_type,
        invoice_id=item.invoice_id,
        client_id=item.client_id,
        number=item.number,
        recipient=item.to,
        subject=one_line(item.subject)[:300],
        status=status,
        user_id=audit.current_user_id(session),
    )
    session.add(row)
    return row


def log_outcomes(
    session: Session, outcomes: list[Outcome], started: dict[int, int] | None = None
) -> None:
    """Sending log per document and an audit line in the client's history. ``started``:
    the id of the « in progress » row written before a message went (by ``id(item)``)."""
    for o in outcomes:
        row_id = (started or {}).get(id(o.item))
        row = session.get(DocumentSending, row_id) if row_id else None
        status = SendStatus.SENT if o.ok else SendStatus.FAILED
        if row is None:
            row = log_row(session, o.item, status)
        else:
            SEND_WORKFLOW.move(row, status, ref=row.number)
        row.message_id, row.error, row.sent_at = o.message_id, o.error, o.sent_at
        summary = (
            f"{o.item.number} envoyé par e-mail à {o.item.to}"
            if o.ok
            else f"Échec d'envoi de {o.item.number} à {o.item.to or '(sans adresse)'} : {o.error}"
        )
        audit.record(
            session,
            o.item.doc_type,
            o.item.invoice_id,
            "email",
            summary[:500],
            client_id=o.item.client_id,
        )


@dataclass
class SendReport:
    outcomes: list[Outcome]

    @property
    def sent(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]
