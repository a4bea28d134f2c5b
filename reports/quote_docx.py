"""The quote as an editable Word document (same content as the PDF, without annexes)."""

from __future__ import annotations

import io

from app.money import format_amount, format_percent, format_quantity
from reports.quote_pdf import QuoteDocument, mandatory_mentions
from reports.text import printable_all


def render_quote_docx(doc: QuoteDocument) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = printable_all(doc)  # XML refuses control characters stored by older versions
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(9)
    s = doc.seller
    head = document.add_paragraph()
    head.add_run(s.name).bold = True
    for line in [*s.address.lines(), " – ".join(x for x in (s.phone, s.email) if x)]:
        if line:
            head.add_run("\n" + line)
    buyer = document.add_paragraph()
    buyer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    lines = doc.buyer.block_lines()
    buyer.add_run(lines[0]).bold = True
    for line in lines[1:]:
        buyer.add_run("\n" + line)
    document.add_heading(f"Devis n° {doc.reference}", level=1)
    document.add_paragraph(
        f"Date du devis : {doc.quote_date:%d/%m/%Y} – valable jusqu'au "
        f"{doc.validity_date:%d/%m/%Y} – {doc.kind_label}"
    )
    if doc.title:
        document.add_paragraph(f"Objet : {doc.title}")
    if doc.site_name or doc.site_address:
        place = ", ".join(x for x in (doc.site_name, *doc.site_address) if x)
        document.add_paragraph(f"Lieu d'intervention : {place}")
    for label, value in (
        ("Fréquence", doc.frequency),
        ("Cadence / horaires", doc.cadence),
        (
            "Durée d'intervention",
            f"{format_quantity(doc.duration_hours)} h" if doc.duration_hours else "",
        ),
    ):
        if value:
            document.add_paragraph(f"{label} : {value}")
    table = document.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells,
        ("Désignation", "Qté", "Unité", "P.U. HT", "TVA", "Total HT"),
        strict=True,
    ):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for item in doc.lines:
        cells = table.add_row().cells
        cells[0].text = item.description + (f"\n{item.detail}" if item.detail else "")
        cells[1].text = format_quantity(item.quantity)
        cells[2].text = item.unit
        cells[3].text = format_amount(item.unit_price)
        cells[4].text = format_percent(item.vat_rate)
        cells[5].text = format_amount(item.total_ht)
    per = " par mois" if doc.monthly else ""
    totals = document.add_table(rows=0, cols=2)
    rows = [(f"TVA {format_percent(v.rate)} sur {format_amount(v.base)}", v.vat) for v in doc.vat]
    rows += [
        (f"Total HT{per}", doc.total_ht),
        (f"Total TVA{per}", doc.total_vat),
        (f"Total TTC{per}", doc.total_ttc),
    ]
    for label, amount in rows:
        cells = totals.add_row().cells
        cells[0].text = label
        cells[1].text = format_amount(amount)
    if doc.conditions:
        document.add_paragraph(doc.conditions)
    for mention in mandatory_mentions(doc):
        document.add_paragraph(mention)
    document.add_heading("Bon pour accord", level=2)
    document.add_paragraph(
        f"Le client accepte le présent devis n° {doc.reference}. Mention manuscrite "
        "« Bon pour accord », date et signature :"
    )
    document.add_paragraph("Date : ____ / ____ / ________")
    document.add_paragraph("Nom et qualité du signataire :")
    document.add_paragraph("Signature et cachet :\n\n\n")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
