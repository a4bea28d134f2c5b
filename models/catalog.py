"""Chart of accounts, VAT rates, article families and articles."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, Rate, TimestampMixin, UnitPrice


class Account(IdMixin, Base):
    """General-ledger account of the accounting gateway (411, 706x, 44571, ...)."""

    __tablename__ = "accounts"

    number: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class VatRate(IdMixin, Base):
    """A VAT rate as data: rate, EN 16931 category, accounts and mention."""

    __tablename__ = "vat_rates"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    rate: Mapped[Decimal] = mapped_column(Rate())
    # EN 16931 VAT category code: S standard, AE reverse charge, E exempt, Z zero, O outside.
    category: Mapped[str] = mapped_column(String(2), default="S")
    # Account for VAT on debits (44571) and on payment (44574).
    account_debits_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    account_payment_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    # Printed on the invoice (e.g. "Autoliquidation", "TVA non applicable, art. 293 B du CGI").
    mention: Mapped[str] = mapped_column(Text, default="")
    # EN 16931 exemption reason code (BT-121), e.g. VATEX-EU-AE.
    exemption_code: Mapped[str] = mapped_column(String(30), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    account_debits: Mapped[Account | None] = relationship(foreign_keys=[account_debits_id])
    account_payment: Mapped[Account | None] = relationship(foreign_keys=[account_payment_id])


class ArticleFamily(IdMixin, Base):
    """Grouping for statistics, controls and default revenue account."""

    __tablename__ = "article_families"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    revenue_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    revenue_account: Mapped[Account | None] = relationship()


# Units and their UN/ECE Rec 20 codes (Factur-X BT-130).
UNITS: dict[str, str] = {
    "heure": "HUR",
    "m²": "MTK",
    "passage": "C62",
    "forfait": "C62",
    "unité": "C62",
    "mois": "MON",
    "jour": "DAY",
}


class Article(IdMixin, TimestampMixin, Base):
    """Catalogue entry: a service or a product."""

    __tablename__ = "articles"

    code: Mapped[str] = mapped_column(String(30), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20), default="forfait")
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice(), default=Decimal("0"))
    vat_rate_id: Mapped[int] = mapped_column(ForeignKey("vat_rates.id"))
    family_id: Mapped[int | None] = mapped_column(ForeignKey("article_families.id"), nullable=True)
    # Overrides the family's revenue account when set.
    revenue_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    is_service: Mapped[bool] = mapped_column(Boolean, default=True)
    # A « service à la personne » (household service at a private person's home, art.
    # L7231-1 du Code du travail): only such lines carry the SAP mentions and count in the
    # yearly tax certificate, and only when the firm is declared SAP.
    sap_service: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    vat_rate: Mapped[VatRate] = relationship()
    family: Mapped[ArticleFamily | None] = relationship()
    revenue_account: Mapped[Account | None] = relationship()
