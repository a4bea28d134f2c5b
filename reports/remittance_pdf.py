"""Cheque remittance slip (bordereau de remise de chèques), from plain values.

Holder and account of the firm, remittance date and reference, number of cheques,
total, and the detail per cheque (drawer, bank, number, amount). DejaVu fonts only.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.money import ZERO, format_amount
from reports.receipt_pdf import Issuer, build_doc, header_flowables, simple_table


@dataclass(frozen=True)
class RemittedCheque:
    drawer: str
    bank: str
    number: str
    amount: Decimal
    payment_number: str = ""


@dataclass(frozen=True)
class RemittanceData:
    issuer: Issuer
    reference: str
    date: dt.date
    cheques: Sequence[RemittedCheque]

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.cheques), ZERO)


def render_remittance(data: RemittanceData) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    from reports.fonts import styles

    st = styles()
    buffer = io.BytesIO()
    doc = build_doc(buffer, f"Remise de chèques {data.reference}", data.issuer.name)
    story = header_flowables(
        data.issuer,
        "Bordereau de remise de chèques",
        f"Remise n° {data.reference} du {data.date.strftime('%d/%m/%Y')}",
    )
    count = len(data.cheques)
    summary: list[list[object]] = [
        ["Titulaire du compte", data.issuer.name],
        ["Banque", data.issuer.bank_name],
        ["IBAN", data.issuer.iban],
        ["BIC", data.issuer.bic],
        ["Nombre de chèques", str(count)],
        ["Montant total", format_amount(data.total)],
    ]
    story.append(simple_table(summary, [50 * mm, 120 * mm], header=False))
    story.append(Spacer(1, 12))
    story.append(Paragraph("Détail des chèques remis", st["heading"]))
    rows: list[list[object]] = [["N°", "Tireur", "Banque", "N° de chèque", "Montant"]]
    for i, c in enumerate(data.cheques, start=1):
        rows.append([str(i), c.drawer, c.bank, c.number, format_amount(c.amount)])
    rows.append(["", "", "", "Total", format_amount(data.total)])
    story.append(simple_table(rows, [10 * mm, 62 * mm, 40 * mm, 30 * mm, 28 * mm], right=(4,)))
    story.append(Spacer(1, 24))
    story.append(Paragraph("Signature du remettant :", st["base"]))
    doc.build(story)  # type: ignore[attr-defined]
    return buffer.getvalue()
