"""Pure comparison of a month M with M-1: family totals and regularity anomalies.

Plain rows in, plain rows out (no session): :mod:`app.control.month` loads the rows.

Rules, one anomaly at most per contract, in this order:

- ``billed_after_end``: billed in M although the contract ended before M;
- ``not_billed``: in force during M with a monthly line, but nothing billed in M;
- ``stopped``: billed in M-1, not in M (contract ended, suspended...);
- ``new``: billed in M, not in M-1;
- ``unexplained_change``: the amount of the monthly lines changed with no amendment,
  revision, start/end, suspension or regularisation to explain it (e.g. a draft edited by
  hand, a price changed without an avenant);
- ``beyond_threshold``: an explained change of the monthly lines beyond the threshold (%).

Quarterly, seasonal or one-off lines vary by nature: they count in the totals and in
new/stopped, but not in the change rules. Free lines added by hand to a contract's invoice
do count (a draft corrected without an amendment is exactly what the control must show);
credit notes count in the totals only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from app.money import ZERO, quantize


class AnomalyKind:
    BILLED_AFTER_END = "billed_after_end"
    NOT_BILLED = "not_billed"
    STOPPED = "stopped"
    NEW = "new"
    UNEXPLAINED_CHANGE = "unexplained_change"
    BEYOND_THRESHOLD = "beyond_threshold"

    LABELS: ClassVar[dict[str, str]] = {
        BILLED_AFTER_END: "Contrat terminé mais facturé",
        NOT_BILLED: "Contrat actif non facturé",
        STOPPED: "Facturé en M-1, pas en M",
        NEW: "Nouveau ce mois",
        UNEXPLAINED_CHANGE: "Montant modifié sans avenant ni révision",
        BEYOND_THRESHOLD: "Variation au-delà du seuil",
    }


@dataclass(frozen=True)
class FamilyTotal:
    family: str
    current: Decimal
    previous: Decimal

    @property
    def delta(self) -> Decimal:
        return self.current - self.previous

    @property
    def percent(self) -> Decimal | None:
        return percent(self.current, self.previous)


@dataclass(frozen=True)
class ContractMonth:
    """What one contract billed in M and M-1 (HT, credit notes negative) and its context."""

    contract_id: int
    contract: str  # code
    client: str
    current: Decimal = ZERO
    previous: Decimal = ZERO
    # Part of the amounts coming from monthly lines billed normally (no prorata/regul).
    current_regular: Decimal = ZERO
    previous_regular: Decimal = ZERO
    in_force: bool = False  # in force during M with at least one monthly line
    ended_before: bool = False  # effective end before the first day of M
    explanations: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Anomaly:
    kind: str
    contract_id: int
    contract: str
    client: str
    current: Decimal
    previous: Decimal
    detail: str = ""

    @property
    def label(self) -> str:
        return AnomalyKind.LABELS[self.kind]


def percent(current: Decimal, previous: Decimal) -> Decimal | None:
    """Change in % with one decimal (half-up); None when there is nothing to compare with."""
    if previous == ZERO:
        return None
    return quantize((current - previous) * 100 / abs(previous), 1)


def family_totals(current: dict[str, Decimal], previous: dict[str, Decimal]) -> list[FamilyTotal]:
    """One row per family present in either month, sorted by family name."""
    return [
        FamilyTotal(name, current.get(name, ZERO), previous.get(name, ZERO))
        for name in sorted(current.keys() | previous.keys())
    ]


def _anomaly(row: ContractMonth, kind: str, detail: str = "") -> Anomaly:
    return Anomaly(
        kind, row.contract_id, row.contract, row.client, row.current, row.previous, detail
    )


def classify(row: ContractMonth, threshold: Decimal) -> Anomaly | None:
    why = ", ".join(row.explanations)
    if row.current != ZERO and row.ended_before:
        return _anomaly(row, AnomalyKind.BILLED_AFTER_END)
    if row.current == ZERO:
        if row.in_force:
            return _anomaly(row, AnomalyKind.NOT_BILLED, why)
        if row.previous != ZERO:
            return _anomaly(row, AnomalyKind.STOPPED, why)
        return None
    if row.previous == ZERO:
        return _anomaly(row, AnomalyKind.NEW, why)
    if row.current_regular == row.previous_regular:
        return None
    if not row.explanations:
        return _anomaly(row, AnomalyKind.UNEXPLAINED_CHANGE)
    change = percent(row.current_regular, row.previous_regular)
    if change is None or abs(change) > threshold:
        return _anomaly(row, AnomalyKind.BEYOND_THRESHOLD, why)
    return None


def anomalies(rows: Iterable[ContractMonth], threshold: Decimal) -> list[Anomaly]:
    """The anomalies of the month, sorted by kind order then contract code."""
    order = list(AnomalyKind.LABELS)
    found = [a for a in (classify(r, threshold) for r in rows) if a is not None]
    return sorted(found, key=lambda a: (order.index(a.kind), a.contract))
