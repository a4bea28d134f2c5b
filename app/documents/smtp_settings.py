"""The firm's SMTP settings: the form, the server configuration, templates and addresses.

The SMTP password is kept in the system keyring (``keyring``), never in the database.
Addresses are :class:`email.headerregistry.Address` built from validated text: a CR/LF
typed into a name or an e-mail cannot add a header (:func:`one_line`).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address

from sqlalchemy.orm import Session

from app import audit, identifiers
from app.errors import ValidationError
from models.company import CompanySettings
from models.documents import DEFAULT_BODY, DEFAULT_SUBJECT, SmtpSettings

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
        return Address(display_name=one_line(display_name), addr_spec=value)
    except (ValueError, IndexError, HeaderParseError, ValidationError):
        raise ValidationError(
            field_label, "« {value} » n'est pas une adresse e-mail valide.", value=value
        ) from None


def one_line(text: str) -> str:
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
    username = form.username.strip()
    values = {
        "host": host,
        "port": port,
        "security": form.security,
        "username": username,
        "sender_name": one_line(form.sender_name),
        "sender_email": form.sender_email.strip(),
        "reply_to": form.reply_to.strip(),
        "bcc": form.bcc.strip(),
        "subject_template": one_line(form.subject_template),
        "body_template": form.body_template,
    }
    created = session.get(SmtpSettings, 1) is None
    changes = audit.diff(row, values)
    session.add(row)
    session.flush()
    if form.password:
        store_password(host, username, form.password)
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


def render_template(template: str, values: dict[str, str]) -> str:
    return template.format_map({k: values.get(k, "") for k in PLACEHOLDERS})
