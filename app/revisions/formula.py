"""Index revision formula (docs/DOMAIN.md « Revision »), pure and exact.

    P = P0 × (a + Σ bᵢ × Iᵢ / Iᵢ₀)      with a + Σ bᵢ = 1

The coefficient is computed with exact rational arithmetic (:class:`fractions.Fraction`
built from the Decimals, no binary float, no intermediate rounding) and rounded once, to
the number of decimals the contract states, with the contract's rounding mode. Then the
options apply in this order: floor, cap, "no decrease" (coefficient at least 1).
The new price is ``P0 × coefficient`` rounded half-up to the price's decimals.

Example from docs/DOMAIN.md « Revision »: a = 0.15, I0 = 121.2, In = 130.5 →
0.15 + 0.85 × 130.5 / 121.2 = 1.065222772… → 1.065223 (6 decimals).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from app.errors import ValidationError
from app.money import quantize

ONE = Decimal(1)


class Rounding:
    """How the coefficient is rounded to the contract's number of decimals."""

    HALF_UP = "half_up"  # arrondi au plus proche (0,5 vers le haut)
    DOWN = "down"  # troncature
    UP = "up"  # arrondi supérieur

    ALL = (HALF_UP, DOWN, UP)


ROUNDING_LABELS = {
    Rounding.HALF_UP: "Au plus proche",
    Rounding.DOWN: "Troncature",
    Rounding.UP: "Arrondi supérieur",
}


@dataclass(frozen=True)
class Term:
    """One indexed term bᵢ × Iᵢ / Iᵢ₀ with the values found for it.

    ``current`` / ``reference`` are None when the value of that month was not entered;
    the months are used to name what is missing.
    """

    index: str
    weight: Decimal
    reference: Decimal | None
    current: Decimal | None
    reference_month: dt.date | None = None
    current_month: dt.date | None = None


@dataclass(frozen=True)
class Formula:
    fixed: Decimal  # a
    terms: tuple[Term, ...]
    decimals: int = 6
    rounding: str = Rounding.HALF_UP
    floor: Decimal | None = None  # minimum coefficient, e.g. 1.000000
    cap: Decimal | None = None  # maximum coefficient, e.g. 1.050000
    no_decrease: bool = False


@dataclass(frozen=True)
class Outcome:
    raw: Fraction  # exact coefficient before rounding
    rounded: Decimal  # after rounding to the contract's decimals
    coefficient: Decimal  # after floor / cap / no decrease: the one applied
    limited_by: str  # "", "floor", "cap" or "no_decrease"


def month_label(month: dt.date | None) -> str:
    if month is None:
        return "?"
    return f"{month.month:02d}/{month.year}"


def check_weights(fixed: Decimal, weights: Sequence[Decimal]) -> None:
    """a + Σ bᵢ must be exactly 1, each part between 0 and 1, at least one index."""
    if not weights:
        raise ValidationError("Indices", "La formule doit comporter au moins un indice.")
    if fixed < 0 or fixed >= 1:
        raise ValidationError(
            "Partie fixe", "La partie fixe « a » doit être comprise entre 0 et 1 (exclu)."
        )
    for w in weights:
        if w <= 0 or w > 1:
            raise ValidationError(
                "Pondération", "Chaque pondération « b » doit être comprise entre 0 et 1."
            )
    total = fixed + sum(weights, Decimal(0))
    if total != ONE:
        raise ValidationError(
            "Pondération",
            "La partie fixe et les pondérations doivent totaliser 1 (a + Σ b = {total}).",
            total=format(total.normalize(), "f").replace(".", ","),
        )


def check_options(formula: Formula) -> None:
    if not 0 <= formula.decimals <= 6:
        raise ValidationError(
            "Décimales du coefficient", "Le coefficient s'arrondit à 0 à 6 décimales."
        )
    if formula.rounding not in Rounding.ALL:
        raise ValidationError("Arrondi", "Mode d'arrondi inconnu : {mode}.", mode=formula.rounding)
    if formula.floor is not None and formula.cap is not None and formula.floor > formula.cap:
        raise ValidationError(
            "Plafond", "Le plafond du coefficient doit être supérieur ou égal au plancher."
        )
    for bound, label in ((formula.floor, "Plancher"), (formula.cap, "Plafond")):
        if bound is not None and bound <= 0:
            raise ValidationError(label, "Le coefficient « {field} » doit être positif.")


def round_fraction(value: Fraction, decimals: int, mode: str) -> Decimal:
    """Round an exact rational to ``decimals`` places (value > 0)."""
    scale = 10**decimals
    scaled = value * scale
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if mode == Rounding.DOWN:
        units = whole
    elif mode == Rounding.UP:
        units = whole + (1 if rest else 0)
    else:
        units = whole + (1 if 2 * rest >= scaled.denominator else 0)
    return Decimal(units).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals))


def term_values(term: Term) -> tuple[Decimal, Decimal]:
    """The term's current and reference values; a missing or non-positive one is refused."""
    if term.reference is None:
        raise ValidationError(
            term.index,
            "Valeur de l'indice « {index} » manquante pour {month} (indice de référence).",
            index=term.index,
            month=month_label(term.reference_month),
        )
    if term.current is None:
        raise ValidationError(
            term.index,
            "Valeur de l'indice « {index} » manquante pour {month}.",
            index=term.index,
            month=month_label(term.current_month),
        )
    if term.reference <= 0 or term.current <= 0:
        raise ValidationError(
            term.index,
            "La valeur de l'indice « {index} » doit être positive.",
            index=term.index,
        )
    return term.current, term.reference


def coefficient(formula: Formula) -> Outcome:
    """The revision coefficient of ``formula`` (raises ValidationError naming the problem)."""
    check_weights(formula.fixed, [t.weight for t in formula.terms])
    check_options(formula)
    values = [term_values(term) for term in formula.terms]
    raw = Fraction(formula.fixed)
    for term, (current, reference) in zip(formula.terms, values, strict=True):
        raw += Fraction(term.weight) * Fraction(current) / Fraction(reference)
    rounded = round_fraction(raw, formula.decimals, formula.rounding)
    applied, limited_by = rounded, ""
    if formula.floor is not None and applied < formula.floor:
        applied, limited_by = formula.floor, "floor"
    if formula.cap is not None and applied > formula.cap:
        applied, limited_by = formula.cap, "cap"
    if formula.no_decrease and applied < ONE:
        applied, limited_by = ONE, "no_decrease"
    unit = Decimal(1).scaleb(-max(formula.decimals, 0))
    return Outcome(raw, rounded, applied.quantize(unit), limited_by)


def revised_price(old_price: Decimal, coef: Decimal, *, price_decimals: int = 2) -> Decimal:
    """P = P0 × coefficient, rounded half-up to the price's decimals (cents by default)."""
    return quantize(old_price * coef, price_decimals)


LIMIT_LABELS = {
    "": "",
    "floor": "plancher appliqué",
    "cap": "plafond appliqué",
    "no_decrease": "pas de baisse",
}
