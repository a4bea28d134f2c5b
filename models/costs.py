"""Cost grid: staff qualifications with dated hourly costs, and task templates for the cadencier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, Quantity, Rate, UnitPrice

# Default frequencies of a task: code → (French label, passes per year).
FREQUENCIES: dict[str, tuple[str, int]] = {
    "daily": ("Quotidienne (5 fois par semaine)", 260),
    "3_week": ("3 fois par semaine", 156),
    "2_week": ("2 fois par semaine", 104),
    "weekly": ("Hebdomadaire", 52),
    "fortnightly": ("Tous les 15 jours", 26),
    "monthly": ("Mensuelle", 12),
    "quarterly": ("Trimestrielle", 4),
    "half_yearly": ("Semestrielle", 2),
    "yearly": ("Annuelle", 1),
}


class Qualification(IdMixin, Base):
    """Staff level of the collective agreement IDCC 3043 (AS1 … CE, MP, CA)."""

    __tablename__ = "qualifications"

    code: Mapped[str] = mapped_column(String(10), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    costs: Mapped[list[HourlyCost]] = relationship(
        back_populates="qualification",
        order_by="HourlyCost.valid_from",
        cascade="all, delete-orphan",
    )


class HourlyCost(IdMixin, Base):
    """Hourly wage and employer-charges rate of a qualification from a date on."""

    __tablename__ = "hourly_costs"
    __table_args__ = (UniqueConstraint("qualification_id", "valid_from"),)

    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualifications.id"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    hourly_wage: Mapped[Decimal] = mapped_column(UnitPrice())
    # Employer charges as a percentage of the wage (e.g. 42.5 for 42,5 %).
    charges_rate: Mapped[Decimal] = mapped_column(Rate())

    qualification: Mapped[Qualification] = relationship(back_populates="costs")


class TaskTemplate(IdMixin, Base):
    """A reusable cadencier task: zone, default frequency, time per pass or productivity."""

    __tablename__ = "task_templates"

    label: Mapped[str] = mapped_column(String(200))
    zone: Mapped[str] = mapped_column(String(100), default="")
    frequency: Mapped[str] = mapped_column(String(20), default="daily")
    # Either a fixed time per pass, or a productivity in m² per hour (time = surface / m²h).
    minutes_per_pass: Mapped[Decimal | None] = mapped_column(Quantity(), nullable=True)
    productivity_m2_per_hour: Mapped[Decimal | None] = mapped_column(Quantity(), nullable=True)
    qualification_id: Mapped[int | None] = mapped_column(
        ForeignKey("qualifications.id"), nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    qualification: Mapped[Qualification | None] = relationship()
