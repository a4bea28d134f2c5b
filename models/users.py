"""Staff accounts and internal departments."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin


class Department(IdMixin, Base):
    """Internal department (commercial, exploitation, comptabilité, direction...)."""

    __tablename__ = "departments"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(IdMixin, TimestampMixin, Base):
    """A member of staff: chosen at start-up, named in every history."""

    __tablename__ = "users"

    login: Mapped[str] = mapped_column(String(50), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    initials: Mapped[str] = mapped_column(String(5))
    email: Mapped[str] = mapped_column(String(200), default="")
    # administrateur / facturation / commercial / exploitation (see app.users.ROLES)
    role: Mapped[str] = mapped_column(String(20), default="facturation")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department | None] = relationship()
