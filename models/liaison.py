"""Liaison book (cahier de liaison / CRM): calls, e-mails, visits and notes followed to closure.

An entry is routed to a department, classified by category and priority, assigned to a
member of staff and carries an optional due date that raises an alert when it passes.
Every step of its handling is a timestamped :class:`LiaisonAction`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TimestampMixin, utcnow


class LiaisonCategory(IdMixin, Base):
    """Classification of entries (réclamation, demande de devis, information...)."""

    __tablename__ = "liaison_categories"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LiaisonEntry(IdMixin, TimestampMixin, Base):
    __tablename__ = "liaison_entries"
    __table_args__ = (
        Index("ix_liaison_entries_status_due", "status", "due_date"),
        Index("ix_liaison_entries_client", "client_id", "received_at"),
    )

    # call / email / visit / note (see app.liaison.entries.KINDS)
    kind: Mapped[str] = mapped_column(String(10), default="call")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    caller: Mapped[str] = mapped_column(String(150), default="")
    caller_phone: Mapped[str] = mapped_column(String(30), default="")
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), nullable=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True, index=True)
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id"), nullable=True, index=True
    )
    # The TC quote made from this entry (conversion) or the quote it is about.
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"), nullable=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("liaison_categories.id"), nullable=True
    )
    # low / normal / high / urgent (see app.liaison.entries.PRIORITIES)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    subject: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # The alert date: an entry not closed by then is overdue.
    due_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # open / in_progress / waiting / closed (see app.liaison.entries.WORKFLOW)
    status: Mapped[str] = mapped_column(String(15), default="open")
    resolution: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # Conversions: what this entry was turned into ("quote" / "amendment_request") and the
    # reference shown in lists; the row itself is linked by quote_id / contract_id.
    converted_kind: Mapped[str] = mapped_column(String(20), default="")
    converted_ref: Mapped[str] = mapped_column(String(60), default="")

    actions: Mapped[list[LiaisonAction]] = relationship(
        back_populates="entry", order_by="LiaisonAction.at", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[LiaisonAttachment]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )


class LiaisonAction(IdMixin, Base):
    """One timestamped step of an entry's handling: who, when, what, status change."""

    __tablename__ = "liaison_actions"

    entry_id: Mapped[int] = mapped_column(ForeignKey("liaison_entries.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    old_status: Mapped[str] = mapped_column(String(15), default="")
    new_status: Mapped[str] = mapped_column(String(15), default="")

    entry: Mapped[LiaisonEntry] = relationship(back_populates="actions")


class LiaisonAttachment(IdMixin, Base):
    """A file attached to an entry, stored under ``<database>.files/liaison/`` with a
    generated name; the user's file name is kept only as metadata."""

    __tablename__ = "liaison_attachments"

    entry_id: Mapped[int] = mapped_column(ForeignKey("liaison_entries.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    entry: Mapped[LiaisonEntry] = relationship(back_populates="attachments")


class Notification(IdMixin, Base):
    """An in-app message to a member of staff (an entry assigned to them...)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("liaison_entries.id"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text, default="")
    read: Mapped[bool] = mapped_column(Boolean, default=False)
