"""Relevé de compte (statement) PDF: invoices, credit notes, payments and balance over a
period, for one client or for a syndic across its copropriétés (one section each)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.money import ZERO, format_amount
from reports.common import PAGE_MARGIN_MM, fmt_date, legal_identity, numbered_canvas
from reports.fonts import BOLD, register_fonts, styles
from reports.invoice_model import Party
from reports.text import escape


@dataclass(frozen=True)
class StatementLine:
    date: dt.date
    kind: str  # Facture, Avoir, Règlement…
    reference: str
    label: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    due_date: dt.date | None = None


@dataclass(frozen=True)
class StatementSection:
    title: str  # client name (one per copropriété for a syndic)
    opening: Decimal
    lines: tuple[StatementLine, ...]

    @property
    def closing(self) -> Decimal:
        return self.opening + sum((l.debit - l.credit for l in self.lines), ZERO)  # noqa: E741


@dataclass(frozen=True)
class Statement:
    seller: Party
    recipient_lines: tuple[str, ...]
    start: dt.date
    end: dt.date
    sections: tuple[StatementSection, ...]
    issued_on: dt.date
    logo_png: bytes | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def balance(self) -> Decimal:
        return sum((s.closing for s in self.sections), ZERO)


def _section_table(section: StatementSection, st: dict[str, Any], width: float) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    mm = 2.8346
    head = ["Date", "Pièce", "Libellé", "Échéance", "Débit", "Crédit", "Solde"]
    data: list[list[Any]] = [[Paragraph(h, st["bold"]) for h in head]]
    balance = section.opening
    data.append(
        [
            Paragraph("Solde au début de la période", st["cell"]),
            "",
            "",
            "",
            "",
            "",
            Paragraph(format_amount(balance), st["right"]),
        ]
    )
    for line in section.lines:
        balance += line.debit - line.credit
        data.append(
            [
                Paragraph(fmt_date(line.date), st["cell"]),
                Paragraph(escape(line.reference), st["cell"]),
                Paragraph(
                    escape(f"{line.kind} – {line.label}" if line.label else line.kind), st["cell"]
                ),
                Paragraph(fmt_date(line.due_date), st["cell"]),
                Paragraph(format_amount(line.debit) if line.debit else "", st["right"]),
                Paragraph(format_amount(line.credit) if line.credit else "", st["right"]),
                Paragraph(format_amount(balance), st["right"]),
            ]
        )
    data.append(
        [
            Paragraph("Solde à la fin de la période", st["bold"]),
            "",
            "",
            "",
            "",
            "",
            Paragraph(format_amount(balance), st["right_bold"]),
        ]
    )
    fixed = [21, 26, 21, 23, 23, 25]
    widths = [fixed[0] * mm, fixed[1] * mm, width - sum(fixed) * mm] + [f * mm for f in fixed[2:]]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF4")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#335577")),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.HexColor("#CCCCCC")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F3F5F8")),
                ("SPAN", (0, 1), (5, 1)),
                ("SPAN", (0, -1), (5, -1)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def render_statement_pdf(statement: Statement) -> bytes:
    register_fonts()
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from reports.pdfa import make_pdfa

    st = styles()
    width = A4[0] - 2 * PAGE_MARGIN_MM * mm
    buffer = io.BytesIO()
    title = f"Relevé de compte du {fmt_date(statement.start)} au {fmt_date(statement.end)}"
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=PAGE_MARGIN_MM * mm,
        rightMargin=PAGE_MARGIN_MM * mm,
        topMargin=12 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=statement.seller.name,
        creator="Propreo",
        invariant=True,
        initialFontName="DejaVuSans",
    )
    s = statement.seller
    seller = "<br/>".join(
        [f"<font name='{BOLD}' size='11'>{escape(s.name)}</font>"]
        + [escape(x) for x in s.address.lines()]
        + [escape(" – ".join(x for x in (s.phone, s.email) if x))]
    )
    recipient = "<br/>".join(
        [f"<font name='{BOLD}'>{escape(statement.recipient_lines[0])}</font>"]
        + [escape(x) for x in statement.recipient_lines[1:]]
    )
    head = Table(
        [[Paragraph(seller, st["base"]), Paragraph(recipient, st["heading"])]],
        colWidths=[width - 90 * mm, 90 * mm],
    )
    head.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    story: list[Any] = [
        head,
        Spacer(1, 8 * mm),
        Paragraph(escape(title.upper()), st["title"]),
        Paragraph(f"Établi le {fmt_date(statement.issued_on)}", st["small"]),
        Spacer(1, 5 * mm),
    ]
    for section in statement.sections:
        if len(statement.sections) > 1 or section.title != statement.recipient_lines[0]:
            story += [Paragraph(escape(section.title), st["heading"]), Spacer(1, 1.5 * mm)]
        story += [_section_table(section, st, width), Spacer(1, 5 * mm)]
    label = "Solde dû" if statement.balance >= 0 else "Solde en votre faveur"
    story.append(
        Paragraph(
            f"{label} au {fmt_date(statement.end)} : {format_amount(abs(statement.balance))}",
            st["heading"],
        )
    )
    for note in statement.notes:
        story.append(Paragraph(escape(note), st["small"]))
    template.build(story, canvasmaker=numbered_canvas(legal_identity(s), "Relevé de compte"))
    return make_pdfa(buffer.getvalue(), title=title, author=s.name)
