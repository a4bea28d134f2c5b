"""DejaVu fonts for every PDF: registered once, always embedded (PDF/A forbids the
standard 14 fonts such as Helvetica, which are never embedded)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

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
        font = TTFont(name, str(FONT_DIR / f"{name}.ttf"))
        font.face.__class__ = _subset_caching_face(type(font.face))
        pdfmetrics.registerFont(font)
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, ITALIC)
    addMapping(REGULAR, 1, 1, BOLD)
    # ReportLab's C accelerator (rl-accel), imported by name so that PyInstaller bundles
    # it: ReportLab only imports it dynamically (without it: pure Python, slower).
    with contextlib.suppress(ImportError):
        import _rl_accel  # noqa: F401
    from reportlab import rl_config

    # Default font of canvases and table cells: DejaVu instead of the unembedded Helvetica.
    rl_config.canvas_basefontname = REGULAR
    # A module imported before this call read the default then (Helvetica): a table cell or
    # a paragraph style without a font of its own would keep it for the whole process.
    tables = sys.modules.get("reportlab.platypus.tables")
    if tables is not None:
        tables.CellStyle.fontname = REGULAR
    rl_styles = sys.modules.get("reportlab.lib.styles")
    if rl_styles is not None:
        rl_styles.ParagraphStyle.defaults["fontName"] = REGULAR
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


# --- font subsets made once per process --------------------------------------------------
#
# ReportLab embeds, in every PDF, a subset of each TrueType font used: the glyphs of the
# characters drawn, in the order they first appear (printable ASCII always at its own
# codes). Cutting that subset out of DejaVu and deflating it costs ≈ 2.5 ms a document,
# as much as drawing the page. :func:`seed_fonts` gives a document the usual French
# alphabet first, so that the subset of nearly every invoice is the same list of glyphs,
# and :func:`_subset_caching_face` keeps the deflated subset of each list once per
# process (≈ 3 kB more per PDF than a subset of the characters actually drawn). A
# character outside the alphabet simply gives another list, built and cached the same way.

# After printable ASCII: French letters, the narrow no-break space of amounts (1 234,56),
# typographic punctuation, € and the signs of units.
ALPHABET = "\u202fàâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ€–—’‘“”«»°²³×…·•"
_SUBSETS: dict[tuple[str, tuple[int, ...]], tuple[bytes, int]] = {}
_SUBSET_CACHE_SIZE = 64


def seed_fonts(canvas: Any, names: tuple[str, ...] = (REGULAR, BOLD)) -> None:
    """Assign the alphabet's characters first in this canvas's fonts (see above)."""
    from reportlab.pdfbase import pdfmetrics

    document = canvas._doc
    for name in names:
        pdfmetrics.getFont(name).splitString(ALPHABET, document)


def _subset_caching_face(base: type) -> type:
    """The font face class, with the deflated subsets kept once per process."""
    from reportlab.pdfbase import pdfdoc

    class SubsetCachingFace(base):
        def _cached_subset(self, subset: list[int]) -> tuple[bytes, int]:
            """(deflated subset font, its length before deflating), made once."""
            import zlib

            key = (self.filename, tuple(subset))
            cached = _SUBSETS.get(key)
            if cached is None:
                raw = self.makeSubset(subset)
                if len(_SUBSETS) >= _SUBSET_CACHE_SIZE:
                    _SUBSETS.pop(next(iter(_SUBSETS)))
                cached = _SUBSETS[key] = (zlib.compress(raw), len(raw))
            return cached

        def addSubsetObjects(self, doc: Any, fontname: str, subset: list[int]) -> Any:
            if not getattr(doc, "compression", 0):
                return super().addSubsetObjects(doc, fontname, subset)
            compressed, length = self._cached_subset(subset)
            stream = pdfdoc.PDFStream(
                pdfdoc.PDFDictionary({"Length1": length, "Filter": pdfdoc.PDFName("FlateDecode")}),
                compressed,
                filters=None,
            )
            return self._descriptor(doc, fontname, stream)

        def _descriptor(self, doc: Any, fontname: str, stream: Any) -> Any:
            from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC

            ref = doc.Reference(stream, f"fontFile:{self.filename}({fontname})")
            flags = (self.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
            descriptor = pdfdoc.PDFDictionary(
                {
                    "Type": "/FontDescriptor",
                    "Ascent": self.ascent,
                    "CapHeight": self.capHeight,
                    "Descent": self.descent,
                    "Flags": flags,
                    "FontBBox": pdfdoc.PDFArray(self.bbox),
                    "FontName": pdfdoc.PDFName(fontname),
                    "ItalicAngle": self.italicAngle,
                    "StemV": self.stemV,
                    "FontFile2": ref,
                    "MissingWidth": self.defaultWidth,
                }
            )
            return doc.Reference(descriptor, "fontDescriptor:" + fontname)

    return SubsetCachingFace
