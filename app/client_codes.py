"""Client codes: the firm's rule (letters of the name + counter, or numeric), the next free
code suggested before saving, and the check of a code typed by the user."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import ValidationError
from models.clients import Client, ClientKind
from models.company import CompanySettings

CODE_RULES: dict[str, str] = {
    "letters": "Lettres du nom + compteur",
    "numeric": "Numérique",
}

# Words skipped when building the letters of a code from a name.
_STOPWORDS = frozenset(
    [
        "SDC",
        "SCI",
        "SAS",
        "SASU",
        "SARL",
        "SA",
        "EURL",
        "SNC",
        "SCP",
        "SELARL",
        "LE",
        "LA",
        "LES",
        "L",
        "D",
        "DE",
        "DU",
        "DES",
        "ET",
        "AU",
        "AUX",
        "RESIDENCE",
        "SYNDICAT",
        "COPROPRIETAIRES",
        "COPROPRIETE",
        "CABINET",
        "STE",
        "SOCIETE",
        "MME",
        "M",
        "MR",
    ]
)
_LETTERS_CODE = re.compile(r"^([A-Z]{1,6})(\d{3,4})$")
_NUMERIC_CODE = re.compile(r"^\d{1,8}$")

CODE_FIELD = "Code client"


def _ascii_upper(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).upper()


def code_letters(name: str, length: int = 4, *, surname_first: bool = False) -> str:
    """The letters part of a code: the first letters of the significant words of the name
    (for a private person « Mme Hélène Dubois », the surname comes first: DUBO)."""
    words = re.findall(r"[A-Z]+", _ascii_upper(name))
    significant = [w for w in words if w not in _STOPWORDS] or words
    if surname_first:
        significant = significant[-1:] + significant[:-1]
    letters = "".join(significant)[:length]
    return letters.ljust(3, "X") if letters else "XXX"


def company_code_rule(session: Session) -> str:
    rule = session.scalar(select(CompanySettings.client_code_rule))
    return rule if rule in CODE_RULES else "letters"


def suggest_client_code(
    session: Session, name: str, rule: str | None = None, kind: str = ClientKind.COMPANY
) -> str:
    """The next free code for ``name`` under the firm's rule (shown before saving)."""
    rule = rule or company_code_rule(session)
    codes = list(session.scalars(select(Client.code)))
    if rule == "numeric":
        numbers = [int(c) for c in codes if _NUMERIC_CODE.match(c)]
        return f"{max(numbers, default=0) + 1:06d}"
    prefix = code_letters(name, surname_first=kind == ClientKind.PERSON)
    used = [
        int(m.group(2)) for c in codes if (m := _LETTERS_CODE.match(c)) and m.group(1) == prefix
    ]
    return f"{prefix}{max(used, default=0) + 1:03d}"


def check_code(code: str, rule: str) -> str:
    """Normalise a code typed by the user and check it follows the rule."""
    code = code.strip().upper()
    if not code:
        raise ValidationError(CODE_FIELD, "Le champ « {field} » est obligatoire.")
    if rule == "numeric" and not _NUMERIC_CODE.match(code):
        raise ValidationError(
            CODE_FIELD,
            "Le {field} « {value} » doit être numérique (1 à 8 chiffres).",
            value=code,
        )
    if rule == "letters" and not _LETTERS_CODE.match(code):
        raise ValidationError(
            CODE_FIELD,
            "Le {field} « {value} » doit comporter 1 à 6 lettres suivies de 3 ou 4 chiffres "
            "(ex. DUPO001).",
            value=code,
        )
    return code
