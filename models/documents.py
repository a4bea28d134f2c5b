"""Archived legal documents, sending log and SMTP settings.

The archived PDF bytes live in the file store beside the database (``<db>.files/``), under
a content-addressed name; the table keeps the SHA-256 so ``check`` can prove the bytes
were not altered, and reprints serve exactly what was first issued.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TimestampMixin, utcnow

DEFAULT_SUBJECT = "{type} n° {number} – {company}"
DEFAULT_BODY = (
    "Bonjour,\n\n"
    "Veuillez trouver ci-joint notre {type_lower} n° {number} du {date}, d'un montant de "
    "{amount} TTC, à régler au plus tard le {due_date}.\n"
    "Le fichier joint est une facture électronique Factur-X : le PDF contient aussi les données "
    "structurées (factur-x.xml) lisibles par votre logiciel comptable.\n\n"
    "Nous restons à votre disposition pour toute question.\n\n"
    "Cordialement,\n{company}\n{company_phone}"
)


class ArchivedDocument(IdMixin, Base):
    """The exact bytes of an issued document as first printed or sent."""

    __tablename__ = "archived_documents"
    __table_args__ = (UniqueConstraint("doc_type", "number"),)

    doc_type: Mapped[str] = mapped_column(String(30), default="invoice")
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), nullable=True, unique=True
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id"), nullable=True, index=True
    )
    number: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Relative to Database.files_dir, e.g. archive/2026/ab/<sha256>.pdf
    path: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer)
    archived_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class SendStatus:
    SENT = "sent"
    FAILED = "failed"
    # Written before the message goes: still there afterwards, the sending was cut off
    # (crash, kill) and nobody knows whether the client got it.
    IN_PROGRESS = "in_progress"
    LABELS = {SENT: "Envoyé", FAILED: "Échec", IN_PROGRESS: "Envoi interrompu (incertain)"}  # noqa: RUF012


class DocumentSending(IdMixin, Base):
    """One attempt to e-mail one document (sent at, to, message-id or error)."""

    __tablename__ = "document_sendings"

    doc_type: Mapped[str] = mapped_column(String(30), default="invoice")
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), nullable=True, index=True
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id"), nullable=True, index=True
    )
    number: Mapped[str] = mapped_column(String(40), default="")
    recipient: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default=SendStatus.SENT, index=True)
    message_id: Mapped[str] = mapped_column(String(300), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class SmtpSettings(TimestampMixin, Base):
    """Outgoing mail server (one row, id = 1). The password lives in the system keyring."""

    __tablename__ = "smtp_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    host: Mapped[str] = mapped_column(String(200), default="")
    port: Mapped[int] = mapped_column(Integer, default=587)
    # starttls / ssl / none
    security: Mapped[str] = mapped_column(String(10), default="starttls")
    username: Mapped[str] = mapped_column(String(200), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    sender_email: Mapped[str] = mapped_column(String(200), default="")
    reply_to: Mapped[str] = mapped_column(String(200), default="")
    bcc: Mapped[str] = mapped_column(String(200), default="")
    subject_template: Mapped[str] = mapped_column(String(300), default=DEFAULT_SUBJECT)
    body_template: Mapped[str] = mapped_column(Text, default=DEFAULT_BODY)
    timeout: Mapped[int] = mapped_column(Integer, default=30)


class FileStore(IdMixin, Base):
    """Where the files of a firm whose database is a server (PostgreSQL) live: one folder
    every workstation reaches (a network share), set once for the firm. A SQLite firm keeps
    them beside its file (``<db>.files/``) and has no row here."""

    __tablename__ = "file_store"

    folder: Mapped[str] = mapped_column(String(1000))
