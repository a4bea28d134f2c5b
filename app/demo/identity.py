"""Valid-looking French identifiers for demo data (Luhn-correct SIREN/SIRET, VAT keys)."""

from __future__ import annotations

from stdnum import luhn


def make_siren(base8: str) -> str:
    return base8 + luhn.calc_check_digit(base8)


def make_siret(siren: str, nic4: int = 1) -> str:
    for n in range(nic4, nic4 + 100):
        partial = f"{siren}{n:04d}"
        candidate = partial + luhn.calc_check_digit(partial)
        if luhn.is_valid(candidate):
            return candidate
    raise ValueError(siren)


def fr_vat(siren: str) -> str:
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"
