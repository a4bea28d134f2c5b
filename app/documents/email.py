"""E-mailing documents: SMTP settings, templates, test e-mail, sending a run, retries, log.

The SMTP password is kept in the system keyring (``keyring``), never in the database.
Messages are built with :class:`email.message.EmailMessage` and
:class:`email.headerregistry.Address`: a CR/LF typed into a client name or e-mail cannot add
a header. Rendering and SMTP happen outside any write transaction; the sending log
(one :class:`DocumentSending` per attempt) is written afterwards in a short unit of work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import smtplib
import ssl
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, identifiers
from app.errors import PropreoError, ValidationError
from app.lookup import get_row
from app.money import format_amount
from app.progress import NO_PROGRESS, Progress
from app.workflow import Workflow
from models.clients import Client
from models.company import CompanySettings
from models.documents import (
    DEFAULT_BODY,
    DEFAULT_SUBJECT,
    DocumentSending,
    SendStatus,
    SmtpSettings,
)
from models.invoices import Invoice, InvoiceKind

KEYRING_SERVICE = "Propreo SMTP"
SECURITY = {"starttls": "STARTTLS", "ssl": "SSL/TLS", "none": "Aucune"}
PLACEHOLDERS = {
    "type": "type de document (Facture, Avoir…)",
    "type_lower": "type en minuscules",
    "number": "numéro",
    "date": "date d'émission",
    "due_date": "date d'échéance",
    "amount": "montant TTC",
    "amount_due": "net à payer",
    "client": "nom du client",
    "period": "période facturée",
    "company": "nom de la société",
    "company_phone": "téléphone de la société",
    "company_email": "e-mail de la société",
}
MAX_ATTEMPTS = 3


class SendingError(PropreoError):
    """The mail server refused or could not be reached."""


# --------------------------------------------------------------------------- settings


@dataclass
class SmtpForm:
    host: str = ""
    port: str = "587"
    security: str = "starttls"
    username: str = ""
    sender_name: str = ""
    sender_email: str = ""
    reply_to: str = ""
    bcc: str = ""
    subject_template: str = DEFAULT_SUBJECT
    body_template: str = DEFAULT_BODY
    password: str = ""  # only passed to the keyring; empty = unchanged


@dataclass(frozen=True)
class SmtpConfig:
    """Everything needed to talk to the server (plain values, usable off the session)."""

    host: str
    port: int
    security: str = "none"
    username: str = ""
    password: str = ""
    sender_name: str = ""
    sender_email: str = ""
    reply_to: str = ""
    bcc: str = ""
    timeout: int = 30


def get_settings(session: Session) -> SmtpSettings:
    row = session.get(SmtpSettings, 1)
    if row is None:
        company = session.get(CompanySettings, 1)
        row = SmtpSettings(
            id=1,
            host="",
            port=587,
            security="starttls",
            username="",
            sender_name=company.name if company else "",
            sender_email=company.email if company else "",
            reply_to="",
            bcc="",
            subject_template=DEFAULT_SUBJECT,
            body_template=DEFAULT_BODY,
            timeout=30,
        )
    return row


def form_from_settings(row: SmtpSettings) -> SmtpForm:
    return SmtpForm(
        host=row.host,
        port=str(row.port),
        security=row.security,
        username=row.username,
        sender_name=row.sender_name,
        sender_email=row.sender_email,
        reply_to=row.reply_to,
        bcc=row.bcc,
        subject_template=row.subject_template,
        body_template=row.body_template,
    )


def check_template(template: str, field_label: str) -> str:
    """Refuse unknown placeholders and broken braces, naming the field."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:
        raise ValidationError(
            field_label, "« {field} » : accolade non fermée dans le modèle."
        ) from None
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            field_label,
            "« {field} » : champ inconnu {names}. Champs possibles : {allowed}.",
            names=", ".join("{" + n + "}" for n in unknown),
            allowed=", ".join("{" + n + "}" for n in PLACEHOLDERS),
        )
    return template


def email_address(value: str, field_label: str, display_name: str = "") -> Address:
    """A validated mailbox; CR/LF or a second address are refused, never passed on."""
    value = value.strip()
    if (
        not value
        or re.search(r"[\r\n,;<>\s]", value)
        or not re.fullmatch(r"[^@]+@[^@]+\.[^@]+", value)
    ):
        raise ValidationError(
            field_label, "« {value} » n'est pas une adresse e-mail valide.", value=value
        )
    try:
        identifiers.email(value, field_label)
        return Address(display_name=_one_line(display_name), addr_spec=value)
    except (ValueError, IndexError, HeaderParseError, ValidationError):
        raise ValidationError(
            field_label, "« {value} » n'est pas une adresse e-mail valide.", value=value
        ) from None


def _one_line(text: str) -> str:
    """Header text on one line: CR/LF and other controls become spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text or "").split())


def save_settings(session: Session, form: SmtpForm) -> SmtpSettings:
    host = form.host.strip()
    if not host or re.search(r"\s", host):
        raise ValidationError("Serveur SMTP", "Indiquez le nom du serveur SMTP (sans espace).")
    try:
        port = int(form.port)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise ValidationError("Port", "Le port doit être un nombre entre 1 et 65535.")
    if form.security not in SECURITY:
        raise ValidationError("Sécurité", "Choisissez STARTTLS, SSL/TLS ou aucune.")
    email_address(form.sender_email, "Adresse de l'expéditeur")
    if form.reply_to.strip():
        email_address(form.reply_to, "Adresse de réponse")
    if form.bcc.strip():
        email_address(form.bcc, "Copie cachée")
    check_template(form.subject_template, "Objet")
    check_template(form.body_template, "Message")
    row = get_settings(session)
    values = {
        "host": host,
        "port": port,
        "security": form.security,
        "username": form.username.strip(),
        "sender_name": _one_line(form.sender_name),
        "sender_email": form.sender_email.strip(),
        "reply_to": form.reply_to.strip(),
        "bcc": form.bcc.strip(),
        "subject_template": _one_line(form.subject_template),
        "body_template": form.body_template,
    }
    created = session.get(SmtpSettings, 1) is None
    changes = audit.diff(row, values)
    session.add(row)
    session.flush()
    if form.password:
        store_password(host, values["username"], form.password)
        changes["mot de passe"] = ("", "(trousseau système)")
    if not (created or changes):
        return row  # saved untouched: nothing to trace
    audit.record(
        session, "smtp_settings", 1, "update", "Paramètres d'envoi des e-mails", changes=changes
    )
    return row


def _keyring_key(host: str, username: str) -> str:
    return f"{username}@{host}"


def store_password(host: str, username: str, password: str) -> None:
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_key(host, username), password)
    except KeyringError as exc:
        raise ValidationError(
            "Mot de passe",
            "Le trousseau du système n'est pas disponible ({error}) : le mot de passe n'est "
            "jamais enregistré dans la base.",
            error=str(exc),
        ) from None


def load_password(host: str, username: str) -> str:
    if not username:
        return ""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, _keyring_key(host, username)) or ""
    except KeyringError:
        return ""


def config_from(session: Session, override: str | None = None) -> SmtpConfig:
    """Configured server, or ``HOST:PORT`` given on the command line (no auth, no TLS)."""
    row = get_settings(session)
    company = session.get(CompanySettings, 1)
    sender = row.sender_email or (company.email if company else "")
    sender_name = row.sender_name or (company.name if company else "")
    if override:
        host, _, port = override.rpartition(":")
        if not host or not port.isdigit():
            raise ValidationError("--smtp", "Format attendu : HOTE:PORT (par ex. localhost:1025).")
        return SmtpConfig(
            host,
            int(port),
            "none",
            sender_name=sender_name,
            sender_email=sender,
            reply_to=row.reply_to,
            bcc=row.bcc,
        )
    if not row.host:
        raise ValidationError(
            "Serveur SMTP", "Aucun serveur d'envoi configuré : renseignez les paramètres e-mail."
        )
    return SmtpConfig(
        host=row.host,
        port=row.port,
        security=row.security,
        username=row.username,
        password=load_password(row.host, row.username),
        sender_name=sender_name,
        sender_email=sender,
        reply_to=row.reply_to,
        bcc=row.bcc,
        timeout=row.timeout,
    )


# --------------------------------------------------------------------------- messages


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


def render_template(template: str, values: dict[str, str]) -> str:
    return template.format_map({k: values.get(k, "") for k in PLACEHOLDERS})


def build_message(config: SmtpConfig, item: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email_address(
        config.sender_email, "Adresse de l'expéditeur", config.sender_name
    )
    message["To"] = email_address(item.to, "E-mail de facturation du client", item.to_name)
    if config.reply_to:
        message["Reply-To"] = email_address(config.reply_to, "Adresse de réponse")
    message["Subject"] = _one_line(item.subject)
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    domain = config.sender_email.rpartition("@")[2] or "propreo.local"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(item.body)
    for filename, data in item.attachments:
        message.add_attachment(
            data, maintype="application", subtype="pdf", filename=_one_line(filename)
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
        return f"refus du serveur ({exc.smtp_code} {exc.smtp_error.decode(errors='replace')})"
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
    before the next one starts (:func:`send_invoices` logs each message there)."""
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


def _log_row(session: Session, item: Outgoing, status: str) -> DocumentSending:
    row = DocumentSending(
        doc_type=item.doc_type,
        invoice_id=item.invoice_id,
        client_id=item.client_id,
        number=item.number,
        recipient=item.to,
        subject=_one_line(item.subject)[:300],
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
            row = _log_row(session, o.item, status)
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


# --------------------------------------------------------------------------- use cases


def send_test_email(session: Session, to: str, *, override: str | None = None) -> Outcome:
    """« Envoyer un e-mail de test »: checks server, login and sender with a real message."""
    config = config_from(session, override)
    email_address(to, "Destinataire du test")
    item = Outgoing(
        to=to,
        to_name="",
        subject="Propreo – e-mail de test",
        body=(
            "Ceci est un e-mail de test envoyé par Propreo.\n"
            f"Serveur : {config.host}:{config.port} ({SECURITY.get(config.security, '')}).\n"
            "Si vous le recevez, l'envoi des factures par e-mail est opérationnel."
        ),
        number="test",
        doc_type="test",
    )
    outcome = deliver(config, [item], retry_delay=0.2)[0]
    if not outcome.ok:
        raise SendingError("L'e-mail de test n'a pas pu être envoyé : {error}", error=outcome.error)
    return outcome


@dataclass
class SendReport:
    outcomes: list[Outcome]

    @property
    def sent(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def email_recipients(session: Session, period: str) -> list[int]:
    """Issued documents of the month whose client is sent its invoices by e-mail — not
    those that leave through the e-invoicing platform or Chorus Pro once one is set up."""
    from app.documents.render import issued_in_period
    from app.einvoicing.routing import platform_clients

    ids = issued_in_period(session, period)
    electronic = platform_clients(session)
    clients = {
        c.id: c
        for c in session.scalars(select(Client).where(Client.sending_mode == "email"))
        if c.id not in electronic
    }
    return [i for i in ids if get_row(session, Invoice, i, "Facture").client_id in clients]


def failed_documents(session: Session, invoice_ids: list[int] | None = None) -> list[int]:
    """Documents whose latest sending attempt failed (for « Renvoyer les échecs »)."""
    latest: dict[int, str] = {}
    query = select(DocumentSending).where(DocumentSending.invoice_id.is_not(None))
    for row in session.scalars(query.order_by(DocumentSending.id)):
        latest[row.invoice_id] = row.status  # type: ignore[index]
    failed = [i for i, status in latest.items() if status == SendStatus.FAILED]
    return [i for i in failed if invoice_ids is None or i in invoice_ids]


def send_invoices(
    session: Session,
    invoice_ids: list[int],
    progress: Progress = NO_PROGRESS,
    *,
    override: str | None = None,
    retry_delay: float = 1.0,
) -> SendReport:
    """E-mail each document's archived Factur-X PDF to its client's invoice address.

    Call with a read session. A document that fails validation is not sent: its log row
    carries the rule and field that blocked it.
    """
    from app.addressing import display_name
    from app.documents.build import invoice_email
    from app.documents.render import render_batch

    config = config_from(session, override)
    settings = get_settings(session)
    subject_t, body_t = settings.subject_template, settings.body_template
    company = session.get(CompanySettings, 1)
    items: dict[int, Outgoing] = {}
    for invoice_id in invoice_ids:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            continue
        client = get_row(session, Client, invoice.client_id, "Client")
        label = InvoiceKind.LABELS.get(invoice.kind, "Facture")
        period = (
            f"du {invoice.period_start:%d/%m/%Y} au {invoice.period_end:%d/%m/%Y}"
            if invoice.period_start and invoice.period_end
            else ""
        )
        values = {
            "type": label,
            "type_lower": label.lower(),
            "number": invoice.number or "",
            "date": f"{invoice.issue_date:%d/%m/%Y}",
            "due_date": f"{invoice.due_date:%d/%m/%Y}" if invoice.due_date else "",
            "amount": format_amount(invoice.total_ttc),
            "amount_due": format_amount(invoice.amount_due),
            "client": display_name(client),
            "period": period,
            "company": company.name if company else "",
            "company_phone": company.phone if company else "",
            "company_email": company.email if company else "",
        }
        to = invoice_email(client)
        items[invoice_id] = Outgoing(
            to=to,
            to_name=display_name(client),
            subject=render_template(subject_t, values),
            body=render_template(body_t, values),
            invoice_id=invoice_id,
            client_id=client.id,
            number=invoice.number or "",
            doc_type=invoice.kind,
            error="" if to else "aucune adresse e-mail de facturation pour ce client",
        )
    batch = render_batch(session, list(items), progress)  # releases the read transaction
    for rendered in batch.documents:
        item = items[rendered.invoice_id]
        if rendered.pdf is None:
            item.error = item.error or f"document non conforme, envoi bloqué : {rendered.error}"
        else:
            item.attachments = [(f"{rendered.number}.pdf", rendered.pdf)]
    database = session.info["database"]
    started: dict[int, int] = {}

    def on_start(item: Outgoing) -> None:  # committed before the message goes
        with database.write() as write:
            row = _log_row(write, item, SendStatus.IN_PROGRESS)
            write.flush()
            started[id(item)] = row.id

    def on_done(outcome: Outcome) -> None:  # committed before the next one starts
        with database.write() as write:
            log_outcomes(write, [outcome], started)

    outcomes = deliver(
        config,
        list(items.values()),
        progress,
        retry_delay=retry_delay,
        on_start=on_start,
        on_done=on_done,
    )
    return SendReport(outcomes)
