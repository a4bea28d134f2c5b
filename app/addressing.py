"""How a client is addressed on documents.

A copropriété (SDC) is the legal buyer, but its mail goes to its syndic: the heading is
« SDC <résidence> », then « c/o <syndic> » and the syndic's postal address
(docs/DOMAIN.md « Clients »).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.clients import Client, ClientKind

if TYPE_CHECKING:  # the bulk paths' plain records (app.billing.records)
    from app.billing.records import ClientRecord, ManagerRecord

COUNTRY_NAMES = {"FR": "France", "BE": "Belgique", "CH": "Suisse", "LU": "Luxembourg"}


def display_name(client: Client) -> str:
    """The buyer's name as printed: copropriétés are prefixed « SDC » once."""
    name = client.name.strip()
    if client.kind == ClientKind.CONDOMINIUM:
        lowered = name.casefold()
        if not (lowered.startswith("sdc ") or lowered.startswith("syndicat des copropri")):
            return f"SDC {name}"
    return name


def _postal_lines(street: str, street2: str, postcode: str, city: str, country: str) -> list[str]:
    lines = [s for s in (street.strip(), street2.strip()) if s]
    town = f"{postcode.strip()} {city.strip()}".strip()
    if town:
        lines.append(town.upper() if country == "FR" else town)
    if country and country != "FR":
        lines.append(COUNTRY_NAMES.get(country, country).upper())
    return lines


def postal_address(client: Client | ClientRecord) -> list[str]:
    """Where the client's mail goes (without the name lines); ``client`` may be the plain
    record of app.billing.records."""
    target: Client | ClientRecord | ManagerRecord = client
    if client.kind == ClientKind.CONDOMINIUM and client.manager is not None:
        target = client.manager
    return _postal_lines(
        target.street, target.street2, target.postcode, target.city, target.country
    )


def billing_address_lines(client: Client) -> list[str]:
    """Every printed line of the billing address block, name first."""
    lines = [display_name(client)]
    if client.kind == ClientKind.CONDOMINIUM and client.manager is not None:
        lines.append(f"c/o {client.manager.name.strip()}")
    return lines + postal_address(client)


@dataclass(frozen=True)
class BuyerParty:
    """What an invoice needs to know about its buyer (PDF block and Factur-X BG-7)."""

    name: str
    lines: list[str]  # full printed block, name first
    street: str
    street2: str
    postcode: str
    city: str
    country: str
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    email: str = ""
    electronic_address: str = ""  # BT-49, scheme 0225 (SIREN) when known
    electronic_address_scheme: str = "0225"
    is_professional: bool = True
    chorus_service_code: str = ""
    chorus_commitment: str = ""
    care_of: str = ""  # syndic name for a copropriété
    building_address: list[str] = field(default_factory=list)  # the SDC's own address
    code: str = ""
    account_code: str = ""


def buyer_party(client: Client) -> BuyerParty:
    target = client
    care_of = ""
    building: list[str] = []
    if client.kind == ClientKind.CONDOMINIUM and client.manager is not None:
        target = client.manager
        care_of = client.manager.name.strip()
        building = _postal_lines(
            client.street, client.street2, client.postcode, client.city, client.country
        )
    return BuyerParty(
        name=display_name(client),
        lines=billing_address_lines(client),
        street=target.street,
        street2=target.street2,
        postcode=target.postcode,
        city=target.city,
        country=target.country or "FR",
        siren=client.siren,
        siret=client.siret,
        vat_number=client.vat_number,
        email=client.invoice_email or client.email,
        electronic_address=client.siren,
        is_professional=client.is_professional,
        chorus_service_code=client.chorus_service_code,
        chorus_commitment=client.chorus_commitment,
        care_of=care_of,
        building_address=building,
        code=client.code,
        account_code=client.account_code,
    )
