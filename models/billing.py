"""Month-end billing runs and the billing ledger.

The ledger holds one row per contract line and billing period billed (plus one per
regularisation of that period, ``revision`` 1, 2, ...). Its UNIQUE constraint is the
guarantee against double billing: two runs, two workstations or a rerun after a crash
cannot both bill the same period.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, Money, utcnow


class BillingRun(IdMixin, Base):
    __tablename__ = "billing_runs"

    # "YYYY-MM"
    period: Mapped[str] = mapped_column(String(7), index=True)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    issued_count: Mapped[int] = mapped_column(Integer, default=0)
    total_ht: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total_ttc: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    # JSON list of warnings (blocked clients, over credit limit, ...).
    warnings: Mapped[str] = mapped_column(Text, default="")


class BillingLedger(IdMixin, Base):
    __tablename__ = "billing_ledger"
    __table_args__ = (UniqueConstraint("contract_line_id", "period_start", "revision"),)

    contract_line_id: Mapped[int] = mapped_column(ForeignKey("contract_lines.id"), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    # 0 = the period's billing; 1, 2, ... = regularisations after a retroactive amendment.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[Decimal] = mapped_column(Money())
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    invoice_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice_lines.id", ondelete="CASCADE"), nullable=True
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("billing_runs.id"), nullable=True)
