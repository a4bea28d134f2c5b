"""Quotes (devis) for contracts and extra works (TC), their lines, photos, technical
sheets, and the jobs planned once a TC quote is accepted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, Money, Quantity, Rate, TimestampMixin, UnitPrice


class QuoteKind:
    CONTRACT = "contract"
    EXTRA_WORK = "extra_work"

    ALL = (CONTRACT, EXTRA_WORK)
    LABELS: ClassVar[dict[str, str]] = {
        CONTRACT: "Contrat d'entretien",
        EXTRA_WORK: "Travaux complémentaires (TC)",
    }


class QuoteStatus:
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"
    REVISED = "revised"  # replaced by a newer version; kept as it was sent

    OPEN = frozenset({DRAFT, SENT})
    LABELS: ClassVar[dict[str, str]] = {
        DRAFT: "Brouillon",
        SENT: "Envoyé",
        ACCEPTED: "Accepté",
        REFUSED: "Refusé",
        EXPIRED: "Expiré",
        REVISED: "Remplacé (révisé)",
    }


class Quote(IdMixin, TimestampMixin, Base):
    """A quote version. Revising a sent quote creates a new row (``version`` + 1) linked to
    the previous one through ``previous_id``; both share the same number.

    The number (series ``quote``) is taken when the quote is first sent: it is the moment
    the document leaves the firm, so abandoned drafts never leave holes in the register.
    """

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("number", "version"),)

    kind: Mapped[str] = mapped_column(String(20), default=QuoteKind.EXTRA_WORK, index=True)
    number: Mapped[str | None] = mapped_column(String(30), nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"), nullable=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")  # nature of the work
    quote_date: Mapped[dt.date] = mapped_column(Date)
    validity_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=QuoteStatus.DRAFT, index=True)
    sent_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    decision_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    next_reminder_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    last_reminder_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    # Chance of signature (%) used to weight the pipeline.
    probability: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("50"))
    conditions: Mapped[str] = mapped_column(Text, default="")
    free_of_charge: Mapped[bool] = mapped_column(Boolean, default=True)
    # Intervention: explicit fields (seed module 3 "fréquence / cadence / durée").
    frequency: Mapped[str] = mapped_column(String(100), default="")
    cadence: Mapped[str] = mapped_column(String(200), default="")
    duration_hours: Mapped[Decimal | None] = mapped_column(Quantity(), nullable=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    contract_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Cost-builder inputs and results at pricing time (JSON, see app.quotes.builder).
    builder_snapshot: Mapped[str] = mapped_column(Text, default="")
    include_photos: Mapped[bool] = mapped_column(Boolean, default=True)
    total_ht: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total_vat: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total_ttc: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    # Set on acceptance of a contract quote: the draft contract made from it (billing's table).
    contract_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteLine.position"
    )
    photos: Mapped[list[QuotePhoto]] = relationship(
        back_populates="quote", order_by="QuotePhoto.id"
    )
    sheets: Mapped[list[QuoteSheet]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteSheet.position"
    )
    jobs: Mapped[list[PlannedJob]] = relationship(
        back_populates="quote", order_by="PlannedJob.planned_date"
    )

    @property
    def reference(self) -> str:
        """Number and version as printed (``DE2026-00012 v2``); drafts have no number."""
        if not self.number:
            return f"Brouillon n° {self.id}"
        return self.number if self.version == 1 else f"{self.number} v{self.version}"


class QuoteLineKind:
    SERVICE = "service"
    PRODUCT = "product"
    TRAVEL = "travel"  # frais de déplacement (docs/DOMAIN.md « Quotes »)

    ALL = (SERVICE, PRODUCT, TRAVEL)


class QuoteLine(IdMixin, Base):
    __tablename__ = "quote_lines"

    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10), default=QuoteLineKind.SERVICE)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), nullable=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("1"))
    unit: Mapped[str] = mapped_column(String(20), default="forfait")
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice(), default=Decimal("0"))
    discount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    vat_rate_id: Mapped[int] = mapped_column(ForeignKey("vat_rates.id"))
    total_ht: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    # Contract quotes: how often the line is billed (monthly, quarterly...; billing's codes).
    billing_frequency: Mapped[str] = mapped_column(String(20), default="")

    quote: Mapped[Quote] = relationship(back_populates="lines")


class PhotoTag:
    BEFORE = "before"
    AFTER = "after"
    OTHER = "other"

    ALL = (BEFORE, AFTER, OTHER)
    LABELS: ClassVar[dict[str, str]] = {BEFORE: "Avant", AFTER: "Après", OTHER: "Autre"}


class QuotePhoto(IdMixin, TimestampMixin, Base):
    """A cleaned photo in the file store, attached to a quote and/or a site.

    ``storage_name`` is generated; ``original_name`` is metadata only, never a path.
    """

    __tablename__ = "quote_photos"

    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"), nullable=True, index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True, index=True)
    tag: Mapped[str] = mapped_column(String(10), default=PhotoTag.BEFORE)
    caption: Mapped[str] = mapped_column(String(200), default="")
    # Not unique: a revised quote (v2) lists the same cleaned files as v1.
    storage_name: Mapped[str] = mapped_column(String(100))
    thumb_name: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    mime_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    include_in_pdf: Mapped[bool] = mapped_column(Boolean, default=True)

    quote: Mapped[Quote | None] = relationship(back_populates="photos")


class TechnicalSheet(IdMixin, TimestampMixin, Base):
    """Product or equipment sheet (PDF: norms, safety data) attached to an article."""

    __tablename__ = "technical_sheets"

    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(10), default="product")  # product / equipment
    title: Mapped[str] = mapped_column(String(200))
    norms: Mapped[str] = mapped_column(Text, default="")
    storage_name: Mapped[str] = mapped_column(String(100), unique=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    pages: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class QuoteSheet(IdMixin, Base):
    """A technical sheet selected to be appended to a quote's PDF."""

    __tablename__ = "quote_sheets"
    __table_args__ = (UniqueConstraint("quote_id", "sheet_id"),)

    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("technical_sheets.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    quote: Mapped[Quote] = relationship(back_populates="sheets")
    sheet: Mapped[TechnicalSheet] = relationship()


class JobStatus:
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    LABELS: ClassVar[dict[str, str]] = {
        PLANNED: "Planifié",
        IN_PROGRESS: "En cours",
        DONE: "Terminé",
    }


class PlannedJob(IdMixin, TimestampMixin, Base):
    """Work planned for an accepted TC quote, its progress and what was invoiced of it."""

    __tablename__ = "planned_jobs"

    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    planned_date: Mapped[dt.date] = mapped_column(Date, index=True)
    start_time: Mapped[str] = mapped_column(String(5), default="08:00")
    team: Mapped[str] = mapped_column(String(200), default="")
    duration_hours: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PLANNED)
    progress_percent: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    done_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # Share of the quote already invoiced (%), so partial invoices never bill twice.
    invoiced_percent: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    # JSON list of the shares invoiced so far (e.g. ["0.5", "0.3"]), so that the closing
    # invoice bills exactly what remains of each quote line.
    invoiced_steps: Mapped[str] = mapped_column(Text, default="[]")
    # Last invoice made from this job (billing's table).
    invoice_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    quote: Mapped[Quote] = relationship(back_populates="jobs")
