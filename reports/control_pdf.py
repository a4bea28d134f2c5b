"""Billing control report (month M vs M-1): PDF (DejaVu) and .xlsx with two sheets.

Plain values in: a :class:`ControlReport` with family rows and anomaly rows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.money import format_amount
from app.storage import write_file
from reports.text import escape

FAMILY_HEADERS = ("Famille", "Mois", "M-1", "Écart", "Écart %")
ANOMALY_HEADERS = ("Anomalie", "Contrat", "Client", "Mois", "M-1", "Détail")


@dataclass(frozen=True)
class FamilyLine:
    family: str
    current: Decimal
    previous: Decimal
    delta: Decimal
    percent: Decimal | None


@dataclass(frozen=True)
class AnomalyLine:
    label: str
    contract: str
    client: str
    current: Decimal
    previous: Decimal
    detail: str = ""


@dataclass(frozen=True)
class ControlReport:
    company: str
    period: str  # "septembre 2026"
    previous: str  # "août 2026"
    provisional: bool
    threshold: Decimal
    families: tuple[FamilyLine, ...]
    anomalies: tuple[AnomalyLine, ...]

    @property
    def total_current(self) -> Decimal:
        return sum((f.current for f in self.families), Decimal("0.00"))

    @property
    def total_previous(self) -> Decimal:
        return sum((f.previous for f in self.families), Decimal("0.00"))

    @property
    def title(self) -> str:
        state = " (provisoire)" if self.provisional else ""
        return f"Contrôle de la facturation — {self.period}{state}"


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:+}".replace(".", ",") + " %"


def render_control_pdf(report: ControlReport) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from reports.fonts import BOLD, REGULAR, register_fonts, styles

    register_fonts()
    st: dict[str, Any] = styles()
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=report.title,
        author=report.company,
        creator="Propreo",
        invariant=True,
        initialFontName=REGULAR,
    )
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("FONTNAME", (0, 0), (-1, 0), BOLD),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF4")),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    fam_rows: list[list[Any]] = [list(FAMILY_HEADERS)]
    for f in report.families:
        fam_rows.append(
            [
                f.family,
                format_amount(f.current),
                format_amount(f.previous),
                format_amount(f.delta),
                _pct(f.percent),
            ]
        )
    fam_rows.append(
        [
            "Total",
            format_amount(report.total_current),
            format_amount(report.total_previous),
            format_amount(report.total_current - report.total_previous),
            "",
        ]
    )
    families = Table(
        fam_rows, colWidths=[80 * mm, 35 * mm, 35 * mm, 35 * mm, 25 * mm], repeatRows=1
    )
    families.hAlign = "LEFT"
    families.setStyle(grid)
    families.setStyle(
        TableStyle([("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("FONTNAME", (0, -1), (-1, -1), BOLD)])
    )
    story: list[Any] = [
        Paragraph(escape(report.company), st["heading"]),
        Paragraph(escape(report.title), st["title"]),
        Paragraph(
            escape(
                f"Comparaison avec {report.previous} — montants HT, avoirs en négatif ; "
                f"seuil de variation : {report.threshold.normalize():f} %".replace(".", ",")
            ),
            st["small"],
        ),
        Spacer(1, 5 * mm),
        Paragraph("Totaux par famille d'articles", st["heading"]),
        Spacer(1, 2 * mm),
        families,
        Spacer(1, 6 * mm),
        Paragraph(f"Anomalies de régularité ({len(report.anomalies)})", st["heading"]),
        Spacer(1, 2 * mm),
    ]
    if report.anomalies:
        rows: list[list[Any]] = [list(ANOMALY_HEADERS)]
        for a in report.anomalies:
            rows.append(
                [
                    Paragraph(escape(a.label), st["cell"]),
                    a.contract,
                    Paragraph(escape(a.client), st["cell"]),
                    format_amount(a.current),
                    format_amount(a.previous),
                    Paragraph(escape(a.detail), st["cell_small"]),
                ]
            )
        table = Table(
            rows, colWidths=[55 * mm, 22 * mm, 60 * mm, 28 * mm, 28 * mm, 80 * mm], repeatRows=1
        )
        table.setStyle(grid)
        table.setStyle(TableStyle([("ALIGN", (3, 0), (4, -1), "RIGHT")]))
        story.append(table)
    else:
        story.append(Paragraph("Aucune anomalie.", st["base"]))
    doc.build(story)
    return buffer.getvalue()


def write_control_xlsx(path: str | Path, report: ControlReport) -> Path:
    """Two sheets: families (with the total) and anomalies; text cells formula-safe."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from reports.xlsx import safe_cell

    wb = Workbook()
    sheets: list[tuple[str, tuple[str, ...], Sequence[Sequence[object]]]] = [
        (
            "Familles",
            FAMILY_HEADERS,
            [[f.family, f.current, f.previous, f.delta, f.percent] for f in report.families]
            + [
                [
                    "Total",
                    report.total_current,
                    report.total_previous,
                    report.total_current - report.total_previous,
                    None,
                ]
            ],
        ),
        (
            "Anomalies",
            ANOMALY_HEADERS,
            [
                [a.label, a.contract, a.client, a.current, a.previous, a.detail]
                for a in report.anomalies
            ],
        ),
    ]
    for i, (title, headers, rows) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = title
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00"
        for col, header in enumerate(headers, start=1):
            ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width = max(
                14, len(header) + 2
            )
    # Built in memory, then written whole or not at all (a refused write said in French;
    # a workbook saved straight to a full disk leaves a half zip behind).
    data = io.BytesIO()
    wb.save(data)
    return write_file(path, data.getvalue())
