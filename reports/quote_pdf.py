"""The quote (devis) as PDF: docs/DOMAIN.md « Quotes » mandatory content, acceptance block "Bon pour
accord", optional before/after photos side by side, technical sheets appended as annexes.

Rendered from plain values (:class:`QuoteDocument`); DejaVu fonts only.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.money import format_amount, format_percent, format_quantity
from reports.common import legal_identity
from reports.fonts import BOLD, REGULAR, register_fonts, styles
from reports.invoice_model import Party
from reports.text import escape

MARGIN_MM = 15


@dataclass(frozen=True)
class QuoteLineDoc:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    total_ht: Decimal
    detail: str = ""
    discount: Decimal = Decimal("0.00")
    travel: bool = False


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    base: Decimal
    vat: Decimal
    mention: str = ""


@dataclass(frozen=True)
class PhotoDoc:
    tag: str  # before / after / other
    caption: str
    jpeg: bytes  # already cleaned image bytes (any Pillow-readable format)


@dataclass(frozen=True)
class SheetDoc:
    title: str
    pdf: bytes
    kind: str = "product"  # product / equipment
    norms: str = ""

    @property
    def label(self) -> str:
        """« Décapant FDS (fiche produit ; normes : NF EN 1276) » as listed on the quote."""
        kind = "fiche matériel" if self.kind == "equipment" else "fiche produit"
        norms = f" ; normes : {' '.join(self.norms.split())}" if self.norms.strip() else ""
        return f"{self.title} ({kind}{norms})"


@dataclass(frozen=True)
class QuoteDocument:
    seller: Party
    buyer: Party
    reference: str  # "DE2026-00012 v2" or "Brouillon n° 4"
    kind_label: str
    title: str
    quote_date: dt.date
    validity_date: dt.date
    lines: tuple[QuoteLineDoc, ...]
    vat: tuple[VatLine, ...]
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    site_name: str = ""
    site_address: tuple[str, ...] = ()
    conditions: str = ""
    free_of_charge: bool = True
    frequency: str = ""
    cadence: str = ""
    duration_hours: Decimal | None = None
    start_date: dt.date | None = None
    contract_months: int | None = None
    monthly: bool = False  # contract quote: amounts are per billing period
    consumer: bool = False  # private person: 14-day withdrawal right mention
    sap_declaration: str = ""  # household services: declaration number
    salesperson: str = ""
    photos: tuple[PhotoDoc, ...] = ()
    sheets: tuple[SheetDoc, ...] = field(default_factory=tuple)
    draft: bool = False


def _p(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def mandatory_mentions(doc: QuoteDocument) -> list[str]:
    """Texts the law asks on a quote beyond the lines and totals (docs/DOMAIN.md « Quotes »)."""
    days = (doc.validity_date - doc.quote_date).days
    out = [
        f"Devis valable {days} jours, jusqu'au {_date(doc.validity_date)}.",
        "Devis gratuit." if doc.free_of_charge else "Devis payant.",
    ]
    if not any(line.travel for line in doc.lines):
        out.append("Frais de déplacement : inclus dans les prix ci-dessus.")
    if doc.sap_declaration:
        out.append(f"Services à la personne – déclaration n° {doc.sap_declaration}.")
    if doc.consumer:
        out.append(
            "Contrat conclu hors établissement : vous disposez d'un délai de rétractation de "
            "14 jours à compter de la signature (art. L221-18 du code de la consommation)."
        )
    return out


def _footer(doc: QuoteDocument) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    identity = legal_identity(doc.seller)

    def draw(canvas: Any, template: Any) -> None:
        width, _ = A4
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN_MM * mm, 14 * mm, width - MARGIN_MM * mm, 14 * mm)
        canvas.setFont(REGULAR, 6.5)
        canvas.drawCentredString(width / 2, 10 * mm, identity[:190])
        canvas.setFont(REGULAR, 7.5)
        canvas.drawRightString(
            width - MARGIN_MM * mm, 5.5 * mm, f"Devis {doc.reference} – page {template.page}"
        )
        if doc.draft:
            canvas.setFont(BOLD, 40)
            canvas.setFillColor(colors.Color(0.85, 0.85, 0.85))
            canvas.translate(width / 2, 420)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, "BROUILLON")
        canvas.restoreState()

    return draw


def _header(doc: QuoteDocument, st: dict[str, Any], width: float) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    s = doc.seller
    seller = [f"<font name='{BOLD}' size='11'>{escape(s.name)}</font>"]
    seller += [escape(line) for line in s.address.lines()]
    seller += [escape(" – ".join(x for x in (s.phone, s.email) if x))]
    seller.append(escape(f"SIRET {s.siret or s.siren} – TVA {s.vat_number}"))
    buyer_lines = doc.buyer.block_lines()
    buyer = f"<font name='{BOLD}'>{escape(buyer_lines[0])}</font><br/>" + "<br/>".join(
        escape(x) for x in buyer_lines[1:]
    )
    box = Table([[Paragraph(buyer, st["base"])]], colWidths=[85 * mm])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    head = Table(
        [[Paragraph("<br/>".join(seller), st["base"]), box]],
        colWidths=[width - 88 * mm, 88 * mm],
    )
    head.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    refs = [
        ("Date du devis", _date(doc.quote_date)),
        ("Valable jusqu'au", _date(doc.validity_date)),
        ("Type", doc.kind_label),
    ]
    if doc.buyer.code:
        refs.append(("Code client", doc.buyer.code))
    if doc.salesperson:
        refs.append(("Votre interlocuteur", doc.salesperson))
    ref_table = Table([[_p(a, st["small"]), _p(b, st["base"])] for a, b in refs])
    ref_table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    flow: list[Any] = [head, Spacer(1, 6 * mm)]
    flow.append(_p(f"DEVIS N° {doc.reference}", st["title"]))
    flow.append(Spacer(1, 2 * mm))
    flow.append(ref_table)
    if doc.title:
        flow += [Spacer(1, 2 * mm), _p(f"Objet : {doc.title}", st["heading"])]
    if doc.site_name or doc.site_address:
        place = ", ".join([x for x in (doc.site_name, *doc.site_address) if x])
        flow.append(_p(f"Lieu d'intervention : {place}", st["base"]))
    flow.append(Spacer(1, 3 * mm))
    return flow


def _intervention(doc: QuoteDocument, st: dict[str, Any]) -> list[Any]:
    rows = []
    if doc.frequency:
        rows.append(f"Fréquence : {doc.frequency}")
    if doc.cadence:
        rows.append(f"Cadence / horaires : {doc.cadence}")
    if doc.duration_hours:
        rows.append(f"Durée d'intervention : {format_quantity(doc.duration_hours)} h")
    if doc.start_date:
        rows.append(f"Début prévu : {_date(doc.start_date)}")
    if doc.contract_months:
        rows.append(f"Durée du contrat : {doc.contract_months} mois")
    if not rows:
        return []
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    return [_p("Intervention", st["bold"]), *(_p(r, st["base"]) for r in rows), Spacer(1, 3 * mm)]


def _lines(doc: QuoteDocument, st: dict[str, Any], width: float) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    head = ["Désignation", "Qté", "Unité", "P.U. HT", "TVA", "Total HT"]
    rows: list[list[Any]] = [[_p(h, st["bold"]) for h in head]]
    for line in doc.lines:
        text = f"<font name='{BOLD}'>{escape(line.description)}</font>"
        if line.detail:
            text += "<br/>" + escape(line.detail).replace("\n", "<br/>")
        if line.discount:
            text += f"<br/>Remise : {escape(format_amount(line.discount))}"
        rows.append(
            [
                Paragraph(text, st["cell"]),
                _p(format_quantity(line.quantity), st["right"]),
                _p(line.unit, st["cell"]),
                _p(format_amount(line.unit_price), st["right"]),
                _p(format_percent(line.vat_rate), st["right"]),
                _p(format_amount(line.total_ht), st["right"]),
            ]
        )
    fixed = [14 * mm, 16 * mm, 24 * mm, 14 * mm, 24 * mm]
    table = Table(rows, colWidths=[width - sum(fixed), *fixed], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _totals(doc: QuoteDocument, st: dict[str, Any], width: float) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    per = " par mois" if doc.monthly else ""
    rows = []
    for v in doc.vat:
        rows.append(
            [
                _p(f"Base HT à {format_percent(v.rate)}", st["base"]),
                _p(format_amount(v.base), st["right"]),
            ]
        )
        rows.append(
            [_p(f"TVA {format_percent(v.rate)}", st["base"]), _p(format_amount(v.vat), st["right"])]
        )
    rows += [
        [_p(f"Total HT{per}", st["bold"]), _p(format_amount(doc.total_ht), st["right_bold"])],
        [_p(f"Total TVA{per}", st["base"]), _p(format_amount(doc.total_vat), st["right"])],
        [_p(f"Total TTC{per}", st["bold"]), _p(format_amount(doc.total_ttc), st["right_bold"])],
    ]
    table = Table(rows, colWidths=[45 * mm, 30 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, -3), (-1, -3), 0.6, colors.black),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#e8eef4")),
            ]
        )
    )
    return table


def _acceptance(doc: QuoteDocument, st: dict[str, Any], width: float) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    left = [
        _p("Bon pour accord", st["heading"]),
        _p(
            "Le client accepte le présent devis n° "
            f"{doc.reference}. Mention manuscrite « Bon pour accord », date et signature :",
            st["small"],
        ),
        Spacer(1, 3 * mm),
        _p("Date : ____ / ____ / ________", st["base"]),
        Spacer(1, 3 * mm),
        _p("Nom et qualité du signataire :", st["base"]),
        Spacer(1, 4 * mm),
        _p("Signature et cachet :", st["base"]),
        Spacer(1, 22 * mm),
    ]
    right = [
        _p(f"Pour {doc.seller.name}", st["bold"]),
        Spacer(1, 2 * mm),
        _p(doc.salesperson or "", st["base"]),
    ]
    box = Table([[left, right]], colWidths=[width * 0.6, width * 0.4])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (0, 0), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return KeepTogether([box])


def _image(data: bytes, max_w: float, max_h: float) -> Any:
    from reportlab.platypus import Image

    img = Image(io.BytesIO(data))
    ratio = min(max_w / img.imageWidth, max_h / img.imageHeight)
    img.drawWidth, img.drawHeight = img.imageWidth * ratio, img.imageHeight * ratio
    return img


def _photos(doc: QuoteDocument, st: dict[str, Any], width: float) -> list[Any]:
    """Before and after side by side, one pair per row; other photos after."""
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    if not doc.photos:
        return []
    before = [p for p in doc.photos if p.tag == "before"]
    after = [p for p in doc.photos if p.tag == "after"]
    other = [p for p in doc.photos if p.tag not in ("before", "after")]
    col = (width - 6 * mm) / 2
    rows: list[list[Any]] = [[_p("Avant", st["bold"]), _p("Après", st["bold"])]]
    for i in range(max(len(before), len(after))):
        row: list[Any] = []
        for group in (before, after):
            if i < len(group):
                p = group[i]
                row.append([_image(p.jpeg, col, 70 * mm), _p(p.caption, st["small"])])
            else:
                row.append("")
        rows.append(row)
    for i in range(0, len(other), 2):
        pair = other[i : i + 2]
        rows.append(
            [[_image(p.jpeg, col, 70 * mm), _p(p.caption, st["small"])] for p in pair]
            + [""] * (2 - len(pair))
        )
    table = Table(rows, colWidths=[col + 3 * mm, col + 3 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Spacer(1, 5 * mm), KeepTogether([_p("Photos du chantier", st["heading"]), table])]


def render_quote_pdf(doc: QuoteDocument) -> bytes:
    """The quote as PDF bytes, technical sheets appended as annexes."""
    register_fonts()
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer

    st = styles()
    buffer = io.BytesIO()
    width = A4[0] - 2 * MARGIN_MM * mm
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_MM * mm,
        rightMargin=MARGIN_MM * mm,
        topMargin=12 * mm,
        bottomMargin=20 * mm,
        title=f"Devis {doc.reference}",
        author=doc.seller.name,
        subject=f"Devis {doc.reference} – {doc.buyer.name}",
        creator="Propreo",
        invariant=True,
        lang="fr-FR",
    )
    story: list[Any] = _header(doc, st, width)
    story += _intervention(doc, st)
    story.append(_lines(doc, st, width))
    story.append(Spacer(1, 4 * mm))
    story.append(_totals(doc, st, width))
    story.append(Spacer(1, 4 * mm))
    if doc.conditions:
        story += [_p("Conditions", st["bold"]), _p(doc.conditions, st["small"])]
    story += [_p(m, st["small"]) for m in mandatory_mentions(doc)]
    if doc.sheets:
        titles = ", ".join(s.label for s in doc.sheets)
        story.append(_p(f"Annexes : fiches techniques – {titles}.", st["small"]))
    story.append(Spacer(1, 5 * mm))
    story.append(_acceptance(doc, st, width))
    story += _photos(doc, st, width)
    footer = _footer(doc)
    template.build(story, onFirstPage=footer, onLaterPages=footer)
    if not doc.sheets:
        return buffer.getvalue()
    return append_annexes(buffer.getvalue(), [s.pdf for s in doc.sheets])


def append_annexes(main: bytes, annexes: list[bytes]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(main)))
    for pdf in annexes:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
