"""Price indices, revision clauses, applied revisions and the notice log (docs/DOMAIN.md
« Revision »).

- ``PriceIndex`` / ``IndexValue``: an index series (INSEE ICHTrev-TS section N, the sector's
  Index Propreté, ...) and its dated values, one per month (quarterly series store the value
  on the first month of the quarter).
- ``RevisionClause`` / ``RevisionTerm``: the contract's formula P = P0 × (a + Σ bᵢ × Iᵢ/Iᵢ₀)
  with its options; each term names an index, its weight and its reference I₀ (a value or a
  month whose value is looked up).
- ``Revision`` / ``RevisionLine``: a revision applied to a contract at an effective date,
  with the coefficient and every old/new price; the new prices themselves live in the
  contract's price versions (billing's mechanism), so the history is never overwritten.
- ``Notice``: the log of notice letters produced (revision, termination, renewal reminder).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, Money, Rate, TimestampMixin, UnitPrice, UTCDateTime, utcnow


class Periodicity:
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    ALL = (MONTHLY, QUARTERLY)


class PriceIndex(IdMixin, TimestampMixin, Base):
    __tablename__ = "price_indices"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    # e.g. "base 100 en décembre 2015"
    base: Mapped[str] = mapped_column(String(100), default="")
    periodicity: Mapped[str] = mapped_column(String(20), default=Periodicity.MONTHLY)
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    values: Mapped[list[IndexValue]] = relationship(
        back_populates="index", order_by="IndexValue.month", cascade="all, delete-orphan"
    )


class IndexValue(IdMixin, Base):
    __tablename__ = "index_values"
    __table_args__ = (UniqueConstraint("index_id", "month"),)

    index_id: Mapped[int] = mapped_column(ForeignKey("price_indices.id"), index=True)
    month: Mapped[dt.date] = mapped_column(Date)  # first day of the month
    value: Mapped[Decimal] = mapped_column(Rate())
    # "manual" or "csv"
    origin: Mapped[str] = mapped_column(String(20), default="manual")
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    index: Mapped[PriceIndex] = relationship(back_populates="values")


class RevisionClause(IdMixin, TimestampMixin, Base):
    """One revision clause per contract."""

    __tablename__ = "revision_clauses"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    fixed_part: Mapped[Decimal] = mapped_column(Rate())  # a
    # Next date on which the prices are revised (anniversary); moves one year on when applied.
    next_revision: Mapped[dt.date] = mapped_column(Date, index=True)
    # The index value used for a revision at date D is the one of month D − lag months
    # (the latest published value at the anniversary, typically 2–3 months back).
    index_lag_months: Mapped[int] = mapped_column(Integer, default=3)
    decimals: Mapped[int] = mapped_column(Integer, default=6)
    rounding: Mapped[str] = mapped_column(String(10), default="half_up")
    floor: Mapped[Decimal | None] = mapped_column(Rate(), nullable=True)
    cap: Mapped[Decimal | None] = mapped_column(Rate(), nullable=True)
    no_decrease: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    terms: Mapped[list[RevisionTerm]] = relationship(
        back_populates="clause", order_by="RevisionTerm.position", cascade="all, delete-orphan"
    )


class RevisionTerm(IdMixin, Base):
    __tablename__ = "revision_terms"

    clause_id: Mapped[int] = mapped_column(ForeignKey("revision_clauses.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    index_id: Mapped[int] = mapped_column(ForeignKey("price_indices.id"), index=True)
    weight: Mapped[Decimal] = mapped_column(Rate())  # bᵢ
    # I₀: either a value typed from the contract, or the month whose value is looked up.
    reference_value: Mapped[Decimal | None] = mapped_column(Rate(), nullable=True)
    reference_month: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    clause: Mapped[RevisionClause] = relationship(back_populates="terms")
    index: Mapped[PriceIndex] = relationship()


class Revision(IdMixin, Base):
    """A revision applied to a contract (its lines' prices change from ``effective_date``)."""

    __tablename__ = "revisions"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    effective_date: Mapped[dt.date] = mapped_column(Date, index=True)
    coefficient: Mapped[Decimal] = mapped_column(Rate())
    # Readable trace of the computation: "0,15 + 0,85 × 130,5 / 121,2 = 1,065223".
    formula_text: Mapped[str] = mapped_column(Text, default="")
    # Index values used, JSON [{"index", "weight", "reference", "current", "month"}].
    index_values: Mapped[str] = mapped_column(Text, default="")
    # The amendment / price version created in the contract (billing's table), when any.
    amendment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    lines: Mapped[list[RevisionLine]] = relationship(
        back_populates="revision", order_by="RevisionLine.id", cascade="all, delete-orphan"
    )


class RevisionLine(IdMixin, Base):
    __tablename__ = "revision_lines"

    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    contract_line_id: Mapped[int] = mapped_column(ForeignKey("contract_lines.id"), index=True)
    old_price: Mapped[Decimal] = mapped_column(UnitPrice())
    new_price: Mapped[Decimal] = mapped_column(UnitPrice())

    revision: Mapped[Revision] = relationship(back_populates="lines")


class NoticeKind:
    REVISION = "revision"
    TERMINATION = "termination"  # résiliation / non-reconduction
    RENEWAL_REMINDER = "renewal_reminder"

    ALL = (REVISION, TERMINATION, RENEWAL_REMINDER)


class Notice(IdMixin, Base):
    """A notice letter produced for a client (the files live under the database's files)."""

    __tablename__ = "notices"

    kind: Mapped[str] = mapped_column(String(20), index=True)
    # Number in the "notice" series (AVIS2026-0001), taken when the letter is produced.
    number: Mapped[str] = mapped_column(String(30), default="", index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"), nullable=True)
    letter_date: Mapped[dt.date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(200), default="")
    # Paths relative to the database's files folder.
    docx_path: Mapped[str] = mapped_column(String(300), default="")
    pdf_path: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    sent_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class CostAssumption(IdMixin, TimestampMixin, Base):
    """Costs other than labour of a contract for the annual projection: a fixed amount per
    month (products, equipment, travel) and a percentage of revenue (overheads)."""

    __tablename__ = "contract_cost_assumptions"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    other_monthly: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    other_percent: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    notes: Mapped[str] = mapped_column(Text, default="")
