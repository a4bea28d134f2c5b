"""The firm's own identity and settings (one row), and numbering series."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, Money, Rate, TimestampMixin


class CompanySettings(TimestampMixin, Base):
    """Identity printed on every document; exactly one row (id = 1)."""

    __tablename__ = "company_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(200))
    legal_form: Mapped[str] = mapped_column(String(50), default="SAS")
    share_capital: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    street: Mapped[str] = mapped_column(String(200), default="")
    street2: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    siren: Mapped[str] = mapped_column(String(9), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    rcs_city: Mapped[str] = mapped_column(String(100), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    naf_code: Mapped[str] = mapped_column(String(10), default="")
    iban: Mapped[str] = mapped_column(String(40), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # VAT on services is due on payment unless the firm opted for debits (docs/DOMAIN.md « VAT »).
    vat_on_debits: Mapped[bool] = mapped_column(Boolean, default=False)
    # Default payment terms, see app.terms.PaymentTerms.
    payment_term_kind: Mapped[str] = mapped_column(String(20), default="net")
    payment_term_days: Mapped[int] = mapped_column(Integer, default=30)
    late_penalty_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("12.150000"))
    late_penalty_text: Mapped[str] = mapped_column(
        Text,
        default=(
            "En cas de retard de paiement, pénalités au taux de {rate} % l'an, exigibles "
            "sans rappel le jour suivant la date d'échéance."
        ),
    )
    early_payment_text: Mapped[str] = mapped_column(
        Text, default="Pas d'escompte pour paiement anticipé."
    )
    # Public buyers owe moratorium interest at the ECB main refinancing rate in force on the
    # first day of the half-year + 8 points (Code de la commande publique, art. R2192-31),
    # not the commercial penalty rate above: the ECB rate and the date it applies from.
    ecb_rate: Mapped[Decimal] = mapped_column(
        Rate(), default=Decimal("2.150000"), server_default="2150000"
    )
    ecb_rate_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    sepa_creditor_id: Mapped[str] = mapped_column(String(35), default="")
    # Calendar days between the invoice (the pre-notification) and its direct debit:
    # 14 by the EPC rulebook unless a shorter delay is agreed in the contract or mandate.
    sepa_prenotification_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    sap_declaration_number: Mapped[str] = mapped_column(String(40), default="")
    # Date of the SAP declaration (art. D7233-1 and D7233-4: on invoices and certificates).
    sap_declaration_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # Fiscal year: closing day and month (31/12 by default; many firms close 30/06 or 30/09),
    # and an irregular first exercise (6 to 24 months) when the firm's first year differs.
    fiscal_close_month: Mapped[int] = mapped_column(Integer, default=12, server_default="12")
    fiscal_close_day: Mapped[int] = mapped_column(Integer, default=31, server_default="31")
    fiscal_first_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    fiscal_first_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # Electronic address of the seller (BT-34), e.g. SIREN under scheme 0225.
    electronic_address: Mapped[str] = mapped_column(String(100), default="")
    electronic_address_scheme: Mapped[str] = mapped_column(String(10), default="0225")
    client_code_rule: Mapped[str] = mapped_column(String(20), default="letters")
    quote_validity_days: Mapped[int] = mapped_column(Integer, default=90)


class NumberSeries(IdMixin, Base):
    """A gap-free numbering series (invoices, credit notes, quotes, ...)."""

    __tablename__ = "number_series"

    code: Mapped[str] = mapped_column(String(30), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    # Pattern with {YYYY}, {YY}, {MM} and {seq:05} placeholders, e.g. FA{YYYY}-{seq:05}.
    pattern: Mapped[str] = mapped_column(String(60))
    # When true the counter restarts each calendar year (the pattern must then hold {YYYY}/{YY}).
    yearly_reset: Mapped[bool] = mapped_column(Boolean, default=False)


class NumberCounter(IdMixin, Base):
    """Last number given in a series (per year when the series resets yearly)."""

    __tablename__ = "number_counters"
    __table_args__ = (UniqueConstraint("series_id", "period_key"),)

    series_id: Mapped[int] = mapped_column(ForeignKey("number_series.id"))
    period_key: Mapped[str] = mapped_column(String(4), default="")
    last_value: Mapped[int] = mapped_column(Integer, default=0)
    last_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class IssuedNumber(IdMixin, Base):
    """Register of every number ever given: the basis of the continuity check."""

    __tablename__ = "issued_numbers"
    __table_args__ = (
        UniqueConstraint("series_id", "period_key", "seq"),
        UniqueConstraint("number"),
    )

    series_id: Mapped[int] = mapped_column(ForeignKey("number_series.id"), index=True)
    period_key: Mapped[str] = mapped_column(String(4), default="")
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40))
    doc_date: Mapped[dt.date] = mapped_column(Date)
    doc_type: Mapped[str] = mapped_column(String(30), default="")
    doc_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class FrozenLogo(Base):
    """A logo as printed on issued documents, stored once under its SHA-256 (the seller
    snapshot of an issued document names it: ``logo_sha256``). Rows are only ever added."""

    __tablename__ = "frozen_logos"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)


class SellerSnapshotFallback(Base):
    """Seller values for documents issued before their snapshot held them: frozen once, by
    the migration that added them to the snapshot, with the company's values of that day
    (JSON value per key). Issued documents never read the live company settings."""

    __tablename__ = "seller_snapshot_fallbacks"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    frozen_on: Mapped[dt.date] = mapped_column(Date)
