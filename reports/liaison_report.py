"""PDF report of the liaison book (tableau de compte rendu), from plain values.

Every glyph is DejaVu Sans embedded from ``resources/fonts``; the canvas' initial font is
DejaVu too, so that no standard (non-embedded) Helvetica ever enters the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.i18n import _

FONT_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


@dataclass
class Section:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]


@dataclass
class LiaisonReport:
    firm: str
    title: str
    period: str
    filters: str = ""
    summary: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


def _register() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    registered = pdfmetrics.getRegisteredFontNames()
    for name in (REGULAR, BOLD):
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))


def build_report(report: LiaisonReport, path: str | Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register()
    base = ParagraphStyle("liaison", fontName=REGULAR, fontSize=9, leading=11.5)
    title = ParagraphStyle("liaison-title", parent=base, fontName=BOLD, fontSize=14, leading=18)
    heading = ParagraphStyle("liaison-h", parent=base, fontName=BOLD, fontSize=10.5, leading=14)
    out = Path(path)
    doc = SimpleDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=report.title,
        author=report.firm,
        initialFontName=REGULAR,
        initialFontSize=9,
    )

    def esc(value: object) -> str:
        from reports.text import escape

        return escape(str(value))

    story: list[object] = [
        Paragraph(esc(report.firm), base),
        Paragraph(esc(report.title), title),
        Paragraph(esc(_("Période : {period}").format(period=report.period)), base),
    ]
    if report.filters:
        story.append(Paragraph(esc(_("Filtres : {f}").format(f=report.filters)), base))
    story.append(Spacer(1, 4 * mm))
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), REGULAR, 8.5),
            ("FONT", (0, 0), (-1, 0), BOLD, 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa7b4")),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
    )
    if report.summary:
        summary = Table(
            [[esc(k), esc(v)] for k, v in report.summary],
            colWidths=[60 * mm, 40 * mm],
            hAlign="LEFT",
        )
        summary.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), REGULAR, 9),
                    ("FONT", (1, 0), (1, -1), BOLD, 9),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c9d1da")),
                ]
            )
        )
        story += [summary, Spacer(1, 5 * mm)]
    for section in report.sections:
        story.append(Paragraph(esc(section.title), heading))
        if not section.rows:
            story += [Paragraph(esc(_("Aucune fiche.")), base), Spacer(1, 4 * mm)]
            continue
        data = [list(section.headers)] + [[str(v) for v in row] for row in section.rows]
        table = Table(data, repeatRows=1, hAlign="LEFT")
        table.setStyle(grid)
        story += [table, Spacer(1, 5 * mm)]

    def footer(canvas, _doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(REGULAR, 7.5)
        canvas.drawRightString(
            A4[0] - 18 * mm, 10 * mm, _("Page {n}").format(n=canvas.getPageNumber())
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out
