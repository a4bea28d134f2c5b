"""Which way an invoice leaves, by buyer (DGFiP external specifications: e-invoicing
between French VAT-registered businesses, e-reporting for the rest, Chorus Pro for the
public sector)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clients import Client, ClientKind

B2B, B2C, B2B_INT, B2G = "B2B", "B2C", "B2BInt", "B2G"
LABELS = {
    B2B: "Facture électronique (plateforme)",
    B2C: "E-reporting (particulier / non assujetti)",
    B2B_INT: "E-reporting (client étranger)",
    B2G: "Chorus Pro (organisme public)",
}


def channel(client: Client) -> str:
    if client.kind == ClientKind.PUBLIC:
        return B2G
    if (client.country or "FR") != "FR":
        return B2B_INT
    if client.kind == ClientKind.PERSON:
        return B2C
    if client.kind == ClientKind.CONDOMINIUM and not client.siren:
        return B2C
    return B2B if client.siren else B2C


def platform_clients(session: Session) -> set[int]:
    """Clients whose invoices leave by the platform or Chorus Pro — none while no platform
    is configured (then invoices are e-mailed as before)."""
    from models.einvoicing import PlatformSettings

    settings = session.get(PlatformSettings, 1)
    if settings is None or not settings.base_url:
        return set()
    return {c.id for c in session.scalars(select(Client)) if channel(c) in (B2B, B2G)}
