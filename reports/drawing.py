"""Drawing on a ReportLab canvas without platypus: the A4 page's geometry, the palette, text
measured with the font's widths and wrapped to a width (very long words cut), the logo
decoded once, and :class:`Page`, the helpers that draw text, rules and bands at the
current position. :mod:`reports.invoice_layout` lays the invoice out with them.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Any

from reports.fonts import REGULAR
from reports.text import printable

MM = 72 / 25.4
PAGE_W, PAGE_H = 595.2755905511812, 841.8897637795277  # A4
MARGIN = 15 * MM
TOP = PAGE_H - 12 * MM
BOTTOM = 20 * MM
WIDTH = PAGE_W - 2 * MARGIN
PAD = 6.0  # horizontal padding of table cells (as platypus tables)

BLUE = "#335577"
HEADER_BG = "#E8EEF4"
RULE = "#CCCCCC"
LIGHT_RULE = "#DDDDDD"
GREY_TEXT = "#555555"
BOX = "#999999"


def text_width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, size)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` fitting ``width`` (explicit newlines kept, long words cut)."""
    from reportlab.lib.utils import simpleSplit

    lines: list[str] = []
    for part in printable(text).split("\n"):
        for line in simpleSplit(part, font, size, width) or [""]:
            if len(line) > 1 and text_width(line, font, size) > width:  # one very long word
                lines.extend(_cut(line, font, size, width))
            else:
                lines.append(line)
    return lines


@functools.lru_cache(maxsize=4096)
def _char_width(char: str, font: str, size: float) -> float:
    return text_width(char, font, size)


def _cut(word: str, font: str, size: float, width: float) -> list[str]:
    """``word`` cut into pieces fitting ``width``: one pass over its characters (a word of
    100,000 characters is cut in a few milliseconds, not re-measured at every cut)."""
    pieces: list[str] = []
    start, used = 0, 0.0
    for index, char in enumerate(word):
        char_w = _char_width(char, font, size)
        if used + char_w > width and index > start:
            pieces.append(word[start:index])
            start, used = index, 0.0
        used += char_w
    pieces.append(word[start:])
    return pieces


@functools.cache
def hex_color(hex_value: str) -> Any:
    from reportlab.lib import colors

    return colors.HexColor(hex_value)


@functools.lru_cache(maxsize=8)
def logo(digest: str, png: bytes) -> tuple[Any, float]:
    """The firm's logo decoded once per process (ImageReader, width / height ratio)."""
    from reportlab.lib.utils import ImageReader

    image = ImageReader(io.BytesIO(png))
    width, height = image.getSize()
    return image, width / max(height, 1)


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    right: bool = True


class Page:
    """Drawing helpers over one canvas, with the current vertical position ``y``."""

    def __init__(self, canvas: Any) -> None:
        self.c = canvas
        self.y = TOP

    def text(
        self,
        x: float,
        y: float,
        text: str,
        font: str = REGULAR,
        size: float = 8.5,
        color: str | None = None,
        right: bool = False,
    ) -> None:
        c = self.c
        c.setFont(font, size)
        if color:
            c.setFillColor(hex_color(color))
        (c.drawRightString if right else c.drawString)(x, y, text)
        if color:
            c.setFillColor(hex_color("#000000"))

    def rule(self, x1: float, x2: float, y: float, color: str, width: float) -> None:
        c = self.c
        c.setStrokeColor(hex_color(color))
        c.setLineWidth(width)
        c.line(x1, y, x2, y)

    def band(self, x: float, y: float, width: float, height: float, color: str) -> None:
        c = self.c
        c.setFillColor(hex_color(color))
        c.rect(x, y, width, height, stroke=0, fill=1)
        c.setFillColor(hex_color("#000000"))
