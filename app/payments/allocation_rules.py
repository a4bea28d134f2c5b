"""Allocation (lettrage) of a payment to open invoices — pure functions over plain values.

The suggestion settles the oldest invoices first (due date, then issue date, then number),
the last one possibly partially. What is left of the payment is *explicit*: either
unallocated credit kept on the client's account (an overpayment, or money received before
the invoice), or — only when the user accepts a tolerance — a rounding difference written
off on an invoice left a few cents short (account 658) or a few cents over (758).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.errors import ValidationError
from app.money import ZERO, format_amount, round_money
from app.receivables import OpenItem

ALLOCATION_FIELD = "Montant imputé"
# The largest payment difference written off as a rounding gap (658 short, 758 over):
# beyond it, a short payment leaves the invoice open (a reminder, or a credit note).
WRITEOFF_LIMIT = Decimal("0.05")


@dataclass(frozen=True)
class AllocationLine:
    invoice_id: int
    amount: Decimal
    # Short payment accepted as a rounding difference: settles the invoice without money.
    writeoff: Decimal = ZERO


@dataclass(frozen=True)
class AllocationPlan:
    lines: tuple[AllocationLine, ...]
    # Part of the payment left on the account as credit (overpayment or advance).
    unallocated: Decimal
    # Overpayment within tolerance taken as a gain instead of being kept as credit (758).
    excess_writeoff: Decimal = ZERO

    @property
    def allocated(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def shortfall_writeoff(self) -> Decimal:
        return sum((line.writeoff for line in self.lines), ZERO)


def oldest_first(items: Sequence[OpenItem]) -> list[OpenItem]:
    return sorted(items, key=lambda i: (i.due_date, i.issue_date, i.number, i.invoice_id))


def suggest_allocation(
    amount: Decimal, items: Sequence[OpenItem], *, tolerance: Decimal = ZERO
) -> AllocationPlan:
    """Spread ``amount`` over ``items`` oldest first.

    ``tolerance`` (≥ 0, a few cents) is the largest difference the user accepts to write off:
    an invoice left open by at most ``tolerance`` after the payment is settled with a
    write-off, and a remainder of at most ``tolerance`` once every invoice is settled is
    taken as a gain rather than kept as credit. With the default 0, nothing is written off.
    """
    amount = round_money(amount)
    tolerance = round_money(tolerance)
    if amount <= ZERO:
        raise ValidationError("Montant", "Le montant du règlement doit être positif.")
    if tolerance < ZERO:
        raise ValidationError("Tolérance", "La tolérance d'écart ne peut être négative.")
    if tolerance > WRITEOFF_LIMIT:
        raise ValidationError(
            "Tolérance",
            "Un écart de règlement passé en perte est limité à {limit} ({tolerance} demandés).",
            limit=format_amount(WRITEOFF_LIMIT),
            tolerance=format_amount(tolerance),
        )
    remaining = amount
    lines: list[AllocationLine] = []
    for item in oldest_first(items):
        if remaining <= ZERO:
            break
        if item.open_amount <= ZERO:
            continue
        part = min(remaining, item.open_amount)
        gap = item.open_amount - part
        writeoff = gap if ZERO < gap <= tolerance else ZERO
        lines.append(AllocationLine(item.invoice_id, part, writeoff))
        remaining -= part
    excess = remaining if ZERO < remaining <= tolerance and lines else ZERO
    return AllocationPlan(tuple(lines), remaining - excess, excess)


def check_allocation(
    amount: Decimal,
    already_allocated: Decimal,
    items: Sequence[OpenItem],
    lines: Sequence[AllocationLine],
) -> Decimal:
    """Validate a manual allocation grid; return the credit left unallocated.

    Refuses a negative amount, more than an invoice's open amount, an invoice that is
    not open, and more than what is left of the payment.
    """
    by_id = {i.invoice_id: i for i in items}
    total = ZERO
    seen: set[int] = set()
    for line in lines:
        item = by_id.get(line.invoice_id)
        if item is None or line.invoice_id in seen:
            raise ValidationError(
                ALLOCATION_FIELD, "La facture choisie n'est pas ouverte pour ce client."
            )
        seen.add(line.invoice_id)
        if line.amount < ZERO or line.writeoff < ZERO:
            raise ValidationError(
                ALLOCATION_FIELD,
                "Un montant imputé ne peut être négatif ({number}).",
                number=item.number,
            )
        if round_money(line.amount) != line.amount or round_money(line.writeoff) != line.writeoff:
            raise ValidationError(
                ALLOCATION_FIELD,
                "Un montant imputé s'exprime au centime ({number}).",
                number=item.number,
            )
        if line.writeoff > WRITEOFF_LIMIT:
            raise ValidationError(
                ALLOCATION_FIELD,
                "Écart de règlement de {writeoff} sur {number} : au plus {limit} peuvent être "
                "passés en perte ; le reste de la facture demeure dû (relance ou avoir).",
                writeoff=format_amount(line.writeoff),
                number=item.number,
                limit=format_amount(WRITEOFF_LIMIT),
            )
        if line.amount + line.writeoff > item.open_amount:
            raise ValidationError(
                ALLOCATION_FIELD,
                "Le montant imputé sur {number} dépasse son solde ({open}).",
                number=item.number,
                open=item.open_amount,
            )
        total += line.amount
    left = amount - already_allocated - total
    if left < ZERO:
        raise ValidationError(
            ALLOCATION_FIELD,
            "Les imputations ({total}) dépassent le montant disponible du règlement ({available}).",
            total=total,
            available=amount - already_allocated,
        )
    return left
