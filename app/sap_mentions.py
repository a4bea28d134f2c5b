"""The « services à la personne » mentions of an invoice (art. D7233-1 du Code du travail).

Where they apply and what they say (docs/DOMAIN.md, « Services à la personne »); the yearly
tax certificate is :mod:`app.sap`'s. Kept apart from it so that building a document
(:mod:`app.documents.build`) does not import the certificate's sending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from app.billing.totals import vat_breakdown
from app.money import ZERO, format_amount
from models.clients import ClientKind

TAX_CREDIT_TEXT = (
    "Les sommes effectivement acquittées au titre de ces services à la personne ouvrent "
    "droit au crédit d'impôt de l'article 199 sexdecies du CGI ; une attestation fiscale "
    "annuelle vous sera adressée."
)


def applies(declaration: str, client_kind: str, lines: Iterable[Any]) -> bool:
    """The three conditions of the SAP mentions."""
    return (
        bool((declaration or "").strip())
        and client_kind == ClientKind.PERSON
        and any(getattr(line, "sap", False) for line in lines)
    )


def sap_ttc(lines: Iterable[Any]) -> Decimal:
    """Amount TTC of the SAP lines of a document (their own VAT per rate)."""
    chosen = [line for line in lines if getattr(line, "sap", False)]
    return sum((v.base + v.vat for v in vat_breakdown(chosen)), ZERO)


def invoice_mentions(
    declaration: str, declared_on: dt.date | None, lines: Iterable[Any]
) -> tuple[str, ...]:
    """The D7233-1 mentions of an invoice to which the SAP rules apply."""
    lines = list(lines)
    chosen = [line for line in lines if getattr(line, "sap", False)]
    since = f" du {declared_on:%d/%m/%Y}" if declared_on else ""
    nature = ", ".join(dict.fromkeys(line.description.splitlines()[0] for line in chosen))
    return (
        f"Services à la personne – déclaration n° {declaration.strip()}{since} "
        "(art. L7232-1-1 du Code du travail).",
        f"Services à la personne facturés ({nature}) : {format_amount(sap_ttc(chosen))} TTC, "
        "selon les heures et taux horaires des lignes ci-dessus.",
        TAX_CREDIT_TEXT,
    )
