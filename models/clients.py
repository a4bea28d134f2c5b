"""Clients (companies, public bodies, private persons, syndics, copropriétés), contacts, sites."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, Money, TimestampMixin


class ClientKind:
    COMPANY = "company"
    PUBLIC = "public"
    PERSON = "person"
    MANAGER = "manager"  # syndic / régie
    CONDOMINIUM = "condominium"  # copropriété (SDC)

    ALL = (COMPANY, PUBLIC, PERSON, MANAGER, CONDOMINIUM)
    # Professional debtors owe the 40 € recovery indemnity and get B2B wording.
    PROFESSIONAL = frozenset({COMPANY, PUBLIC, MANAGER})


class Client(IdMixin, TimestampMixin, Base):
    __tablename__ = "clients"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=ClientKind.COMPANY, index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    legal_form: Mapped[str] = mapped_column(String(50), default="")
    # For a copropriété: the syndic/régie that manages it (documents go c/o the manager).
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id"), nullable=True, index=True
    )
    siren: Mapped[str] = mapped_column(String(9), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    # Chorus Pro (public bodies): service code and commitment number.
    chorus_service_code: Mapped[str] = mapped_column(String(100), default="")
    chorus_commitment: Mapped[str] = mapped_column(String(50), default="")
    # Billing address.
    street: Mapped[str] = mapped_column(String(200), default="")
    street2: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    # Delivery address when different from billing.
    delivery_street: Mapped[str] = mapped_column(String(200), default="")
    delivery_postcode: Mapped[str] = mapped_column(String(10), default="")
    delivery_city: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    invoice_email: Mapped[str] = mapped_column(String(200), default="")
    # paper / email / platform
    sending_mode: Mapped[str] = mapped_column(String(20), default="paper")
    payment_term_kind: Mapped[str] = mapped_column(String(20), default="net")
    payment_term_days: Mapped[int] = mapped_column(Integer, default=30)
    # transfer / cheque / direct_debit / card / cash / lcr
    payment_means: Mapped[str] = mapped_column(String(20), default="transfer")
    # SEPA direct debit: the mandate reference (RUM) when the mandate is known.
    mandate_reference: Mapped[str] = mapped_column(String(35), default="")
    iban: Mapped[str] = mapped_column(String(40), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    credit_limit: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    in_litigation: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Revenue sub-account (CompAuxNum in the FEC), e.g. 411DUPO.
    account_code: Mapped[str] = mapped_column(String(20), default="")

    manager: Mapped[Client | None] = relationship(remote_side="Client.id", back_populates="managed")
    managed: Mapped[list[Client]] = relationship(back_populates="manager")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Contact.id"
    )
    sites: Mapped[list[Site]] = relationship(
        back_populates="client", foreign_keys="Site.client_id", order_by="Site.id"
    )

    @property
    def is_professional(self) -> bool:
        return self.kind in ClientKind.PROFESSIONAL


class Contact(IdMixin, Base):
    __tablename__ = "contacts"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    role: Mapped[str] = mapped_column(String(100), default="")
    service: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    mobile: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    is_invoice_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    client: Mapped[Client] = relationship(back_populates="contacts")


class Site(IdMixin, TimestampMixin, Base):
    """A chantier: where the work is done."""

    __tablename__ = "sites"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    # The payer when it is not the client (e.g. a syndic's copropriété pays for its building).
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), nullable=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    street2: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    # Where the building is (ISO 3166 code): French VAT applies to its cleaning only when it
    # is in France, whoever the client (CGI art. 259 A 2°).
    country: Mapped[str] = mapped_column(String(2), default="FR", server_default="FR")
    access_codes: Mapped[str] = mapped_column(Text, default="")
    keys: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    # JSON {"zone": m², ...}
    surfaces: Mapped[str] = mapped_column(Text, default="")
    floor_types: Mapped[str] = mapped_column(String(200), default="")
    # JSON list of checked constraint codes (see app.sites.CONSTRAINTS).
    constraints: Mapped[str] = mapped_column(Text, default="")
    constraints_notes: Mapped[str] = mapped_column(Text, default="")
    onsite_contact: Mapped[str] = mapped_column(String(150), default="")
    onsite_phone: Mapped[str] = mapped_column(String(30), default="")
    # JSON list of file names under <database>.files/sites/<site id>/.
    photos: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    client: Mapped[Client] = relationship(back_populates="sites", foreign_keys=[client_id])
    payer: Mapped[Client | None] = relationship(foreign_keys=[payer_id])
