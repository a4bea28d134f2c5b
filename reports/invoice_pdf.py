"""Invoice and credit-note PDF (ReportLab platypus), every mention of DOMAIN §2.

The layout is a classic French invoice: seller identity top left, buyer block at the
window-envelope position, the references, the lines table (header repeated on every
page), totals per VAT rate, then payment terms and the legal mentions. The footer repeats
the seller's legal identity and "page n/N" on every page.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from app.money import format_amount, format_percent, format_quantity
from reports.fonts import BOLD, REGULAR, register_fonts, styles
from reports.invoice_model import (
    OPERATION_CATEGORY,
    VAT_REVERSE_CHARGE,
    InvoiceDocument,
    Party,
)

PAGE_MARGIN_MM = 15


def fmt_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def money(value: Decimal) -> str:
    return format_amount(value)


def legal_identity(seller: Party) -> str:
    """One line: form, capital, SIREN/SIRET, RCS, VAT number (footer of every page)."""
    parts = [seller.name]
    if seller.legal_form:
        capital = (
            f" au capital de {money(seller.share_capital)}"
            if seller.share_capital is not None
            else ""
        )
        parts.append(f"{seller.legal_form}{capital}")
    parts.append(f"SIRET {seller.siret}" if seller.siret else f"SIREN {seller.siren}")
    if seller.rcs_city:
        parts.append(f"RCS {seller.rcs_city} {seller.siren}")
    if seller.vat_number:
        parts.append(f"N° TVA intracommunautaire {seller.vat_number}")
    return " – ".join(parts)


def _paragraph(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _numbered_canvas_class(doc: InvoiceDocument) -> type:
    return numbered_canvas(legal_identity(doc.seller), f"{doc.type_label} n° {doc.number}")


def numbered_canvas(footer: str, title: str) -> type:
    """A canvas that knows the page count when it draws each page's footer ("1/2")."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = REGULAR  # never the unembedded Helvetica
            kwargs["initialFontSize"] = kwargs.get("initialFontSize") or 8
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []
            self.setFont(REGULAR, 8)

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, _height = A4
            self.setStrokeColor(colors.HexColor("#999999"))
            self.setLineWidth(0.4)
            self.line(PAGE_MARGIN_MM * mm, 14 * mm, width - PAGE_MARGIN_MM * mm, 14 * mm)
            self.setFillColor(colors.HexColor("#444444"))
            self.setFont(REGULAR, 6.5)
            self.drawCentredString(width / 2, 10 * mm, footer[:190])
            self.setFont(REGULAR, 7.5)
            self.drawRightString(
                width - PAGE_MARGIN_MM * mm, 5.5 * mm, f"{title} – page {self._pageNumber}/{total}"
            )

    return NumberedCanvas


def _seller_block(doc: InvoiceDocument, st: dict[str, Any]) -> list[Any]:
    s = doc.seller
    lines = [f"<font name='{BOLD}' size='11'>{escape(s.name)}</font>"]
    lines += [escape(line) for line in s.address.lines()]
    contact = " – ".join(x for x in (s.phone, s.email) if x)
    if contact:
        lines.append(escape(contact))
    if s.website:
        lines.append(escape(s.website))
    lines.append(escape(f"SIRET {s.siret or s.siren} – TVA {s.vat_number}"))
    from reportlab.platypus import Paragraph

    flow: list[Any] = []
    if doc.logo_png:
        from reportlab.lib.units import mm
        from reportlab.platypus import Image

        img = Image(io.BytesIO(doc.logo_png))
        ratio = img.imageWidth / max(img.imageHeight, 1)
        img.drawHeight = 16 * mm
        img.drawWidth = min(16 * mm * ratio, 60 * mm)
        img.hAlign = "LEFT"
        flow.append(img)
    flow.append(Paragraph("<br/>".join(lines), st["base"]))
    return flow


def _buyer_block(doc: InvoiceDocument, st: dict[str, Any]) -> list[Any]:
    from reportlab.platypus import Paragraph, Spacer

    b = doc.buyer
    lines = doc.buyer.block_lines()
    text = f"<font name='{BOLD}'>{escape(lines[0])}</font>"
    if len(lines) > 1:
        text += "<br/>" + "<br/>".join(escape(line) for line in lines[1:])
    ids = []
    if b.siren:
        ids.append(f"SIREN {b.siren}")
    if b.siret and b.public_body:
        ids.append(f"SIRET {b.siret}")
    if b.vat_number:
        ids.append(f"TVA {b.vat_number}")
    flow = [Paragraph(text, st["heading"])]
    if ids:
        flow += [Spacer(1, 2), Paragraph(escape(" – ".join(ids)), st["small"])]
    return flow


def _references(doc: InvoiceDocument, st: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    rows: list[tuple[str, str]] = [("Date d'émission", fmt_date(doc.issue_date))]
    if doc.period_start and doc.period_end:
        rows.append(
            (
                "Période de prestation",
                f"du {fmt_date(doc.period_start)} au {fmt_date(doc.period_end)}",
            )
        )
    if not doc.is_credit_note:
        rows.append(("Date d'échéance", fmt_date(doc.due_date)))
    if doc.buyer.code:
        rows.append(("Code client", doc.buyer.code))
    if doc.purchase_order:
        rows.append(("Bon de commande", doc.purchase_order))
    if doc.contract_reference:
        rows.append(("Contrat", doc.contract_reference))
    if doc.buyer.service_code:
        rows.append(("Code service", doc.buyer.service_code))
    if doc.original_number:
        rows.append(
            (
                "Facture d'origine",
                f"{doc.original_number} du {fmt_date(doc.original_date)}",
            )
        )
    rows.append(("Catégorie d'opération", OPERATION_CATEGORY))
    data = [[_paragraph(k, st["small"]), _paragraph(v, st["bold"])] for k, v in rows]
    table = Table(data, colWidths=[34 * 2.8346, 62 * 2.8346], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.HexColor("#DDDDDD")),
            ]
        )
    )
    return table


def _lines_table(doc: InvoiceDocument, st: dict[str, Any], width: float) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    header = ["Désignation", "Qté", "Unité", "PU HT", "Remise", "TVA", "Total HT"]
    has_discount = any(line.discount for line in doc.lines)
    if not has_discount:
        header.remove("Remise")
    data: list[list[Any]] = [[Paragraph(h, st["bold"]) for h in header]]
    for line in doc.lines:
        text = f"{escape(line.description)}"
        detail = line.detail
        if not detail and line.period_start and line.period_end:
            detail = f"Période du {fmt_date(line.period_start)} au {fmt_date(line.period_end)}"
        if detail:
            text += f"<br/><font size='6.8' color='#555555'>{escape(detail)}</font>"
        vat = (
            "Autoliq."
            if line.vat_category == VAT_REVERSE_CHARGE
            else format_percent(line.vat_rate.normalize())
        )
        row: list[Any] = [
            Paragraph(text, st["cell"]),
            Paragraph(format_quantity(line.quantity), st["right"]),
            Paragraph(escape(line.unit), st["cell"]),
            Paragraph(_unit_price(line.unit_price), st["right"]),
        ]
        if has_discount:
            row.append(Paragraph(money(line.discount) if line.discount else "", st["right"]))
        row += [Paragraph(vat, st["right"]), Paragraph(money(line.total), st["right"])]
        data.append(row)
    numeric = [14, 17, 25, 13, 25] if not has_discount else [14, 17, 25, 20, 13, 25]
    mm = 2.8346
    widths = [width - sum(numeric) * mm] + [n * mm for n in numeric]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF4")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#335577")),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#CCCCCC")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return table


def _unit_price(value: Decimal) -> str:
    """Unit prices keep up to 4 decimals (never rounded on print)."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.00##", locale="fr_FR") + "\u00a0€"


def _totals(doc: InvoiceDocument, st: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    mm = 2.8346
    vat_rows: list[list[Any]] = [
        [
            Paragraph("TVA", st["bold"]),
            Paragraph("Base HT", st["right_bold"]),
            Paragraph("Montant TVA", st["right_bold"]),
        ]
    ]
    for b in doc.vat_breakdown():
        label = (
            "Autoliquidation"
            if b.category == VAT_REVERSE_CHARGE
            else (
                "Exonérée (art. 293 B)" if b.category == "E" else format_percent(b.rate.normalize())
            )
        )
        vat_rows.append(
            [
                Paragraph(label, st["base"]),
                Paragraph(money(b.base), st["right"]),
                Paragraph(money(b.amount), st["right"]),
            ]
        )
    vat_table = Table(vat_rows, colWidths=[30 * mm, 28 * mm, 28 * mm])
    vat_table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.HexColor("#335577")),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    totals: list[tuple[str, Decimal, bool]] = [
        ("Total HT", doc.total_ht, False),
        ("Total TVA", doc.total_vat, False),
        ("Total TTC", doc.total_ttc, True),
    ]
    if doc.prepaid:
        refs = ", ".join(doc.prepaid_references)
        totals.append((f"Acomptes déduits{' (' + refs + ')' if refs else ''}", -doc.prepaid, False))
    due_label = "Montant à rembourser / déduire" if doc.is_credit_note else "Net à payer"
    totals.append((due_label, doc.amount_due, True))
    total_rows = [
        [
            Paragraph(escape(label), st["bold" if strong else "base"]),
            Paragraph(money(value), st["right_bold" if strong else "right"]),
        ]
        for label, value, strong in totals
    ]
    total_table = Table(total_rows, colWidths=[48 * mm, 30 * mm])
    total_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, len(total_rows) - 1), (-1, -1), colors.HexColor("#E8EEF4")),
                ("LINEABOVE", (0, 2), (-1, 2), 0.5, colors.HexColor("#335577")),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    outer = Table([[vat_table, total_table]], colWidths=[92 * mm, 88 * mm])
    outer.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
            ]
        )
    )
    return outer


def payment_mentions(doc: InvoiceDocument) -> list[str]:
    """Payment terms and legal mentions, in print order."""
    lines: list[str] = []
    if doc.is_credit_note:
        lines.append(
            f"Avoir relatif à la facture n° {doc.original_number} du {fmt_date(doc.original_date)}."
            if doc.original_number
            else "Avoir."
        )
    else:
        terms = f" ({doc.terms_text})" if doc.terms_text else ""
        lines.append(
            f"Échéance : {fmt_date(doc.due_date)}{terms}. Mode de règlement : {doc.payment.label}."
        )
    p = doc.payment
    if p.iban and not doc.is_credit_note:
        bank = f" – {p.bank_name}" if p.bank_name else ""
        lines.append(f"IBAN {_iban(p.iban)} – BIC {p.bic}{bank}")
    if p.mandate_reference:
        lines.append(
            f"Prélèvement SEPA à l'échéance – mandat (RUM) {p.mandate_reference}, "
            f"identifiant créancier SEPA (ICS) {p.creditor_id}."
        )
    if p.payee_line and not doc.is_credit_note:
        lines.append(p.payee_line)
    if not doc.is_credit_note:  # an avoir is not paid by the client: no payment terms
        lines.append(doc.early_payment_text)
        if doc.penalty_text:
            lines.append(doc.penalty_text)
        if doc.indemnity_applies:
            lines.append(doc.indemnity_text)
    lines += doc.vat_mentions()
    if doc.sap_declaration:
        lines.append(f"Services à la personne – déclaration n° {doc.sap_declaration}.")
    lines += list(doc.notes)
    return lines


def _iban(iban: str) -> str:
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes (fonts embedded; PDF/A parts are added by reports.facturx)."""
    register_fonts()
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    st = styles()
    buffer = io.BytesIO()
    width = A4[0] - 2 * PAGE_MARGIN_MM * mm
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=PAGE_MARGIN_MM * mm,
        rightMargin=PAGE_MARGIN_MM * mm,
        topMargin=12 * mm,
        bottomMargin=20 * mm,
        title=f"{doc.type_label} {doc.number}",
        author=doc.seller.name,
        subject=f"{doc.type_label} {doc.number} – {doc.buyer.name}",
        creator="Propreo",
        invariant=True,
        lang="fr-FR",
    )
    story: list[Any] = []
    head = Table(
        [[_seller_block(doc, st), ""]],
        colWidths=[width * 0.55, width * 0.45],
    )
    head.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    story.append(head)
    story.append(Spacer(1, 6 * mm))
    buyer_box = Table([[_buyer_block(doc, st)]], colWidths=[88 * mm])
    buyer_box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    title = Paragraph(escape(f"{doc.type_label.upper()} N° {doc.number}"), st["title"])
    left: list[Any] = [title, Spacer(1, 3 * mm), _references(doc, st)]
    top = Table([[left, buyer_box]], colWidths=[width - 90 * mm, 90 * mm])
    top.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    story.append(top)
    if doc.delivery_address and not doc.delivery_address.is_empty:
        site = ", ".join(
            [doc.delivery_name, *doc.delivery_address.lines()]
            if doc.delivery_name
            else doc.delivery_address.lines()
        )
        story += [
            Spacer(1, 3 * mm),
            Paragraph(
                f"<font name='{BOLD}'>Lieu d'intervention :</font> {escape(site)}", st["base"]
            ),
        ]
    story.append(Spacer(1, 5 * mm))
    story.append(_lines_table(doc, st, width))
    story.append(Spacer(1, 4 * mm))
    story.append(KeepTogether([_totals(doc, st)]))
    story.append(Spacer(1, 5 * mm))
    mentions = [Paragraph(escape(m), st["small"]) for m in payment_mentions(doc)]
    story.append(
        KeepTogether(
            [
                Paragraph("Conditions de règlement et mentions", st["bold"]),
                Spacer(1, 1.5 * mm),
                *mentions,
            ]
        )
    )
    template.build(story, canvasmaker=_numbered_canvas_class(doc))
    return buffer.getvalue()
