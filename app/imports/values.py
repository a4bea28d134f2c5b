"""Cells of an imported file read as French users type them (pure functions).

Numbers: ``1 234,56``, ``1.234,56``, ``1234.56``, ``12,5 €``, ``20 %``. Dates:
``31/12/2026``, ``31/12/26``, ``31-12-2026``, ``31.12.2026``, ``2026-12-31``. Yes/no:
``oui``/``non``, ``o``/``n``, ``x``, ``1``/``0``, ``vrai``/``faux``. Choice lists are
matched on their French label or their code, without accents or case.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from app import input_rules
from app.errors import ValidationError

_DATE_FR = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
YES = frozenset({"oui", "o", "x", "1", "vrai", "yes", "y", "true"})
NO = frozenset({"non", "n", "", "0", "faux", "no", "false"})


def fold(text: str) -> str:
    """Lower case, no accent, single spaces: how labels and headers are compared."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z%]+", " ", plain.casefold()).split())


def number(text: str, field: str, scale: int = 2) -> Decimal:
    """A French number within the bounds of its kind (see :func:`app.input_rules.number`)."""
    raw = (text or "").strip()
    cleaned = re.sub(r"[\s\u00a0\u202f€%]", "", raw)
    if "," in cleaned and "." in cleaned:  # the last one is the decimal mark
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "")
        else:
            cleaned = cleaned.replace(",", "")
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    if not cleaned:
        raise ValidationError(field, "Le champ « {field} » est vide.")
    if not re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)", cleaned):
        raise ValidationError(
            field, "« {value} » n'est pas un nombre valide pour « {field} ».", value=raw
        )
    return input_rules.number(cleaned.replace(",", "."), field, scale)


def date(text: str, field: str) -> dt.date:
    """A French (or ISO) date within the years 1900 to 2099."""
    raw = (text or "").strip().split(" ")[0]
    try:
        if match := _DATE_ISO.fullmatch(raw):
            year, month, day = (int(g) for g in match.groups())
        elif match := _DATE_FR.fullmatch(raw):
            day, month, year = (int(g) for g in match.groups())
            if year < 100:
                year += 2000 if year < 70 else 1900
        else:
            raise ValueError(raw)
        value = dt.date(year, month, day)
    except ValueError:
        raise ValidationError(
            field,
            "« {value} » n'est pas une date valide pour « {field} » (JJ/MM/AAAA).",
            value=text,
        ) from None
    return input_rules.date(value, field)


def optional_date(text: str, field: str) -> dt.date | None:
    return date(text, field) if (text or "").strip() else None


def yes_no(text: str, field: str) -> bool:
    value = fold(text)
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValidationError(field, "« {value} » : répondez oui ou non pour « {field} ».", value=text)


def choice(text: str, field: str, labels: dict[str, str], default: str = "") -> str:
    """The code of ``labels`` (code → French label) named by its label, its code, or the
    start of its label; ``default`` when the cell is empty."""
    value = fold(text)
    if not value:
        if default:
            return default
        raise ValidationError(field, "Le champ « {field} » est obligatoire.")
    for code, label in labels.items():
        if value in (fold(label), fold(code)):
            return code
    starts = [code for code, label in labels.items() if fold(label).startswith(value)]
    if len(starts) == 1:
        return starts[0]
    raise ValidationError(
        field,
        "« {value} » n'est pas une valeur admise pour « {field} » ({allowed}).",
        value=text,
        allowed=", ".join(labels.values()),
    )
