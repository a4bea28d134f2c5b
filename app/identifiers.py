"""Validation of French and EU identifiers with python-stdnum and schwifty.

Each function returns the compact, normalised value or raises a ValidationError whose
message names the field the user filled.
"""

from __future__ import annotations

import re

from stdnum import exceptions as stdnum_exc
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from app.errors import ValidationError

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def siren(value: str, field: str = "SIREN") -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        return fr_siren.validate(value)
    except stdnum_exc.ValidationError:
        raise ValidationError(
            field, "Le {field} « {value} » n'est pas valide (9 chiffres, clé de Luhn).", value=value
        ) from None


def siret(value: str, field: str = "SIRET") -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        return fr_siret.validate(value)
    except stdnum_exc.ValidationError:
        raise ValidationError(
            field,
            "Le {field} « {value} » n'est pas valide (14 chiffres, clé de contrôle).",
            value=value,
        ) from None


def vat_number(value: str, field: str = "N° TVA intracommunautaire") -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        return eu_vat.validate(value)
    except stdnum_exc.ValidationError:
        raise ValidationError(
            field, "Le {field} « {value} » n'est pas valide.", value=value
        ) from None


def iban(value: str, field: str = "IBAN") -> str:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    value = value.strip()
    if not value:
        return ""
    try:
        return IBAN(value).compact
    except (SchwiftyException, ValueError):
        raise ValidationError(
            field, "L'{field} « {value} » n'est pas valide.", value=value
        ) from None


def bic(value: str, field: str = "BIC") -> str:
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    value = value.strip()
    if not value:
        return ""
    try:
        return BIC(value, allow_invalid=False).compact
    except (SchwiftyException, ValueError):
        raise ValidationError(
            field, "Le {field} « {value} » n'est pas valide.", value=value
        ) from None


def email(value: str, field: str = "E-mail") -> str:
    value = value.strip()
    if not value:
        return ""
    if _CONTROL.search(value) or not _EMAIL.match(value) or len(value) > 200:
        raise ValidationError(field, "L'adresse {field} « {value} » n'est pas valide.", value=value)
    return value


def text(value: str, field: str, max_length: int = 200, required: bool = False) -> str:
    """Free text: trimmed, no control or bidirectional-override characters, bounded length."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(field, "Le champ « {field} » est obligatoire.")
    if _CONTROL.search(value.replace("\n", "").replace("\t", "")):
        raise ValidationError(
            field, "Le champ « {field} » contient des caractères de contrôle interdits."
        )
    if len(value) > max_length:
        raise ValidationError(
            field, "Le champ « {field} » dépasse {max} caractères.", max=max_length
        )
    return value


def postcode(value: str, field: str = "Code postal", country: str = "FR") -> str:
    value = value.strip()
    if value and country == "FR" and not re.fullmatch(r"\d{5}", value):
        raise ValidationError(
            field, "Le {field} « {value} » doit comporter 5 chiffres.", value=value
        )
    return value


def siren_of_vat(vat: str) -> str:
    """The SIREN inside a French VAT number (FRkk + SIREN)."""
    vat = vat.replace(" ", "").upper()
    return vat[4:] if vat.startswith("FR") and len(vat) == 13 else ""
