"""Translatable text. French is the source language of the UI and documents.

Wrap every user-facing string with ``_()`` and plurals with ``ngettext()`` so that an
English catalogue (``resources/locale/en/LC_MESSAGES/propreo.mo``) can be added later.
"""

from __future__ import annotations

import gettext
from typing import Literal

from app.resources import resource_path

_LOCALE_DIR = resource_path("locale")
_translation = gettext.translation("propreo", localedir=_LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Without a catalogue the French rule applies: 0 and 1 take the singular (« 0 facture émise »),
    where gettext's fallback would follow English and say « 0 factures émises »."""
    if type(_translation) is gettext.NullTranslations:
        return singular if abs(n) <= 1 else plural
    return _translation.ngettext(singular, plural, n)


def month_names(width: Literal["abbreviated", "narrow", "wide"] = "wide") -> list[str]:
    """French month names from CLDR (babel): 'wide' → « janvier », 'abbreviated' → « janv. »."""
    from babel.dates import get_month_names

    return [str(name) for name in get_month_names(width, locale="fr_FR").values()]
