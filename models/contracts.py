"""Maintenance contracts: contract, sites, lines with dated versions, amendments, suspensions.

A contract line is a stable identity (the billing ledger points at it); what it bills
lives in :class:`ContractLineVersion` rows, each valid from a date until the next one.
An amendment (avenant) adds versions effective from its date, so earlier versions and
the history they billed are never overwritten.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    Base,
    IdMixin,
    Money,
    Quantity,
    TimestampMixin,
    UnitPrice,
    UTCDateTime,
)


class ContractStatus:
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"  # notice given, billed until its end date
    ENDED = "ended"

    LABELS: ClassVar[dict[str, str]] = {
        DRAFT: "Brouillon",
        ACTIVE: "Actif",
        SUSPENDED: "Suspendu",
        TERMINATED: "Résilié",
        ENDED: "Terminé",
    }
    # Statuses whose lines may be billed (a suspension only removes its own period).
    BILLABLE = (ACTIVE, SUSPENDED, TERMINATED, ENDED)


class Frequency:
    MONTHLY = "monthly"
    BIMONTHLY = "bimonthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    SEASONAL = "seasonal"
    ONE_OFF = "one_off"

    MONTHS: ClassVar[dict[str, int]] = {
        MONTHLY: 1,
        BIMONTHLY: 2,
        QUARTERLY: 3,
        HALF_YEARLY: 6,
        YEARLY: 12,
        SEASONAL: 1,
    }
    LABELS: ClassVar[dict[str, str]] = {
        MONTHLY: "Mensuelle",
        BIMONTHLY: "Bimestrielle",
        QUARTERLY: "Trimestrielle",
        HALF_YEARLY: "Semestrielle",
        YEARLY: "Annuelle",
        SEASONAL: "Saisonnière",
        ONE_OFF: "Ponctuelle",
    }


class Term:
    ADVANCE = "advance"  # à échoir
    ARREARS = "arrears"  # terme échu

    LABELS: ClassVar[dict[str, str]] = {ADVANCE: "À échoir", ARREARS: "Terme échu"}


class Prorata:
    DAYS = "days"  # calendar days of the period
    MONTH30 = "month30"  # 30-day months

    LABELS: ClassVar[dict[str, str]] = {DAYS: "Jours calendaires", MONTH30: "Mois de 30 jours"}


class Grouping:
    CONTRACT = "contract"
    SITE = "site"
    PAYER = "payer"

    LABELS: ClassVar[dict[str, str]] = {
        CONTRACT: "Une facture par contrat",
        SITE: "Une facture par chantier",
        PAYER: "Une facture par payeur",
    }


class Contract(IdMixin, TimestampMixin, Base):
    __tablename__ = "contracts"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    # The payer: invoices are addressed to this client.
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True, index=True)
    reference: Mapped[str] = mapped_column(String(100), default="")
    purchase_order: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default=ContractStatus.DRAFT, index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    tacit_renewal: Mapped[bool] = mapped_column(Boolean, default=True)
    renewal_months: Mapped[int] = mapped_column(Integer, default=12)
    notice_months: Mapped[int] = mapped_column(Integer, default=3)
    # Termination: date the notice was received and date the contract ends.
    notice_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    termination_reason: Mapped[str] = mapped_column(Text, default="")
    grouping: Mapped[str] = mapped_column(String(20), default=Grouping.CONTRACT)
    prorata: Mapped[str] = mapped_column(String(20), default=Prorata.DAYS)
    notes: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list[ContractLine]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractLine.position"
    )
    sites: Mapped[list[ContractSite]] = relationship(cascade="all, delete-orphan")
    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="Amendment.number"
    )
    # Cancelled suspensions stay in the table (audit trail) but are not the contract's.
    suspensions: Mapped[list[Suspension]] = relationship(
        cascade="all, delete-orphan",
        order_by="Suspension.start_date",
        primaryjoin="and_(Contract.id == Suspension.contract_id,"
        " Suspension.cancelled_at.is_(None))",
    )


class ContractSite(IdMixin, Base):
    """Further sites covered by a contract (the main one is ``Contract.site_id``)."""

    __tablename__ = "contract_sites"
    __table_args__ = (UniqueConstraint("contract_id", "site_id"),)

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)


class ContractLine(IdMixin, Base):
    __tablename__ = "contract_lines"

    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Site the line is done on (invoice grouping per site); defaults to the contract's.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)

    contract: Mapped[Contract] = relationship(back_populates="lines")
    # Versions of a cancelled amendment stay in the table (audit trail), out of the line.
    versions: Mapped[list[ContractLineVersion]] = relationship(
        back_populates="line",
        primaryjoin="and_(ContractLine.id == ContractLineVersion.line_id,"
        " ContractLineVersion.cancelled.is_(False))",
        cascade="all, delete-orphan",
        order_by="(ContractLineVersion.valid_from, ContractLineVersion.id)",
    )


class ContractLineVersion(IdMixin, TimestampMixin, Base):
    """What a line bills from ``valid_from`` until the next version."""

    __tablename__ = "contract_line_versions"
    # One version in force per line and date; a cancelled one may share its date with the
    # version that replaces it (an amendment re-typed with the right price).
    __table_args__ = (
        Index(
            "uq_contract_line_versions_in_force",
            "line_id",
            "valid_from",
            unique=True,
            sqlite_where=text("cancelled = 0"),
            postgresql_where=text("NOT cancelled"),
        ),
    )

    line_id: Mapped[int] = mapped_column(
        ForeignKey("contract_lines.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[dt.date] = mapped_column(Date)
    amendment_id: Mapped[int | None] = mapped_column(
        ForeignKey("amendments.id"), nullable=True, index=True
    )
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice(), default=Decimal("0"))
    frequency: Mapped[str] = mapped_column(String(20), default=Frequency.MONTHLY)
    # Seasonal lines: comma-separated month numbers ("3,6,9,12").
    months: Mapped[str] = mapped_column(String(40), default="")
    one_off_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    term: Mapped[str] = mapped_column(String(20), default=Term.ADVANCE)
    # Line's own start/end inside the contract (None = the contract's).
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # "1/12 of an annual budget": billed monthly, twelfths summing exactly to the budget.
    annual_budget: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    # A version may remove the line from its date on.
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when its amendment is cancelled: kept for the audit trail, no longer billed.
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    line: Mapped[ContractLine] = relationship(
        back_populates="versions",
        primaryjoin="ContractLine.id == ContractLineVersion.line_id",
    )


class Amendment(IdMixin, TimestampMixin, Base):
    """Avenant: numbered per contract, signed on a date, effective from a date."""

    __tablename__ = "amendments"
    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    signed_date: Mapped[dt.date] = mapped_column(Date)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    # A cancelled amendment keeps its number (never reused) and its versions.
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    contract: Mapped[Contract] = relationship(back_populates="amendments")


class Suspension(IdMixin, TimestampMixin, Base):
    """A contract (or one line) suspended between two dates, billed or not."""

    __tablename__ = "suspensions"

    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_lines.id", ondelete="CASCADE"), nullable=True
    )
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    billed: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    # A cancelled suspension no longer applies (kept for the audit trail).
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
