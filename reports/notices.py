"""Notice letters (avis): revision notice, termination / non-renewal, renewal reminder.

One plain description of the letter (:class:`Letter`, texts already written by
``app.revisions.notices``) rendered twice: an editable DOCX (python-docx) and a PDF
(ReportLab, DejaVu fonts embedded, never Helvetica).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from app.storage import write_file


@dataclass(frozen=True)
class Letter:
    sender_name: str
    sender_lines: Sequence[str]  # address, phone, e-mail
    sender_legal: str  # "SAS au capital de … — SIRET … — RCS …"
    recipient_lines: Sequence[str]
    place_date: str  # "Lyon, le 2 novembre 2026"
    subject: str
    reference: str  # "Contrat CT-0012 — Résidence Les Tilleuls"
    salutation: str
    paragraphs: Sequence[str]
    table_headers: Sequence[str] = ()
    table_rows: Sequence[Sequence[str]] = ()
    closing: str = ""
    signature: Sequence[str] = ()
    logo_png: bytes | None = None
    # Paragraphs printed after the table.
    after_table: Sequence[str] = field(default_factory=tuple)


def write_docx(letter: Letter, path: str | Path) -> Path:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(1.8), Cm(1.8)
    style = doc.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(10)

    if letter.logo_png:
        doc.add_picture(BytesIO(letter.logo_png), width=Cm(3.5))
    head = doc.add_paragraph()
    head.add_run(letter.sender_name).bold = True
    for line in letter.sender_lines:
        head.add_run("\n" + line)
    recipient = doc.add_paragraph()
    recipient.alignment = WD_ALIGN_PARAGRAPH.LEFT
    recipient.paragraph_format.left_indent = Cm(9)
    recipient.paragraph_format.space_before = Pt(18)
    for i, line in enumerate(letter.recipient_lines):
        run = recipient.add_run(("\n" if i else "") + line)
        run.bold = i == 0
    date = doc.add_paragraph(letter.place_date)
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date.paragraph_format.space_before = Pt(12)
    subject = doc.add_paragraph()
    subject.add_run("Objet : ").bold = True
    subject.add_run(letter.subject)
    if letter.reference:
        subject.add_run("\nRéf. : ").bold = True
        subject.add_run(letter.reference)
    doc.add_paragraph(letter.salutation).paragraph_format.space_before = Pt(12)
    for text in letter.paragraphs:
        doc.add_paragraph(text)
    if letter.table_headers:
        table = doc.add_table(rows=1, cols=len(letter.table_headers))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, letter.table_headers, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for row in letter.table_rows:
            cells = table.add_row().cells
            for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
                cell.text = text
                if i:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        doc.add_paragraph()
    for text in letter.after_table:
        doc.add_paragraph(text)
    if letter.closing:
        doc.add_paragraph(letter.closing)
    if letter.signature:
        sign = doc.add_paragraph("\n".join(letter.signature))
        sign.paragraph_format.left_indent = Cm(9)
        sign.paragraph_format.space_before = Pt(18)
    footer = section.footer.paragraphs[0]
    footer.text = letter.sender_legal
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in footer.runs:
        run.font.size = Pt(7)
    data = BytesIO()  # built in memory, written whole or not at all
    doc.save(data)
    return write_file(path, data.getvalue())


def write_pdf(letter: Letter, path: str | Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from reports.fonts import BOLD, REGULAR, register_fonts
    from reports.text import escape

    register_fonts()
    base = ParagraphStyle("letter", fontName=REGULAR, fontSize=10, leading=14, spaceAfter=6)
    bold = ParagraphStyle("letter_bold", parent=base, fontName=BOLD)
    right = ParagraphStyle("letter_right", parent=base, alignment=2)
    indented = ParagraphStyle("letter_indent", parent=base, leftIndent=9 * cm)

    def para(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story: list[object] = []
    if letter.logo_png:
        logo = Image(BytesIO(letter.logo_png))
        ratio = logo.imageHeight / logo.imageWidth if logo.imageWidth else 1
        logo.drawWidth, logo.drawHeight = 3.5 * cm, 3.5 * cm * ratio
        logo.hAlign = "LEFT"
        story.append(logo)
    story.append(
        Paragraph(
            f"<font name='{BOLD}'>{escape(letter.sender_name)}</font><br/>"
            + "<br/>".join(escape(x) for x in letter.sender_lines),
            base,
        )
    )
    story.append(Spacer(1, 0.6 * cm))
    lines = list(letter.recipient_lines)
    if lines:
        story.append(
            Paragraph(
                f"<font name='{BOLD}'>{escape(lines[0])}</font><br/>"
                + "<br/>".join(escape(x) for x in lines[1:]),
                indented,
            )
        )
    story.append(Spacer(1, 0.4 * cm))
    story.append(para(letter.place_date, right))
    story.append(
        Paragraph(
            f"<font name='{BOLD}'>Objet :</font> {escape(letter.subject)}"
            + (
                f"<br/><font name='{BOLD}'>Réf. :</font> {escape(letter.reference)}"
                if letter.reference
                else ""
            ),
            base,
        )
    )
    story.append(Spacer(1, 0.3 * cm))
    story.append(para(letter.salutation))
    story.extend(para(text) for text in letter.paragraphs)
    if letter.table_headers:
        data = [[para(h, bold) for h in letter.table_headers]]
        data += [
            [para(c, base if i == 0 else right) for i, c in enumerate(row)]
            for row in letter.table_rows
        ]
        first = 16.6 * cm - 3.2 * cm * (len(letter.table_headers) - 1)
        widths = [first] + [3.2 * cm] * (len(letter.table_headers) - 1)
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), REGULAR),  # never Helvetica
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        story.append(Spacer(1, 0.3 * cm))
    story.extend(para(text) for text in letter.after_table)
    if letter.closing:
        story.append(para(letter.closing))
    if letter.signature:
        story.append(Spacer(1, 0.5 * cm))
        story.append(para("\n".join(letter.signature), indented))

    def footer(canvas: object, _doc: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(REGULAR, 7)  # type: ignore[attr-defined]
        canvas.drawCentredString(A4[0] / 2, 1.2 * cm, letter.sender_legal)  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    out = Path(path)
    doc = SimpleDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=2.2 * cm,
        title=letter.subject,
        author=letter.sender_name,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out
