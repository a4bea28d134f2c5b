"""E-invoicing through an approved platform (plateforme agréée, AFNOR XP Z12-013).

- :class:`PlatformSettings` — where the platform and Chorus Pro are and who we are there.
  The secrets (OAuth2 client secret, Chorus Pro technical account password) live in the
  system keyring, never here.
- :class:`PlatformFlow` — one flow we deposited (an invoice, a life-cycle status we send,
  an e-reporting file, a Chorus Pro deposit). Written *before* the deposit with its
  tracking id (the invoice number and the SHA-256 of the file): a retry after a crash or a
  timeout finds the flow on the platform by that id instead of depositing it twice.
- :class:`InvoiceLifecycle` — each life-cycle status of an invoice (received from the
  platform or sent by us), with its date and reason.
- :class:`ReceivedInvoice` — a supplier invoice received through the platform.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, Money, TimestampMixin, utcnow

ZERO = Decimal("0.00")


class PlatformSettings(TimestampMixin, Base):
    __tablename__ = "platform_settings"

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    base_url: Mapped[str] = mapped_column(String(300), default="")
    client_id: Mapped[str] = mapped_column(String(200), default="")
    # Chorus Pro through PISTE (public bodies).
    chorus_url: Mapped[str] = mapped_column(String(300), default="")
    chorus_client_id: Mapped[str] = mapped_column(String(200), default="")
    chorus_login: Mapped[str] = mapped_column(String(200), default="")
    # The last update date of the flows read by the previous synchronisation (ISO).
    synced_until: Mapped[str] = mapped_column(String(40), default="")
    # The firm's VAT regime sets the e-reporting periods (see app.einvoicing.ereporting).
    vat_regime: Mapped[str] = mapped_column(String(20), default="reel_mensuel")


class FlowKind:
    INVOICE = "invoice"
    STATUS = "status"
    EREPORTING = "ereporting"
    CHORUS = "chorus"
    LABELS: ClassVar[dict[str, str]] = {
        INVOICE: "Facture",
        STATUS: "Statut",
        EREPORTING: "E-reporting",
        CHORUS: "Chorus Pro",
    }


class FlowState:
    PENDING = "pending"  # recorded, deposit not acknowledged yet
    DEPOSITED = "deposited"  # the platform gave its flow id
    ACCEPTED = "accepted"  # acknowledgement Ok
    ERROR = "error"  # acknowledgement Error (reason kept)
    LABELS: ClassVar[dict[str, str]] = {
        PENDING: "En cours d'envoi",
        DEPOSITED: "Déposé",
        ACCEPTED: "Accepté par la plateforme",
        ERROR: "Rejeté par la plateforme",
    }


class PlatformFlow(IdMixin, TimestampMixin, Base):
    __tablename__ = "platform_flows"
    __table_args__ = (UniqueConstraint("tracking_id"),)

    kind: Mapped[str] = mapped_column(String(20), default=FlowKind.INVOICE, index=True)
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), nullable=True, index=True
    )
    tracking_id: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64), default="")
    file_name: Mapped[str] = mapped_column(String(200), default="")
    flow_id: Mapped[str] = mapped_column(String(120), default="", index=True)
    state: Mapped[str] = mapped_column(String(20), default=FlowState.PENDING)
    reason: Mapped[str] = mapped_column(Text, default="")
    period: Mapped[str] = mapped_column(String(20), default="")
    # E-reporting and status files are small XML documents kept as sent.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    deposited_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class LifecycleCode:
    """The life-cycle statuses of the DGFiP external specifications (codes of the CDAR
    message, MDT-88 « ProcessConditionCode »)."""

    DEPOSITED = "200"
    ISSUED = "201"
    RECEIVED = "202"
    MADE_AVAILABLE = "203"
    TAKEN_OVER = "204"
    APPROVED = "205"
    PARTLY_APPROVED = "206"
    DISPUTED = "207"
    SUSPENDED = "208"
    COMPLETED = "209"
    REFUSED = "210"
    PAYMENT_SENT = "211"
    CASHED = "212"
    REJECTED = "213"
    LABELS: ClassVar[dict[str, str]] = {
        "200": "Déposée",
        "201": "Émise par la plateforme",
        "202": "Reçue par la plateforme",
        "203": "Mise à disposition",
        "204": "Prise en charge",
        "205": "Approuvée",
        "206": "Approuvée partiellement",
        "207": "En litige",
        "208": "Suspendue",
        "209": "Complétée",
        "210": "Refusée",
        "211": "Paiement transmis",
        "212": "Encaissée",
        "213": "Rejetée",
    }


class InvoiceLifecycle(IdMixin, Base):
    __tablename__ = "invoice_lifecycle"
    __table_args__ = (UniqueConstraint("invoice_id", "code", "at"),)

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    # "platform" (received), "seller" (sent by us: encaissée), "chorus" (Chorus Pro).
    source: Mapped[str] = mapped_column(String(20), default="platform")
    amount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    flow_id: Mapped[str] = mapped_column(String(120), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReceivedState:
    RECEIVED = "received"
    APPROVED = "approved"
    REFUSED = "refused"
    LABELS: ClassVar[dict[str, str]] = {
        RECEIVED: "Reçue",
        APPROVED: "Approuvée",
        REFUSED: "Refusée",
    }


class ReceivedInvoice(IdMixin, TimestampMixin, Base):
    __tablename__ = "received_invoices"
    __table_args__ = (UniqueConstraint("flow_id"),)

    flow_id: Mapped[str] = mapped_column(String(120))
    seller_name: Mapped[str] = mapped_column(String(200), default="")
    seller_siren: Mapped[str] = mapped_column(String(20), default="")
    number: Mapped[str] = mapped_column(String(60), default="")
    issue_date: Mapped[dt.date | None] = mapped_column(nullable=True)
    total_ht: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    total_ttc: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    file_name: Mapped[str] = mapped_column(String(200), default="")
    document: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    state: Mapped[str] = mapped_column(String(20), default=ReceivedState.RECEIVED)
    reason: Mapped[str] = mapped_column(Text, default="")


class DirectoryEntry(IdMixin, TimestampMixin, Base):
    """What the platform's directory said of a client (looked up before its first send)."""

    __tablename__ = "directory_entries"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), unique=True)
    siren: Mapped[str] = mapped_column(String(20), default="")
    found: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[str] = mapped_column(String(200), default="")
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
