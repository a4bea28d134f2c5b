"""Signed monthly closings (issue T §6): the chain head of a closed month signed with the
installation's key, kept outside the database (app.closings)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, UTCDateTime, utcnow


class MonthClosing(IdMixin, Base):
    """One closed month: the chain up to ``chain_count`` documents hashes to ``chain_head``,
    signed (Ed25519) by the key whose public half is ``public_key`` (hex)."""

    __tablename__ = "closings"

    period: Mapped[str] = mapped_column(String(7), unique=True)  # AAAA-MM
    chain_head: Mapped[str] = mapped_column(String(64))  # "" when nothing was issued yet
    chain_count: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
