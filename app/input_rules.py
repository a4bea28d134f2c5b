"""One validation of what reaches a document, whatever the entry path.

Forms, the command line, imports and scripts all end in a session flush: a
``before_flush`` listener (installed on every SQLAlchemy session by :func:`install`)
checks every new or changed value of

* the free-text fields that a document prints (:data:`TEXT_FIELDS`): no control or
  bidirectional-override character, a length limit per field, one line where the
  document has one line;
* every date (years 1900 to 2099) and every exact number (:class:`models.base.ScaledDecimal` columns): amounts, quantities,
  unit prices and rates within the bounds of :data:`BOUNDS` (a cleaning firm never
  invoices 10⁹ €), so that no product or sum can overflow a stored integer.

A refused value raises :class:`~app.errors.ValidationError` naming the field in French;
the unit of work is rolled back, nothing is half-written. Forms call :func:`text` and
:func:`number` themselves to show the message beside the field before saving.
Long words are accepted: documents cut them when they are drawn (reports/text.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.money import to_decimal

# Control characters (tab and newline apart) and bidirectional overrides (« fdp.exe »).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

# Largest absolute value per decimal scale (see models.base): money (2 decimals),
# quantities (3), unit prices (4), rates and coefficients (6).
BOUNDS = {
    2: Decimal("999999999.99"),
    3: Decimal("999999.999"),
    4: Decimal("9999999.9999"),
    6: Decimal("999999.999999"),
}
KIND = {2: "montant", 3: "quantité", 4: "prix unitaire", 6: "taux"}
_A_KIND = {2: "un montant", 3: "une quantité", 4: "un prix unitaire", 6: "un taux"}
# Dates a document or a plan may hold: month arithmetic never leaves the calendar.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
DATE = -1  # marker of date columns in :func:`_guarded`


class Rule:
    """A free-text field printed on a document: its French label and limits."""

    __slots__ = ("label", "max_length", "multiline")

    def __init__(self, label: str, max_length: int, multiline: bool = False) -> None:
        self.label = label
        self.max_length = max_length
        self.multiline = multiline


def _text_fields() -> dict[tuple[str, str], Rule]:
    """``(table, column) → rule``: every free text a document (invoice, credit note,
    quote, letter, Factur-X XML, sales journal) prints."""

    def one(label: str, max_length: int) -> Rule:
        return Rule(label, max_length)

    def many(label: str, max_length: int) -> Rule:
        return Rule(label, max_length, multiline=True)

    return {
        ("contracts", "title"): one("Intitulé du contrat", 200),
        ("contracts", "reference"): one("Référence du contrat", 100),
        ("contracts", "purchase_order"): one("N° de bon de commande", 100),
        ("contracts", "notes"): many("Notes du contrat", 5000),
        ("contract_line_versions", "description"): many("Désignation de la ligne", 1000),
        ("amendments", "description"): many("Objet de l'avenant", 2000),
        ("invoices", "title"): one("Objet de la facture", 200),
        ("invoices", "purchase_order"): one("N° de bon de commande", 100),
        ("invoices", "notes"): many("Note de la facture", 5000),
        ("invoices", "payment_terms"): one("Conditions de paiement", 100),
        ("invoice_lines", "description"): many("Désignation de la ligne", 2000),
        ("invoice_lines", "unit"): one("Unité", 20),
        ("invoice_lines", "vat_exemption"): many("Mention d'exonération", 500),
        ("quotes", "title"): one("Objet du devis", 200),
        ("quotes", "conditions"): many("Conditions du devis", 5000),
        ("quotes", "frequency"): one("Fréquence", 100),
        ("quotes", "cadence"): one("Cadence / horaires", 200),
        ("quote_lines", "label"): one("Libellé de la ligne", 200),
        ("quote_lines", "description"): many("Description de la ligne", 2000),
        ("quote_lines", "unit"): one("Unité", 20),
        ("articles", "label"): one("Libellé de l'article", 200),
        ("articles", "description"): many("Description de l'article", 2000),
        ("articles", "unit"): one("Unité", 20),
        ("clients", "name"): one("Nom / raison sociale", 200),
        ("clients", "street"): one("Adresse", 200),
        ("clients", "street2"): one("Complément d'adresse", 200),
        ("clients", "city"): one("Ville", 100),
        ("clients", "account_code"): one("Compte client", 20),
        ("sites", "name"): one("Nom du chantier", 200),
        ("sites", "street"): one("Adresse du chantier", 200),
        ("sites", "city"): one("Ville", 100),
    }


TEXT_FIELDS = _text_fields()


def text(value: str | None, field: str, max_length: int = 200, *, multiline: bool = True) -> str:
    """Free text as stored: trimmed, no control character, at most ``max_length``."""
    value = (value or "").strip()
    if _CONTROL.search(value) or _SURROGATE.search(value) or "\r" in value:
        raise ValidationError(
            field, "Le champ « {field} » contient des caractères de contrôle interdits."
        )
    if not multiline and ("\n" in value or "\t" in value):
        raise ValidationError(field, "Le champ « {field} » doit tenir sur une seule ligne.")
    if len(value) > max_length:
        raise ValidationError(
            field,
            "Le champ « {field} » dépasse {max} caractères ({length}).",
            max=max_length,
            length=len(value),
        )
    return value


def field_text(table: str, column: str, value: str | None) -> str:
    """:func:`text` with the rule of a registered document field."""
    rule = TEXT_FIELDS[(table, column)]
    return text(value, rule.label, rule.max_length, multiline=rule.multiline)


def number(value: Any, field: str, scale: int = 2) -> Decimal:
    """A user's number (French comma accepted) within the bounds of its kind."""
    result = to_decimal(value, field=field)
    limit = BOUNDS[scale]
    try:
        within = abs(result) <= limit
    except InvalidOperation:
        within = False
    if not within:
        raise ValidationError(
            field,
            "« {field} » : {value} dépasse la limite admise pour {kind} (±{limit}).",
            value=value,
            kind=_A_KIND[scale],
            limit=_plain(limit),
        )
    return result


def date(value: dt.date, field: str) -> dt.date:
    """A date between :data:`FIRST_DAY` and :data:`LAST_DAY`."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(
            field,
            "« {field} » : la date {value} est hors des limites admises (années 1900 à 2099).",
            value=f"{value:%d/%m/%Y}",
        )
    return value


def _plain(limit: Decimal) -> str:
    return f"{int(limit) + 1:,}".replace(",", " ")


# --- the flush guard ------------------------------------------------------------------------


NUMBER_LABELS = {
    "quantity": "Quantité",
    "unit_price": "Prix unitaire",
    "annual_budget": "Budget annuel",
    "discount": "Remise",
    "credit_limit": "Plafond d'encours",
    "amount": "Montant",
    "total_ht": "Total HT",
    "total_vat": "Total TVA",
    "total_ttc": "Total TTC",
    "vat_rate": "Taux de TVA",
    "start_date": "Date de début",
    "end_date": "Date de fin",
    "issue_date": "Date d'émission",
    "due_date": "Date d'échéance",
    "valid_from": "Date d'effet",
    "one_off_date": "Date de la prestation",
}


@functools.cache
def _guarded(mapper: Any) -> tuple[tuple[str, Rule | None, int], ...]:
    """``(attribute, text rule, scale)`` of the columns of a mapped class to check."""
    from sqlalchemy import Date

    from models.base import ScaledDecimal

    table = mapper.local_table.name
    out: list[tuple[str, Rule | None, int]] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        rule = TEXT_FIELDS.get((table, column.name))
        if rule is not None:
            out.append((prop.key, rule, 0))
        elif isinstance(column.type, ScaledDecimal):
            out.append((prop.key, None, column.type.scale))
        elif isinstance(column.type, Date):
            out.append((prop.key, None, DATE))
    return tuple(out)


def check_object(obj: Any, new: bool) -> None:
    """Raise on the first registered text or exact number of ``obj`` that is not valid."""
    state = inspect(obj)
    for key, rule, scale in _guarded(state.mapper):
        value = state.dict.get(key)
        if not value or not (new or state.attrs[key].history.added):
            continue
        if rule is not None and isinstance(value, str):
            text(value, rule.label, rule.max_length, multiline=rule.multiline)
        elif rule is None and isinstance(value, Decimal) and scale in BOUNDS:
            number(value, NUMBER_LABELS.get(key, KIND[scale].capitalize()), scale)
        elif scale == DATE and isinstance(value, dt.date):
            date(value, NUMBER_LABELS.get(key, "Date"))


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.new:
        check_object(obj, True)
    for obj in session.dirty:
        check_object(obj, False)


def install() -> None:
    """Guard every session of the process (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


install()
