"""Receipt for a payment (reçu de règlement), from plain values. DejaVu fonts only."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.money import ZERO, format_amount


@dataclass(frozen=True)
class Issuer:
    """The firm as printed in the document header and footer."""

    name: str
    address_lines: tuple[str, ...] = ()
    legal_line: str = ""  # "SAS au capital de … — SIREN … — RCS …"
    iban: str = ""
    bic: str = ""
    bank_name: str = ""


@dataclass(frozen=True)
class ReceiptAllocation:
    invoice_number: str
    invoice_date: dt.date
    invoice_total: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ReceiptData:
    issuer: Issuer
    number: str
    date: dt.date
    client_name: str
    client_address: tuple[str, ...]
    client_code: str
    means: str  # label: "Chèque", "Virement"…
    amount: Decimal
    reference: str = ""
    cheque: str = ""  # "Chèque n° 1234567 — Crédit Agricole"
    allocations: Sequence[ReceiptAllocation] = field(default_factory=tuple)
    unallocated: Decimal = ZERO
    status_note: str = ""  # "Règlement rejeté le …" when the bank returned it
    place: str = ""


def simple_table(
    rows: list[list[object]],
    widths: list[float],
    header: bool = True,
    right: tuple[int, ...] = (),
) -> object:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    from reports.fonts import BOLD, REGULAR

    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
    ]
    style += [("ALIGN", (col, 0), (col, -1), "RIGHT") for col in right]
    if header:
        style += [
            ("FONTNAME", (0, 0), (-1, 0), BOLD),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
        ]
    table.setStyle(TableStyle(style))
    return table


def header_flowables(issuer: Issuer, title: str, subtitle: str) -> list[object]:
    from reportlab.platypus import Paragraph, Spacer

    from reports.fonts import styles

    st = styles()
    out: list[object] = [Paragraph(issuer.name, st["heading"])]
    out += [Paragraph(line, st["base"]) for line in issuer.address_lines]
    if issuer.legal_line:
        out.append(Paragraph(issuer.legal_line, st["small"]))
    out += [Spacer(1, 14), Paragraph(title, st["title"]), Paragraph(subtitle, st["base"])]
    out.append(Spacer(1, 10))
    return out


def client_flowables(heading: str, name: str, code: str, address: Sequence[str]) -> list[object]:
    """The client block under the header: heading, name with account code, address."""
    from reportlab.platypus import Paragraph, Spacer

    from reports.fonts import styles

    st = styles()
    out: list[object] = [Paragraph(heading, st["bold"])]
    out.append(Paragraph(f"{name} (compte {code})", st["base"]))
    out += [Paragraph(line, st["base"]) for line in address]
    return [*out, Spacer(1, 10)]


def build_doc(buffer: io.BytesIO, title: str, author: str) -> object:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    from reports.fonts import register_fonts

    register_fonts()
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=author,
        creator="Propreo",
    )


def render_receipt(data: ReceiptData) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    from reports.fonts import styles

    st = styles()
    buffer = io.BytesIO()
    doc = build_doc(buffer, f"Reçu {data.number}", data.issuer.name)
    story = header_flowables(
        data.issuer,
        f"Reçu de règlement n° {data.number}",
        f"Date du règlement : {data.date.strftime('%d/%m/%Y')}",
    )
    story += client_flowables("Reçu de :", data.client_name, data.client_code, data.client_address)
    rows: list[list[object]] = [
        ["Montant reçu", format_amount(data.amount)],
        ["Mode de règlement", data.means],
    ]
    if data.cheque:
        rows.append(["Chèque", data.cheque])
    if data.reference:
        rows.append(["Référence", data.reference])
    story.append(simple_table(rows, [50 * mm, 120 * mm], header=False))
    story.append(Spacer(1, 12))
    if data.allocations:
        story.append(Paragraph("Affectation du règlement", st["heading"]))
        detail: list[list[object]] = [["Facture", "Date", "Montant TTC", "Réglé par ce paiement"]]
        for a in data.allocations:
            detail.append(
                [
                    a.invoice_number,
                    a.invoice_date.strftime("%d/%m/%Y"),
                    format_amount(a.invoice_total),
                    format_amount(a.amount),
                ]
            )
        story.append(simple_table(detail, [45 * mm, 30 * mm, 45 * mm, 50 * mm], right=(2, 3)))
        story.append(Spacer(1, 8))
    if data.unallocated > ZERO:
        story.append(
            Paragraph(
                f"Solde non affecté, porté au crédit de votre compte : "
                f"{format_amount(data.unallocated)}",
                st["base"],
            )
        )
    if data.status_note:
        story.append(Paragraph(data.status_note, st["bold"]))
    story.append(Spacer(1, 16))
    place = f"Fait à {data.place}, le " if data.place else "Le "
    story.append(
        Paragraph(f"{place}{data.date.strftime('%d/%m/%Y')}, pour {data.issuer.name}.", st["base"])
    )
    story.append(
        Paragraph("Reçu délivré sous réserve d'encaissement effectif du règlement.", st["small"])
    )
    doc.build(story)  # type: ignore[attr-defined]
    return buffer.getvalue()
