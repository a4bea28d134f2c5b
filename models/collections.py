"""Collections: dunning levels (settings), reminders sent, and the month control's threshold.

- ``DunningLevel``: relance 1, relance 2, mise en demeure; each is due ``days_after_due``
  days after an invoice's due date (configurable, see ``app.collections.dunning``).
- ``Reminder`` / ``ReminderItem``: one letter (or e-mail) sent to a client at a level, and
  the overdue invoices it claimed with their open amount, days late and penalty. The level
  reached by an invoice is the highest level of the reminders that cited it.
- ``ControlSettings``: the month control's threshold of change (percent) between M-1 and M.
- ``ControlMark``: the control of a month marked done (who, when, what it said then).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, Money, Rate, TimestampMixin, utcnow


class DunningCode:
    FIRST = "relance_1"
    SECOND = "relance_2"
    FORMAL = "mise_en_demeure"

    ALL = (FIRST, SECOND, FORMAL)
    LABELS: ClassVar[dict[str, str]] = {
        FIRST: "Relance 1",
        SECOND: "Relance 2",
        FORMAL: "Mise en demeure",
    }
    DEFAULT_DAYS: ClassVar[dict[str, int]] = {FIRST: 15, SECOND: 30, FORMAL: 45}


class DunningLevel(IdMixin, Base):
    __tablename__ = "dunning_levels"

    # 1, 2, 3: order of the levels.
    level: Mapped[int] = mapped_column(Integer, unique=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    label: Mapped[str] = mapped_column(String(60))
    # Days after the invoice's due date from which this level is due.
    days_after_due: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ReminderChannel:
    LETTER = "letter"
    EMAIL = "email"

    LABELS: ClassVar[dict[str, str]] = {LETTER: "Courrier", EMAIL: "E-mail"}


class Reminder(IdMixin, TimestampMixin, Base):
    __tablename__ = "reminders"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(30))
    sent_on: Mapped[dt.date] = mapped_column(Date, index=True)
    channel: Mapped[str] = mapped_column(String(20), default=ReminderChannel.LETTER)
    total_due: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    penalty: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    indemnity: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    items: Mapped[list[ReminderItem]] = relationship(
        back_populates="reminder", cascade="all, delete-orphan", order_by="ReminderItem.id"
    )


class ReminderItem(IdMixin, Base):
    __tablename__ = "reminder_items"
    __table_args__ = (UniqueConstraint("reminder_id", "invoice_id"),)

    reminder_id: Mapped[int] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    open_amount: Mapped[Decimal] = mapped_column(Money())
    days_late: Mapped[int] = mapped_column(Integer)
    penalty: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))

    reminder: Mapped[Reminder] = relationship(back_populates="items")


class ControlSettings(Base):
    """Single row (id = 1): settings of the month control."""

    __tablename__ = "control_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    # An explained change (amendment, revision...) beyond this percentage is still reported.
    change_threshold: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("10"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ControlMark(IdMixin, Base):
    """« Contrôle fait »: someone marked the control of a month (M against M-1) done, with
    what the control said then. The totals are kept so that a month changed afterwards
    (recomputed drafts, a new invoice) reads « à refaire » rather than « fait »."""

    __tablename__ = "control_marks"

    period: Mapped[str] = mapped_column(String(7), unique=True)  # AAAA-MM
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    done_by: Mapped[str] = mapped_column(String(120), default="")  # the name, as shown then
    done_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    total_ht: Mapped[Decimal] = mapped_column(Money())  # the month's HT when marked
    anomalies: Mapped[int] = mapped_column(Integer, default=0)  # examined when marked
