"""``propreo check``: master data that would make an invoice illegal or unaddressable."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import identifiers
from app.catalog import revenue_account
from app.check import register_check
from app.errors import ValidationError
from models.catalog import Article
from models.clients import Client, ClientKind


@register_check("master_data")
def check_master_data(session: Session) -> list[str]:
    problems: list[str] = []
    for c in session.scalars(select(Client).where(Client.active).order_by(Client.code)):
        for fn, value in (
            (identifiers.siren, c.siren),
            (identifiers.siret, c.siret),
            (identifiers.vat_number, c.vat_number),
            (identifiers.iban, c.iban),
        ):
            try:
                fn(value)
            except ValidationError as exc:
                problems.append(f"Client {c.code} : {exc}")
        if c.kind == ClientKind.CONDOMINIUM and (c.manager is None or not c.manager.active):
            problems.append(f"Client {c.code} : copropriété sans syndic actif.")
        professional = c.kind in (ClientKind.COMPANY, ClientKind.MANAGER, ClientKind.PUBLIC)
        if professional and not c.siren and c.country == "FR":
            problems.append(f"Client {c.code} : client professionnel sans SIREN.")
        if c.payment_means == "direct_debit" and not c.iban:
            problems.append(f"Client {c.code} : prélèvement sans IBAN.")
    for a in session.scalars(select(Article).where(Article.active).order_by(Article.code)):
        if revenue_account(a) is None:
            problems.append(f"Article {a.code} : aucun compte de produit.")
        if not a.vat_rate.active:
            problems.append(f"Article {a.code} : taux de TVA « {a.vat_rate.code} » désactivé.")
    return problems
