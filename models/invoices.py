"""Invoices, credit notes and down-payment invoices, and their lines.

Interface relied on by documents/Factur-X, payments, quotes, revisions and controls:

- ``Invoice`` (table ``invoices``): ``kind`` is one of :class:`InvoiceKind` ("invoice",
  "credit_note", "down_payment"); ``status`` one of :class:`InvoiceStatus` ("draft",
  "issued"). ``number`` stays NULL until issue (then unique in its ``series_code``).
  Amounts: ``total_ht``, ``total_vat``, ``total_ttc``; ``prepaid_total`` (down payments
  deducted, filled by payments) and ``amount_due`` (= total_ttc − prepaid_total).
  At issue the client and seller data are frozen as JSON in ``client_snapshot`` /
  ``seller_snapshot``; ``content_hash`` is the SHA-256 of the canonical content and
  ``previous_hash`` the content hash of the previously issued document (hash chain,
  see ``app.billing.chain``). A credit note cites ``origin_invoice_id``.
- ``InvoiceLine`` (table ``invoice_lines``): ``kind`` one of :class:`LineKind`; exact
  ``quantity`` / ``unit_price`` / ``discount`` / ``total_ht``; VAT as a snapshot
  (``vat_rate`` in percent, ``vat_category`` EN 16931 code, ``vat_exemption`` text);
  ``unit`` and ``unit_code`` (UN/ECE Rec 20); ``revenue_account`` snapshot;
  ``contract_line_id`` and ``period_start``/``period_end`` for contract billing.

Issued rows are immutable: ``app.billing.issuing`` installs a ``before_flush`` guard
and SQLite triggers refuse UPDATE/DELETE of issued invoices and of their lines.
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
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, Money, Quantity, Rate, TimestampMixin, UnitPrice

ZERO = Decimal("0.00")


class InvoiceKind:
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    DOWN_PAYMENT = "down_payment"

    ALL = (INVOICE, CREDIT_NOTE, DOWN_PAYMENT)
    LABELS: ClassVar[dict[str, str]] = {
        INVOICE: "Facture",
        CREDIT_NOTE: "Avoir",
        DOWN_PAYMENT: "Facture d'acompte",
    }


class InvoiceStatus:
    DRAFT = "draft"
    ISSUED = "issued"
    # An invoice issued by the firm's previous software, still unpaid at the switch date
    # (app.imports.open_items): it keeps its original number and is owed, allocated, aged
    # and chased like an issued one, but Propreo never issued it: it is outside the
    # numbering register, the hash chain, the closings, the sales journal and e-invoicing.
    OPENING = "opening"

    ALL = (DRAFT, ISSUED, OPENING)
    # What a client owes on: the receivables side (balance, allocation, aged balance,
    # statements, client account) reads these statuses.
    RECEIVABLE = (ISSUED, OPENING)
    LABELS: ClassVar[dict[str, str]] = {
        DRAFT: "Brouillon",
        ISSUED: "Émise",
        OPENING: "Reprise (ancien logiciel)",
    }


class LineKind:
    NORMAL = "normal"
    PRORATA = "prorata"
    REGULARISATION = "regularisation"
    DOWN_PAYMENT_DEDUCTION = "down_payment_deduction"
    FREE = "free"

    ALL = (NORMAL, PRORATA, REGULARISATION, DOWN_PAYMENT_DEDUCTION, FREE)


class Invoice(IdMixin, TimestampMixin, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("number", name="number"),
        Index("ix_invoices_status_issue_date", "status", "issue_date"),
    )

    kind: Mapped[str] = mapped_column(String(20), default=InvoiceKind.INVOICE, index=True)
    status: Mapped[str] = mapped_column(String(20), default=InvoiceStatus.DRAFT, index=True)
    series_code: Mapped[str] = mapped_column(String(30), default="invoice", index=True)
    number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    issue_date: Mapped[dt.date] = mapped_column(Date, index=True)
    due_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    period_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True, index=True)
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id"), nullable=True, index=True
    )
    purchase_order: Mapped[str] = mapped_column(String(100), default="")
    origin_invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), nullable=True, index=True
    )
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("billing_runs.id"), nullable=True, index=True
    )
    # Grouping key of a month-end run (contract / site / payer): one draft per key and run.
    group_key: Mapped[str] = mapped_column(String(60), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    total_ht: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    total_vat: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    total_ttc: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    prepaid_total: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    amount_due: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    client_snapshot: Mapped[str] = mapped_column(Text, default="")
    seller_snapshot: Mapped[str] = mapped_column(Text, default="")
    payment_terms: Mapped[str] = mapped_column(String(100), default="")
    payment_means: Mapped[str] = mapped_column(String(20), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    previous_hash: Mapped[str] = mapped_column(String(64), default="")
    # Position in the hash chain of all issued documents (1, 2, ...); NULL for drafts.
    chain_index: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    issued_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    origin: Mapped[Invoice | None] = relationship(remote_side="Invoice.id")

    @property
    def is_issued(self) -> bool:
        return self.status == InvoiceStatus.ISSUED

    @property
    def sign(self) -> int:
        """+1 for invoices, −1 for credit notes (amounts are stored positive)."""
        return -1 if self.kind == InvoiceKind.CREDIT_NOTE else 1


class InvoiceLine(IdMixin, Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(30), default=LineKind.NORMAL)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), nullable=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("article_families.id"), nullable=True)
    revenue_account: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("1"))
    unit: Mapped[str] = mapped_column(String(20), default="forfait")
    unit_code: Mapped[str] = mapped_column(String(5), default="C62")
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice(), default=Decimal("0"))
    discount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    vat_rate_id: Mapped[int | None] = mapped_column(ForeignKey("vat_rates.id"), nullable=True)
    vat_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("20"))
    vat_category: Mapped[str] = mapped_column(String(2), default="S")
    vat_exemption: Mapped[str] = mapped_column(Text, default="")
    vat_exemption_code: Mapped[str] = mapped_column(String(30), default="")
    total_ht: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    # Frozen from the article when the line is made: a sale of goods (VAT due on delivery,
    # 44571, whatever the option) and a « service à la personne » line (SAP mentions and
    # yearly tax certificate).
    goods: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sap: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    contract_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_lines.id"), nullable=True, index=True
    )
    # For a credit-note line: the invoice line it credits.
    origin_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice_lines.id"), nullable=True, index=True
    )
    period_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class DraftCheck(Base):
    """The last validation of a draft (``app.billing.draft_checks``): the fingerprint of
    what was checked and the French reason it was refused ("" when it passed). Issuing
    only confirms that the draft's fingerprint is still this one."""

    __tablename__ = "draft_checks"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[dt.datetime] = mapped_column()
