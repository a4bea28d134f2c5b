"""Editable letters (.docx) with the company letterhead and ``{placeholder}`` fields.

A letter is a :class:`LetterTemplate` (subject + paragraphs with ``{name}`` fields); the
letterhead (logo, identity, legal footer) is added by :func:`render_letter`. Revision
notices and dunning letters reuse the mechanism with their own templates; the output is a
normal Word document the user can still edit before printing.
"""

from __future__ import annotations

import datetime as dt
import io
import string
from dataclasses import dataclass
from typing import Any

from app.errors import ValidationError
from app.i18n import month_names


@dataclass(frozen=True)
class Letterhead:
    name: str
    address_lines: tuple[str, ...]
    contact: str = ""  # phone – e-mail – website
    legal_footer: str = ""  # form, capital, SIRET, RCS, VAT
    logo_png: bytes | None = None
    city: str = ""  # « Lyon, le 31 octobre 2026 »


@dataclass(frozen=True)
class LetterTemplate:
    code: str
    title: str  # shown to the user
    subject: str
    paragraphs: tuple[str, ...]
    closing: str = (
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées."
    )

    def fields(self) -> set[str]:
        names: set[str] = set()
        for text in (self.subject, *self.paragraphs, self.closing):
            names |= {n for _, n, _, _ in string.Formatter().parse(text) if n}
        return names


COVER_LETTER = LetterTemplate(
    code="cover_letter",
    title="Lettre d'accompagnement de facture",
    subject="Facture n° {number} du {date}",
    paragraphs=(
        "Madame, Monsieur,",
        "Veuillez trouver ci-joint notre facture n° {number} du {date} relative aux prestations "
        "de propreté réalisées {period}, d'un montant de {amount} TTC.",
        "Nous vous remercions de bien vouloir en effectuer le règlement au plus tard le "
        "{due_date}, de préférence par virement sur le compte IBAN {iban}.",
        "Notre service comptabilité reste à votre disposition pour toute question au {phone}.",
    ),
)

TEMPLATES = {COVER_LETTER.code: COVER_LETTER}

MONTHS = month_names()


def french_date(day: dt.date) -> str:
    return f"{day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]} {day.year}"


def fill(text: str, values: dict[str, str]) -> str:
    missing = sorted({n for _, n, _, _ in string.Formatter().parse(text) if n} - values.keys())
    if missing:
        raise ValidationError(
            "Modèle de lettre", "Champ(s) non renseigné(s) : {names}.", names=", ".join(missing)
        )
    return text.format_map(values)


def filled(template: LetterTemplate, values: dict[str, str]) -> tuple[str, list[str], str]:
    """(subject, paragraphs, closing) of a letter with every field filled, as printed."""
    return (
        fill(template.subject, values),
        [fill(p, values) for p in template.paragraphs],
        fill(template.closing, values),
    )


def render_letter(
    head: Letterhead,
    recipient_lines: list[str],
    template: LetterTemplate,
    values: dict[str, str],
    *,
    on: dt.date,
    signature: str = "",
) -> bytes:
    """The letter as .docx bytes, fields filled, letterhead in the page header/footer."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.left_margin = section.right_margin = Cm(2)
    style = doc.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(10)

    header = section.header.paragraphs[0]
    if head.logo_png:
        header.add_run().add_picture(io.BytesIO(head.logo_png), height=Cm(1.6))
        header.add_run("\n")
    name = header.add_run(head.name)
    name.bold = True
    name.font.size = Pt(12)
    header.add_run("\n" + "\n".join(head.address_lines))
    if head.contact:
        header.add_run("\n" + head.contact)
    footer = section.footer.paragraphs[0]
    footer.text = head.legal_footer
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in footer.runs:
        run.font.size = Pt(7)

    block = doc.add_paragraph()
    block.paragraph_format.left_indent = Cm(9)
    block.paragraph_format.space_before = Pt(24)
    for i, line in enumerate(recipient_lines):
        run = block.add_run(("\n" if i else "") + line)
        run.bold = i == 0
    place = doc.add_paragraph(f"{head.city + ', ' if head.city else ''}le {french_date(on)}")
    place.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    subject = doc.add_paragraph()
    subject.add_run("Objet : ").bold = True
    subject.add_run(fill(template.subject, values))
    for text in template.paragraphs:
        doc.add_paragraph(fill(text, values))
    doc.add_paragraph(fill(template.closing, values))
    if signature:
        sign = doc.add_paragraph(signature)
        sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_letter_pdf(
    head: Letterhead,
    recipient_lines: list[str],
    template: LetterTemplate,
    values: dict[str, str],
    *,
    on: dt.date,
    signature: str = "",
) -> bytes:
    """The same letter as :func:`render_letter`, as a PDF to print (DejaVu embedded)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer

    from reports.fonts import BOLD, REGULAR, register_fonts, styles
    from reports.text import escape

    register_fonts()
    st: dict[str, Any] = styles()
    body = ParagraphStyle("letter", parent=st["base"], fontSize=10, leading=13.5)
    right = ParagraphStyle("letter_right", parent=st["right"], fontSize=10, leading=13.5)
    recipient_style = ParagraphStyle("letter_recipient", parent=body, leftIndent=90 * mm)
    subject = fill(template.subject, values)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=15 * mm,
        bottomMargin=20 * mm,
        title=subject,
        author=head.name,
        creator="Propreo",
        invariant=True,
        initialFontName=REGULAR,
    )
    story: list[Any] = []
    if head.logo_png:
        story.append(
            Image(io.BytesIO(head.logo_png), height=16 * mm, width=40 * mm, kind="proportional")
        )
    story.append(
        Paragraph(
            "<br/>".join(
                [f"<font name='{BOLD}' size='11'>{escape(head.name)}</font>"]
                + [escape(x) for x in head.address_lines]
                + ([escape(head.contact)] if head.contact else [])
            ),
            st["base"],
        )
    )
    story.append(Spacer(1, 12 * mm))
    if recipient_lines:
        story.append(
            Paragraph(
                "<br/>".join(
                    [f"<font name='{BOLD}'>{escape(recipient_lines[0])}</font>"]
                    + [escape(x) for x in recipient_lines[1:]]
                ),
                recipient_style,
            )
        )
    story.append(Spacer(1, 10 * mm))
    place = f"{head.city + ', ' if head.city else ''}le {french_date(on)}"
    story.append(Paragraph(escape(place), right))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(f"<font name='{BOLD}'>Objet : </font>{escape(subject)}", body))
    story.append(Spacer(1, 5 * mm))
    for text in [*template.paragraphs, template.closing]:
        story.append(Paragraph(escape(fill(text, values)), body))
        story.append(Spacer(1, 3 * mm))
    if signature:
        story.append(Spacer(1, 8 * mm))
        story.append(Paragraph(escape(signature), right))

    def footer(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 6.5)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, head.legal_footer[:180])
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
