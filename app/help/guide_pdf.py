"""Render the French user guide (docs/guide/*.md) to the PDF shipped with the app.

A small Markdown subset is understood — ``#``/``##``/``###`` headings with an optional ``{#anchor}``,
paragraphs, ``-`` and ``1.`` lists, ``![légende](images/x.png)`` images, ``**gras**`` and
```code``` — which is all the guide uses. Fonts are the embedded DejaVu family (never Helvetica).
Besides the PDF, chapters.json maps every anchor to its page so F1 opens the right page.

    python -m app.help.guide_pdf [--src docs/guide] [--out resources/guide]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import StorageError
from app.storage import written
from reports.fonts import register_fonts
from reports.text import escape

# Before platypus is imported: its table cells take the default font at import time.
register_fonts()

from reportlab import rl_config  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    BaseDocTemplate,
    Frame,
    Image,
    ListFlowable,
    ListItem,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
SRC = ROOT / "docs" / "guide"
OUT = ROOT / "resources" / "guide"
PDF_NAME = "propreo-guide.pdf"
MAX_IMAGE_WIDTH = 16 * cm
MAX_IMAGE_HEIGHT = 11 * cm

HEADING = re.compile(r"^(#{1,3})\s+(.*?)\s*(?:\{#([a-z0-9-]+)\})?\s*$")
IMAGE = re.compile(r"^!\[(.*?)\]\((.*?)\)\s*$")
BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
NUMBERED = re.compile(r"^\s*\d+\.\s+(.*)$")


class GuideError(Exception):
    """The guide source is inconsistent (missing image, duplicate anchor…)."""


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName="DejaVuSans", fontSize=10, leading=14, spaceAfter=6)
    return {
        "body": base,
        "h1": ParagraphStyle(
            "h1", parent=base, fontName="DejaVuSans-Bold", fontSize=18, leading=22, spaceAfter=12
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName="DejaVuSans-Bold",
            fontSize=13,
            leading=17,
            spaceBefore=10,
            spaceAfter=6,
        ),
        "h3": ParagraphStyle(
            "h3", parent=base, fontName="DejaVuSans-Bold", fontSize=11, leading=15, spaceBefore=6
        ),
        "caption": ParagraphStyle(
            "caption", parent=base, fontName="DejaVuSans-Oblique", fontSize=8, alignment=1
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName="DejaVuSans-Bold", fontSize=26, leading=32, alignment=1
        ),
        "toc1": ParagraphStyle("toc1", parent=base, fontName="DejaVuSans-Bold", leftIndent=0),
        "toc2": ParagraphStyle("toc2", parent=base, fontSize=9, leftIndent=14, spaceAfter=2),
    }


def inline(text: str) -> str:
    """Markdown inline marks → ReportLab paragraph markup (text escaped first)."""
    out = escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"`(.+?)`", r'<font face="DejaVuSans-Bold" color="#1f4e79">\1</font>', out)
    out = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"<i>\1</i>", out)
    return out


@dataclass
class Heading:
    level: int
    text: str
    anchor: str


@dataclass
class Guide:
    """The parsed guide: flowables plus every heading (in order) for the checks and the index."""

    flowables: list[Any] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)


def chapter_files(src: Path = SRC) -> list[Path]:
    """The chapters in reading order: index.md first, then the numbered files."""
    files = sorted(p for p in src.glob("*.md") if p.name not in {"index.md", "README.md"})
    return [src / "index.md", *files]


def _slug(text: str) -> str:
    table = str.maketrans("àâäéèêëîïôöùûüç", "aaaeeeeiioouuuc")
    return re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")


def parse(src: Path = SRC) -> Guide:
    """Parse every chapter; raise GuideError on a missing image or a duplicate anchor."""
    register_fonts()
    styles = _styles()
    guide = Guide()
    seen: set[str] = set()
    for number, path in enumerate(chapter_files(src)):
        if number:
            guide.flowables.append(PageBreak())
        paragraph: list[str] = []
        items: list[tuple[str, list[str]]] = []  # (text, indented sub-items)
        ordered = False

        def flush(ordered: bool = False) -> None:
            nonlocal paragraph, items
            if paragraph:
                guide.flowables.append(Paragraph(inline(" ".join(paragraph)), styles["body"]))
                paragraph = []
            if items:
                guide.flowables.append(
                    _list(
                        [
                            ListItem(
                                [Paragraph(inline(text), styles["body"])]
                                + ([_list(sub, styles, False)] if sub else [])
                            )
                            for text, sub in items
                        ],
                        styles,
                        ordered,
                    )
                )
                items = []

        for line in path.read_text("utf-8").splitlines():
            if line.startswith("<!--"):
                continue
            if not line.strip():
                flush(ordered)
                continue
            if m := HEADING.match(line):
                flush(ordered)
                level, text = len(m.group(1)), m.group(2)
                anchor = m.group(3) or _slug(text)
                if anchor in seen:
                    raise GuideError(f"Ancre en double dans le guide : {anchor} ({path.name})")
                seen.add(anchor)
                guide.headings.append(Heading(level, text, anchor))
                para = Paragraph(f'<a name="{anchor}"/>{inline(text)}', styles[f"h{level}"])
                para._guide_heading = (level, text, anchor)
                guide.flowables.append(para)
            elif m := IMAGE.match(line):
                flush(ordered)
                image_path = (path.parent / m.group(2)).resolve()
                if not image_path.exists():
                    raise GuideError(f"Image manquante dans {path.name} : {m.group(2)}")
                guide.images.append(image_path)
                guide.flowables.append(_image(image_path))
                if m.group(1):
                    guide.flowables.append(Paragraph(inline(m.group(1)), styles["caption"]))
            elif items and ordered and line.startswith("  ") and (m := BULLET.match(line)):
                items[-1][1].append(m.group(1))  # a bullet nested in a numbered step
            elif (m := BULLET.match(line)) or (m := NUMBERED.match(line)):
                if paragraph:
                    guide.flowables.append(Paragraph(inline(" ".join(paragraph)), styles["body"]))
                    paragraph = []
                ordered = bool(NUMBERED.match(line))
                items.append((m.group(1), []))
            elif items and line.startswith("  "):
                text, sub = items[-1]
                if sub:
                    sub[-1] += " " + line.strip()
                else:
                    items[-1] = (text + " " + line.strip(), sub)
            else:
                if items:
                    flush(ordered)
                paragraph.append(line.strip())
        flush(ordered)
    return guide


def _list(items: list[Any], styles: dict[str, ParagraphStyle], ordered: bool) -> ListFlowable:
    entries = [
        i if isinstance(i, ListItem) else ListItem(Paragraph(inline(i), styles["body"]))
        for i in items
    ]
    return ListFlowable(
        entries,
        bulletType="1" if ordered else "bullet",
        bulletFontName="DejaVuSans",
        bulletFontSize=9,
        leftIndent=14,
    )


def _image(path: Path) -> Image:
    image = Image(str(path))
    ratio = min(MAX_IMAGE_WIDTH / image.imageWidth, MAX_IMAGE_HEIGHT / image.imageHeight, 1)
    image.drawWidth = image.imageWidth * ratio
    image.drawHeight = image.imageHeight * ratio
    return image


class _GuideDoc(BaseDocTemplate):
    def __init__(self, filename: str, **kwargs: Any) -> None:
        super().__init__(filename, pagesize=A4, **kwargs)
        frame = Frame(2 * cm, 2 * cm, A4[0] - 4 * cm, A4[1] - 4 * cm, id="body")
        self.addPageTemplates([PageTemplate("page", [frame], onPage=_footer)])
        self.anchor_pages: dict[str, int] = {}

    def afterFlowable(self, flowable: Any) -> None:
        heading = getattr(flowable, "_guide_heading", None)
        if heading is None:
            return
        level, text, anchor = heading
        self.anchor_pages[anchor] = self.page
        if level <= 2:
            self.notify("TOCEntry", (level - 1, text, self.page, anchor))


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("DejaVuSans", 8)
    canvas.drawString(2 * cm, 1.2 * cm, "Propreo — Guide d'utilisation")
    canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, str(doc.page))
    canvas.restoreState()


def build(src: Path = SRC, out: Path = OUT) -> tuple[Path, dict[str, int]]:
    """Write the PDF and chapters.json into ``out``; return the PDF path and anchor → page.
    Both are written under temporary names then renamed: a refused write (full disk…)
    leaves the previous guide as it was and says so in French (:mod:`app.storage`)."""
    register_fonts()
    styles = _styles()
    guide = parse(src)
    out.mkdir(parents=True, exist_ok=True)
    pdf = out / PDF_NAME
    toc = TableOfContents()
    toc.levelStyles = [styles["toc1"], styles["toc2"]]
    # The TOC is a Table whose default cell font (set at import) is Helvetica.
    toc.tableStyle = TableStyle(
        [("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), "DejaVuSans")]
    )
    story: list[Any] = [
        Spacer(1, 6 * cm),
        Paragraph("Propreo", styles["title"]),
        Spacer(1, 0.6 * cm),
        Paragraph("Guide d'utilisation", styles["title"]),
        Spacer(1, 1 * cm),
        Paragraph(
            "Suivant le programme de formation N1.02 : modules, cas pratiques et "
            "questions d'auto-évaluation, sur la société de démonstration.",
            ParagraphStyle("sub", parent=styles["body"], alignment=1),
        ),
        PageBreak(),
        Paragraph("Table des matières", styles["h1"]),
        toc,
        PageBreak(),
        *guide.flowables,
    ]
    with written(pdf) as tmp_pdf, written(out / "chapters.json") as tmp_json:
        pages = _render(tmp_pdf, story)
        tmp_json.write_text(
            json.dumps(pages, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8"
        )
    return pdf, pages


def _render(pdf: Path, story: list[Any]) -> dict[str, int]:
    """Lay out ``story`` into ``pdf`` (a temporary name: see :func:`build`)."""
    doc = _GuideDoc(
        str(pdf),
        title="Propreo — Guide d'utilisation",
        initialFontName="DejaVuSans",
        initialFontSize=10,
        author="Propreo",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    previous = rl_config.canvas_basefontname
    rl_config.canvas_basefontname = "DejaVuSans"  # every canvas preamble: no Helvetica at all
    try:
        doc.multiBuild(story)
    finally:
        rl_config.canvas_basefontname = previous
    return dict(doc.anchor_pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Construit le guide d'utilisation (PDF).")
    parser.add_argument("--src", type=Path, default=SRC)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    try:
        pdf, pages = build(args.src, args.out)
    except GuideError as exc:
        print(exc, file=sys.stderr)
        return 1
    except StorageError as exc:  # full disk, read-only folder: the previous guide stays
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    print(f"Guide : {pdf} ({pdf.stat().st_size // 1024} Ko, {len(pages)} ancres)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
