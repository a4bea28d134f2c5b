"""Invoice totals: VAT per rate on the sum of line totals of that rate (EN 16931 BR-CO-17).

Pure functions reused by issuing, the PDF and the Factur-X XML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from app.money import ZERO, round_money, vat_amount


class TaxedLine(Protocol):
    """What the totals read of a line (read-only: frozen records and ORM rows both fit)."""

    @property
    def total_ht(self) -> Decimal: ...

    @property
    def vat_rate(self) -> Decimal: ...

    @property
    def vat_category(self) -> str: ...


@dataclass(frozen=True)
class VatTotal:
    category: str
    rate: Decimal
    base: Decimal
    vat: Decimal
    exemption: str = ""
    exemption_code: str = ""


@dataclass(frozen=True)
class Totals:
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    vat: tuple[VatTotal, ...]


def vat_breakdown(lines: Iterable[TaxedLine]) -> list[VatTotal]:
    """One entry per (category, rate), in rate order, VAT computed once per group."""
    groups: dict[tuple[str, Decimal], list[TaxedLine]] = {}
    for line in lines:
        key = (line.vat_category or "S", Decimal(line.vat_rate).normalize() + 0)
        groups.setdefault(key, []).append(line)
    result = []
    for (category, rate), members in sorted(groups.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        base = round_money(sum((m.total_ht for m in members), ZERO))
        vat = vat_amount(base, rate) if category in ("S", "") else ZERO
        first = members[0]
        result.append(
            VatTotal(
                category=category,
                rate=rate,
                base=base,
                vat=vat,
                exemption=getattr(first, "vat_exemption", "") or "",
                exemption_code=getattr(first, "vat_exemption_code", "") or "",
            )
        )
    return result


def compute_totals(lines: Iterable[TaxedLine]) -> Totals:
    lines = list(lines)
    breakdown = vat_breakdown(lines)
    total_ht = round_money(sum((v.base for v in breakdown), ZERO))
    total_vat = round_money(sum((v.vat for v in breakdown), ZERO))
    return Totals(total_ht, total_vat, total_ht + total_vat, tuple(breakdown))
