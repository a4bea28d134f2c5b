"""Which way an invoice leaves, by buyer (DGFiP external specifications: e-invoicing
between French VAT-registered businesses, e-reporting for the rest, Chorus Pro for the
public sector)."""

from __future__ import annotations

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
