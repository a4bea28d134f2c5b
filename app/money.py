"""Exact money, quantities and unit prices.

One constructor (:func:`to_decimal`) and one rounding rule (half-up) for the whole
application. Binary floats are refused outright: an accounting system never sees one.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.errors import ValidationError

CENT = Decimal("0.01")
MONEY_SCALE = 2
QUANTITY_SCALE = 3
UNIT_PRICE_SCALE = 4
RATE_SCALE = 4
ZERO = Decimal("0.00")

Number = Decimal | int | str


def to_decimal(value: Number, *, field: str = "montant") -> Decimal:
    """Turn user or stored input into a Decimal; French decimal commas accepted."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"{field}: float refused for an exact amount ({value!r})")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    text = text.replace("€", "").replace("%", "").replace(",", ".")
    if not text:
        raise ValidationError(field, "Le champ « {field} » est vide.")
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            field, "« {value} » n'est pas un nombre valide pour « {field} ».", value=value
        ) from None
    if not result.is_finite():
        raise ValidationError(
            field, "« {value} » n'est pas un nombre valide pour « {field} ».", value=value
        )
    if result and result.adjusted() >= 10:  # 1e30 would break rounding (InvalidOperation)
        raise ValidationError(
            field, "« {field} » : {value} dépasse la limite admise (±10 000 000 000).", value=value
        )
    return result


def quantize(value: Decimal, scale: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def round_money(value: Number) -> Decimal:
    """Round half-up to the cent (docs/DOMAIN.md « Money »)."""
    return quantize(to_decimal(value), MONEY_SCALE)


def round_quantity(value: Number) -> Decimal:
    return quantize(to_decimal(value, field="quantité"), QUANTITY_SCALE)


def round_unit_price(value: Number) -> Decimal:
    return quantize(to_decimal(value, field="prix unitaire"), UNIT_PRICE_SCALE)


def line_total(quantity: Decimal, unit_price: Decimal, discount: Decimal = ZERO) -> Decimal:
    """Line total HT = round(quantity × unit price − discount, 2), half-up."""
    return round_money(quantity * unit_price - discount)


def vat_amount(base: Decimal, rate_percent: Decimal) -> Decimal:
    """VAT of one rate, computed on the sum of the line totals of that rate (BR-CO-17)."""
    return round_money(base * rate_percent / Decimal(100))


def decimal_text(value: Decimal | None) -> str:
    """A stored decimal as the user types it in a form: ``12,15``, ``5,5``, ``50000``
    (French comma, no trailing zeros, no grouping); empty for None."""
    if value is None:
        return ""
    return format(value.normalize(), "f").replace(".", ",")


def format_amount(value: Decimal, *, currency: bool = True) -> str:
    """French display: ``1 234,56 €`` (narrow no-break space as thousands separator, no-break
    space before the euro sign), the text babel gives for fr_FR, built without it: a run
    writes one per invoice in its audit trail (tests compare both on many values)."""
    value = round_money(value)
    text = f"{abs(value):,.2f}".replace(",", "\u202f").replace(".", ",")
    if value.is_signed():
        text = "-" + text
    return text + "\xa0€" if currency else text


def format_quantity(value: Decimal) -> str:
    from babel.numbers import format_decimal

    return format_decimal(
        value.normalize() if value == value.to_integral() else value,
        format="#,##0.###",
        locale="fr_FR",
    )


def format_percent(value: Decimal) -> str:
    """``20 %``, ``5,5 %``."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.##", locale="fr_FR") + "\u00a0%"
