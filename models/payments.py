"""Payments (règlements), their allocation to invoices (lettrage), SEPA mandates and
batches, cheque remittance slips, and down-payment deductions.

- ``Payment``: money received from a client, numbered in series "payment" at entry.
  ``status`` "active", or "rejected" for a direct debit returned by the bank (R-transaction)
  — a payment is never deleted.
- ``Allocation``: part of a payment settling an invoice. ``amount`` is money,
  ``writeoff`` a rounding difference accepted by the user (658). Undoing sets
  ``undone_at``/``undone_by_id``/``undo_reason``: the row stays as the trace, the invoice
  is open again. An invoice's open amount = amount_due − Σ active (amount + writeoff).
- ``SepaMandate``: RUM, signature date, one-off/recurrent, Core/B2B, debtor IBAN/BIC;
  the next sequence (FRST/RCUR/OOFF) follows from ``collections_done``.
- ``SepaBatch`` / ``SepaBatchLine``: one pain.008 file; lines become payments when the
  batch is confirmed; a rejected line reverses its payment and reopens the invoice.
- ``ChequeRemittance`` / ``ChequeRemittanceLine``: bordereau de remise de chèques.
- ``DownPaymentDeduction``: a final invoice deducting a down-payment invoice (HT/VAT/TTC);
  ``DownPaymentOrigin``: the quote or contract a down-payment invoice was asked for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, Money, Rate, TimestampMixin

ZERO = Decimal("0.00")


class PaymentMeans:
    TRANSFER = "transfer"
    CHEQUE = "cheque"
    CASH = "cash"
    CARD = "card"
    DIRECT_DEBIT = "direct_debit"
    LCR = "lcr"

    LABELS: ClassVar[dict[str, str]] = {
        TRANSFER: "Virement",
        CHEQUE: "Chèque",
        CASH: "Espèces",
        CARD: "Carte bancaire",
        DIRECT_DEBIT: "Prélèvement SEPA",
        LCR: "LCR",
    }
    ALL = tuple(LABELS)


class PaymentStatus:
    ACTIVE = "active"
    REJECTED = "rejected"
    LABELS: ClassVar[dict[str, str]] = {ACTIVE: "Enregistré", REJECTED: "Rejeté / impayé"}


class MandateStatus:
    ACTIVE = "active"
    REVOKED = "revoked"
    LABELS: ClassVar[dict[str, str]] = {ACTIVE: "Actif", REVOKED: "Révoqué"}


class SepaBatchStatus:
    """A pain.008 file: exported, then confirmed by the bank or cancelled."""

    EXPORTED = "exported"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    LABELS: ClassVar[dict[str, str]] = {
        EXPORTED: "Exporté",
        CONFIRMED: "Confirmé",
        CANCELLED: "Annulé",
    }


class SepaLineStatus:
    """One debit of a batch: pending until the batch is confirmed (paid) or cancelled; a
    debit the bank sends back (R-transaction) is rejected."""

    PENDING = "pending"
    PAID = "paid"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    LABELS: ClassVar[dict[str, str]] = {
        PENDING: "En attente",
        PAID: "Encaissé",
        REJECTED: "Rejeté",
        CANCELLED: "Lot annulé",
    }


class Payment(IdMixin, TimestampMixin, Base):
    __tablename__ = "payments"

    number: Mapped[str] = mapped_column(String(40), unique=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    means: Mapped[str] = mapped_column(String(20), default=PaymentMeans.TRANSFER)
    amount: Mapped[Decimal] = mapped_column(Money())
    reference: Mapped[str] = mapped_column(String(100), default="")
    # Cheque: drawee bank and cheque number; drawer when not the client.
    cheque_bank: Mapped[str] = mapped_column(String(100), default="")
    cheque_number: Mapped[str] = mapped_column(String(30), default="")
    drawer: Mapped[str] = mapped_column(String(150), default="")
    # The firm's account receiving the money (journal / 512 sub-account), e.g. "512000".
    bank_account: Mapped[str] = mapped_column(String(20), default="512000")
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.ACTIVE, index=True)
    rejected_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    # Overpayment within tolerance taken as a gain (758) instead of credit.
    excess_writeoff: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="payment", order_by="Allocation.id"
    )


class Allocation(IdMixin, TimestampMixin, Base):
    __tablename__ = "payment_allocations"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    writeoff: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    # Matching letter (lettrage) shared by the payment and the invoices it settles.
    letter: Mapped[str] = mapped_column(String(6), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    undone_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    undo_reason: Mapped[str] = mapped_column(String(200), default="")

    payment: Mapped[Payment] = relationship(back_populates="allocations")

    @property
    def active(self) -> bool:
        return self.undone_at is None


class SepaMandate(IdMixin, TimestampMixin, Base):
    __tablename__ = "sepa_mandates"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    rum: Mapped[str] = mapped_column(String(35), unique=True)
    signature_date: Mapped[dt.date] = mapped_column(Date)
    signature_place: Mapped[str] = mapped_column(String(100), default="")
    # one_off / recurrent
    kind: Mapped[str] = mapped_column(String(20), default="recurrent")
    # CORE / B2B
    scheme: Mapped[str] = mapped_column(String(10), default="CORE")
    debtor_name: Mapped[str] = mapped_column(String(140), default="")
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11), default="")
    status: Mapped[str] = mapped_column(String(20), default=MandateStatus.ACTIVE, index=True)
    collections_done: Mapped[int] = mapped_column(Integer, default=0)
    last_collection: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    revoked_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class SepaBatch(IdMixin, TimestampMixin, Base):
    __tablename__ = "sepa_batches"

    reference: Mapped[str] = mapped_column(String(35), unique=True)
    created_on: Mapped[dt.date] = mapped_column(Date)
    collection_date: Mapped[dt.date] = mapped_column(Date, index=True)
    scheme: Mapped[str] = mapped_column(String(10), default="CORE")
    status: Mapped[str] = mapped_column(String(20), default=SepaBatchStatus.EXPORTED)
    total: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    count: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str] = mapped_column(String(255), default="")
    confirmed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    lines: Mapped[list[SepaBatchLine]] = relationship(
        back_populates="batch", order_by="SepaBatchLine.id"
    )


class SepaBatchLine(IdMixin, Base):
    __tablename__ = "sepa_batch_lines"

    batch_id: Mapped[int] = mapped_column(ForeignKey("sepa_batches.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("sepa_mandates.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    sequence: Mapped[str] = mapped_column(String(4))
    end_to_end_id: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(20), default=SepaLineStatus.PENDING)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    reject_reason: Mapped[str] = mapped_column(String(200), default="")

    batch: Mapped[SepaBatch] = relationship(back_populates="lines")


class SepaPrenotification(IdMixin, TimestampMixin, Base):
    """A new pre-notification of a direct debit: the invoice announced another date (or its
    debit came back); the client was told, on ``notified_on``, of ``collection_date``."""

    __tablename__ = "sepa_prenotifications"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    collection_date: Mapped[dt.date] = mapped_column(Date)
    notified_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())


class ChequeRemittance(IdMixin, TimestampMixin, Base):
    __tablename__ = "cheque_remittances"

    reference: Mapped[str] = mapped_column(String(30), unique=True)
    date: Mapped[dt.date] = mapped_column(Date)
    bank_account: Mapped[str] = mapped_column(String(20), default="512000")
    total: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    count: Mapped[int] = mapped_column(Integer, default=0)

    lines: Mapped[list[ChequeRemittanceLine]] = relationship(
        back_populates="remittance", order_by="ChequeRemittanceLine.id"
    )


class ChequeRemittanceLine(IdMixin, Base):
    __tablename__ = "cheque_remittance_lines"
    __table_args__ = (UniqueConstraint("payment_id"),)

    remittance_id: Mapped[int] = mapped_column(ForeignKey("cheque_remittances.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))

    remittance: Mapped[ChequeRemittance] = relationship(back_populates="lines")
    payment: Mapped[Payment] = relationship()


class DownPaymentDeduction(IdMixin, TimestampMixin, Base):
    __tablename__ = "down_payment_deductions"
    __table_args__ = (UniqueConstraint("final_invoice_id", "down_payment_invoice_id"),)

    # Deleting the final draft drops its deductions (issued invoices are never deleted).
    final_invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    down_payment_invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount_ht: Mapped[Decimal] = mapped_column(Money())
    amount_vat: Mapped[Decimal] = mapped_column(Money())
    amount_ttc: Mapped[Decimal] = mapped_column(Money())


class DownPaymentOrigin(IdMixin, Base):
    """What a down-payment invoice was asked for: a quote or a contract, and the share."""

    __tablename__ = "down_payment_origins"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), unique=True
    )
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"), nullable=True, index=True)
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id"), nullable=True, index=True
    )
    percent: Mapped[Decimal | None] = mapped_column(Rate(), nullable=True)
