"""Cadencier: the tasks done on a site, where, how often and how long
(docs/DOMAIN.md « Clients »)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, Quantity, TimestampMixin


class FrequencyPeriod:
    """How a frequency is counted: n passes per (working) day, week, month or year."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"

    ALL = (DAY, WEEK, MONTH, YEAR)
    LABELS: ClassVar[dict[str, str]] = {
        DAY: "par jour ouvré",
        WEEK: "par semaine",
        MONTH: "par mois",
        YEAR: "par an",
    }


class TaskSchedule(IdMixin, TimestampMixin, Base):
    """One line of a site's cadencier.

    The time of one pass is either given directly (``minutes_per_pass``) or derived from a
    surface and a productivity (``surface_m2`` / ``productivity_m2_h``). The qualification is
    the staff level (AS1…CE, MP) whose loaded hourly cost prices the line; its dated cost grid
    (``models.costs.HourlyCost``) is read at the quote date.
    """

    __tablename__ = "task_schedules"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    task: Mapped[str] = mapped_column(String(200))
    zone: Mapped[str] = mapped_column(String(100), default="")
    frequency: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("1"))
    period: Mapped[str] = mapped_column(String(10), default=FrequencyPeriod.WEEK)
    minutes_per_pass: Mapped[Decimal | None] = mapped_column(Quantity(), nullable=True)
    surface_m2: Mapped[Decimal | None] = mapped_column(Quantity(), nullable=True)
    productivity_m2_h: Mapped[Decimal | None] = mapped_column(Quantity(), nullable=True)
    qualification_id: Mapped[int | None] = mapped_column(
        ForeignKey("qualifications.id"), nullable=True
    )
    template_id: Mapped[int | None] = mapped_column(ForeignKey("task_templates.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
