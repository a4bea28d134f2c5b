"""Which VAT a line carries, decided from where the building is and who the buyer is.

- Place of supply (CGI art. 259 A 2°): cleaning a building is a service connected with
  immovable property, taxed where the building is. A site in France: French VAT whatever
  the client's country (the article's rate). A site abroad: out of scope of French VAT —
  every line of its invoice gets EN 16931 category O (« non soumis »), 0 %, the mention
  :data:`OUT_OF_SCOPE_TEXT` naming the country, exemption code VATEX-EU-O.
- Reverse charge (autoliquidation, art. 283-2 nonies du CGI) is only possible for a buyer
  identified for VAT: a line of category AE for a client without a VAT number is refused,
  naming the field to fill in.

Applied to the rows :class:`app.billing.invoices.LineResolver` makes (drafts, runs) and
checked again at issue. See docs/DOMAIN.md, « TVA : lieu de l'immeuble ».
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

from app.errors import ValidationError

FRANCE = "FR"
REVERSE_CHARGE = "AE"
OUT_OF_SCOPE = "O"
OUT_OF_SCOPE_CODE = "VATEX-EU-O"
OUT_OF_SCOPE_TEXT = (
    "Opération hors du champ de la TVA française : prestation se rattachant à un immeuble "
    "situé hors de France ({country}), art. 259 A 2° du CGI."
)
VAT_NUMBER_FIELD = "N° TVA intracommunautaire"


def site_in_france(country: str | None) -> bool:
    return (country or FRANCE).strip().upper() in ("", FRANCE)


def apply_place_of_supply(rows: Iterable[MutableMapping[str, Any]], country: str | None) -> None:
    """Rows of an invoice for a site in ``country``: unchanged in France, out of scope of
    French VAT (category O, 0 %, mention) for a building abroad."""
    if site_in_france(country):
        return
    text = OUT_OF_SCOPE_TEXT.format(country=(country or "").strip().upper())
    for row in rows:
        row.update(
            vat_rate_id=None,
            vat_rate=0,
            vat_category=OUT_OF_SCOPE,
            vat_exemption=text,
            vat_exemption_code=OUT_OF_SCOPE_CODE,
        )


def check_reverse_charge(categories: Iterable[str], client: Any) -> None:
    """Refuse reverse charge for a buyer without a VAT number (art. 283-2 nonies)."""
    if REVERSE_CHARGE in set(categories) and not (client.vat_number or "").strip():
        raise ValidationError(
            VAT_NUMBER_FIELD,
            "Autoliquidation (art. 283-2 nonies du CGI) impossible pour le client {code} : "
            "il n'a pas de {field}. Renseignez-le dans sa fiche, ou facturez avec TVA.",
            code=client.code,
        )


def site_country(session: Any, site_id: int | None) -> str:
    if site_id is None:
        return FRANCE
    from models.clients import Site

    site = session.get(Site, site_id)
    return (site.country if site is not None else "") or FRANCE


def sites_abroad(session: Any) -> dict[int, str]:
    """Site id → country of every site whose building is not in France (few, one query)."""
    from sqlalchemy import select

    from models.clients import Site

    rows = session.execute(select(Site.id, Site.country).where(Site.country != FRANCE))
    return {site_id: country for site_id, country in rows if not site_in_france(country)}


def settle_rows(
    session: Any, rows: Sequence[MutableMapping[str, Any]], client: Any, site_id: int | None
) -> None:
    """Both rules on the rows of one draft (building location, then reverse charge)."""
    apply_place_of_supply(rows, site_country(session, site_id))
    check_reverse_charge((r["vat_category"] for r in rows), client)
