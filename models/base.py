"""Declarative base and exact column types.

Money, quantities, unit prices and rates are stored as integers at a fixed scale and
read back as :class:`~decimal.Decimal`. SQLAlchemy ``Numeric`` is never used: SQLite
would store it as REAL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, func
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ScaledDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as an integer count of ``10**-scale`` units.

    Writing a value with more decimals than the scale is an error, not a silent rounding:
    rounding is a business decision taken in ``app.money`` before the value gets here.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self._unit = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError(f"float refused for an exact column: {value!r}")
        value = Decimal(value)
        scaled = value.scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimals")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale).quantize(self._unit)

    @property
    def python_type(self) -> type:
        return Decimal

    def __repr__(self) -> str:
        return f"ScaledDecimal({self.scale})"


def Money() -> ScaledDecimal:
    """Euros with 2 decimals, stored as integer cents."""
    return ScaledDecimal(2)


def Quantity() -> ScaledDecimal:
    """Quantities with 3 decimals."""
    return ScaledDecimal(3)


def UnitPrice() -> ScaledDecimal:
    """Unit prices with 4 decimals."""
    return ScaledDecimal(4)


def Rate() -> ScaledDecimal:
    """Percentages and coefficients with 6 decimals (20 % is 20.000000)."""
    return ScaledDecimal(6)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps, stored naive in UTC (portable to PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use app.clock.now()")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        str: String(255),
        dt.datetime: UTCDateTime(),
    }


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


__all__ = [
    "Base",
    "IdMixin",
    "Money",
    "Quantity",
    "Rate",
    "ScaledDecimal",
    "TimestampMixin",
    "UTCDateTime",
    "UnitPrice",
    "func",
    "utcnow",
]
