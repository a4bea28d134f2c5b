"""DejaVu fonts for every PDF: registered once, always embedded (PDF/A forbids the
standard 14 fonts such as Helvetica, which are never embedded)."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
ITALIC = "DejaVuSans-Oblique"

_registered = False


def register_fonts() -> str:
    """Register DejaVu Sans (regular, bold, oblique) with ReportLab; returns the regular name."""
    global _registered
    if _registered:
        return REGULAR
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name in (REGULAR, BOLD, ITALIC):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, ITALIC)
    addMapping(REGULAR, 1, 1, BOLD)
    from reportlab import rl_config

    # Default font of canvases and table cells: DejaVu instead of the unembedded Helvetica.
    rl_config.canvas_basefontname = REGULAR
    _registered = True
    return REGULAR


def styles() -> dict[str, object]:
    """Paragraph styles of the documents, all in DejaVu."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    register_fonts()
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=8.5, leading=10.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.5),
        "tiny": ParagraphStyle("tiny", parent=base, fontSize=6.5, leading=8, textColor=colors.grey),
        "bold": ParagraphStyle("bold", parent=base, fontName=BOLD),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "right_bold": ParagraphStyle("right_bold", parent=base, fontName=BOLD, alignment=TA_RIGHT),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=15, leading=18),
        "heading": ParagraphStyle("heading", parent=base, fontName=BOLD, fontSize=10, leading=13),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=9.5),
        "cell_small": ParagraphStyle(
            "cell_small", parent=base, fontSize=6.8, leading=8, textColor=colors.HexColor("#555555")
        ),
    }
