"""Sales journal CSV for the accountant: one row per document and VAT rate; a credit note
names the invoice it corrects; a final invoice has one more row per down-payment it
deducts (negative HT and VAT), so that the columns sum to what the FEC books."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from app.money import round_money
from reports.xlsx import FORMULA_PREFIXES

HEADER = (
    "Date",
    "Numéro",
    "Type",
    "Code client",
    "Client",
    "Compte client",
    "Taux TVA",
    "Base HT",
    "TVA",
    "Total TTC",
    "Échéance",
    "Facture d'origine",
)


@dataclass(frozen=True)
class SalesRow:
    date: dt.date
    number: str
    kind: str
    client_code: str
    client_name: str
    client_account: str
    vat_rate: Decimal
    base: Decimal  # negative for credit notes
    vat: Decimal
    due_date: dt.date | None
    origin: str = ""  # credit note: the invoice it corrects; deduction: the down-payment


def _num(value: Decimal) -> str:
    return f"{round_money(value):f}".replace(".", ",")


def _safe(text: str) -> str:
    """Formula-safe cell: text a spreadsheet would evaluate is quoted (same rule as .xlsx).
    Every text cell goes through it; numbers and dates are written by this module."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


@dataclass(frozen=True)
class ClosingMark:
    """A signed monthly closing of the journal's period (app.closings): its fingerprint is
    what the accountant keeps, to compare with the firm's file later."""

    period: str  # AAAA-MM
    last_day: dt.date
    count: int  # documents in the chain at the closing
    fingerprint: str


def sales_journal_csv(rows: list[SalesRow], closings: tuple[ClosingMark, ...] = ()) -> bytes:
    """UTF-8 with BOM, semicolon separated: opens directly in a French spreadsheet. Each
    closed month of the period adds a final row carrying the closing's fingerprint."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in sorted(rows, key=lambda r: (r.date, r.number)):
        writer.writerow(
            [
                f"{r.date:%d/%m/%Y}",
                _safe(r.number),
                _safe(r.kind),
                _safe(r.client_code),
                _safe(r.client_name),
                _safe(r.client_account),
                _num(r.vat_rate).rstrip("0").rstrip(","),
                _num(r.base),
                _num(r.vat),
                _num(r.base + r.vat),
                f"{r.due_date:%d/%m/%Y}" if r.due_date else "",
                _safe(r.origin),
            ]
        )
    for c in closings:
        writer.writerow(
            [
                f"{c.last_day:%d/%m/%Y}",
                c.period,
                "Clôture mensuelle",
                "",
                f"Empreinte {c.fingerprint} ({c.count} document(s) dans la chaîne)",
                *[""] * (len(HEADER) - 5),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
