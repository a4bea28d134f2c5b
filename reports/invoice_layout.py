"""The invoice / credit note drawn straight on a ReportLab canvas (≈ 4× faster than platypus).

Same page as the platypus version it replaced (docs/DOMAIN.md « Invoice mentions »,
layout of a classic French invoice): seller identity top left, title and references, buyer block at the
window-envelope position, site address, the lines table (header repeated on every page,
rows never split), VAT breakdown beside the totals, payment terms and legal mentions kept
together, the seller's legal identity and « page n/N » at the foot of every page.

Why a canvas: platypus parses every cell as mini-HTML and wraps each paragraph several
times while nested tables negotiate their sizes (≈ 14 ms a document, the largest cost of
the Factur-X chain). Here each text is measured once with the font's widths and wrapped
with :func:`reportlab.lib.utils.simpleSplit`; the whole layout is a few hundred
``drawString`` calls. Texts are drawn literally (no markup): « <b> » prints as typed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.money import format_percent as _format_percent
from app.money import format_quantity as _format_quantity
from reports.common import fmt_date, legal_identity, money, numbered_canvas, spaced_iban, unit_price
from reports.drawing import (
    BLUE,
    BOTTOM,
    BOX,
    GREY_TEXT,
    HEADER_BG,
    LIGHT_RULE,
    MARGIN,
    MM,
    PAD,
    PAGE_H,
    PAGE_W,
    RULE,
    TOP,
    WIDTH,
    Column,
    Page,
    hex_color,
    logo,
    text_width,
    wrap,
)
from reports.fonts import BOLD, REGULAR, register_fonts, seed_fonts
from reports.invoice_model import (
    OPERATION_CATEGORY,
    VAT_EXEMPT,
    VAT_REVERSE_CHARGE,
    InvoiceDocument,
    Line,
)

format_percent = functools.lru_cache(maxsize=256)(_format_percent)
format_quantity = functools.lru_cache(maxsize=1024)(_format_quantity)


# Labels of the VAT rate column and the VAT breakdown.
REVERSE_CHARGE_SHORT = "Autoliq."
REVERSE_CHARGE_LABEL = "Autoliquidation"
EXEMPT_LABEL = "Exonérée (art. 293 B)"


# --- blocks ---------------------------------------------------------------------------------


def _seller(page: Page, doc: InvoiceDocument) -> None:
    s = doc.seller
    y = page.y
    if doc.logo_png:
        image, ratio = logo(hashlib.sha1(doc.logo_png).hexdigest(), doc.logo_png)
        height = 16 * MM
        width = min(height * ratio, 60 * MM)
        page.c.drawImage(image, MARGIN, y - height, width, height, mask="auto")
        y -= height + 2
    y -= 11
    page.text(MARGIN, y, s.name, BOLD, 11)
    lines = list(s.address.lines())
    contact = " – ".join(x for x in (s.phone, s.email) if x)
    if contact:
        lines.append(contact)
    if s.website:
        lines.append(s.website)
    lines.append(f"SIRET {s.siret or s.siren} – TVA {s.vat_number}")
    for line in lines:
        for part in wrap(line, REGULAR, 8.5, WIDTH * 0.55):
            y -= 10.5
            page.text(MARGIN, y, part)
    page.y = y - 3 - 6 * MM


def _references(doc: InvoiceDocument) -> list[tuple[str, str]]:
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
            ("Facture d'origine", f"{doc.original_number} du {fmt_date(doc.original_date)}")
        )
    rows.append(("Catégorie d'opération", OPERATION_CATEGORY))
    return rows


def _identity_and_buyer(page: Page, doc: InvoiceDocument) -> None:
    """Title and references on the left, the buyer's address box on the right."""
    top = page.y
    box_x = MARGIN + WIDTH - 90 * MM
    left_width = box_x - MARGIN - 4 * MM
    # Title (wrapped if a long number ever needs it).
    y = top
    for part in wrap(f"{doc.type_label.upper()} N° {doc.number}", BOLD, 15, left_width):
        y -= 15
        page.text(MARGIN, y, part, BOLD, 15)
        y -= 3
    y -= 3 * MM
    label_w = 30 * MM
    value_w = left_width - label_w
    rows = _references(doc)
    for index, (label, value) in enumerate(rows):
        values = wrap(value, BOLD, 8.5, value_w - 4)
        height = 10.5 * len(values) + 2
        page.text(MARGIN + 2, y - 1 - 8.2, label, REGULAR, 7)
        for n, part in enumerate(values):
            page.text(MARGIN + label_w, y - 1 - 8.2 - 10.5 * n, part, BOLD, 8.5)
        y -= height
        if index < len(rows) - 1:
            page.rule(MARGIN, MARGIN + left_width, y, LIGHT_RULE, 0.25)
    # Buyer box: bold address lines, then the buyer's identifiers.
    b = doc.buyer
    box_w = 88 * MM
    inner = box_w - 12
    lines = [part for line in b.block_lines() for part in wrap(line, BOLD, 10, inner)]
    ids = []
    if b.siren:
        ids.append(f"SIREN {b.siren}")
    if b.siret and b.public_body:
        ids.append(f"SIRET {b.siret}")
    if b.vat_number:
        ids.append(f"TVA {b.vat_number}")
    small = wrap(" – ".join(ids), REGULAR, 7, inner) if ids else []
    height = 5 + 13 * len(lines) + (2 + 8.5 * len(small) if small else 0) + 6
    page.c.setStrokeColor(hex_color(BOX))
    page.c.setLineWidth(0.5)
    page.c.rect(box_x, top - height, box_w, height, stroke=1, fill=0)
    by = top - 5
    for line in lines:
        by -= 13
        page.text(box_x + 6, by + 2.5, line, BOLD, 10)
    if small:
        by -= 2
        for line in small:
            by -= 8.5
            page.text(box_x + 6, by + 1.5, line, REGULAR, 7)
    page.y = min(y, top - height)


def _site(page: Page, doc: InvoiceDocument) -> None:
    if not doc.delivery_address or doc.delivery_address.is_empty:
        return
    parts = (
        [doc.delivery_name, *doc.delivery_address.lines()]
        if doc.delivery_name
        else doc.delivery_address.lines()
    )
    label = "Lieu d'intervention :"
    indent = text_width(label + " ", BOLD, 8.5)
    lines = wrap(", ".join(parts), REGULAR, 8.5, WIDTH - 12 - indent)
    y = page.y - 3 * MM
    for index, line in enumerate(lines):
        y -= 10.5
        if index == 0:
            page.text(MARGIN + PAD, y + 2, label, BOLD, 8.5)
        page.text(MARGIN + PAD + indent, y + 2, line)
    page.y = y


# --- lines table ----------------------------------------------------------------------------


def _vat_label(line: Line) -> str:
    if line.vat_category == VAT_REVERSE_CHARGE:
        return REVERSE_CHARGE_SHORT
    if line.vat_category == VAT_EXEMPT:
        return "Exo."
    return format_percent(line.vat_rate.normalize())


def _columns(doc: InvoiceDocument) -> list[Column]:
    has_discount = any(line.discount for line in doc.lines)
    # The VAT column is as wide as its longest label (« Autoliq. » does not wrap).
    vat_w = max(13 * MM, *(text_width(_vat_label(x), REGULAR, 8.5) + 2 * PAD for x in doc.lines))
    numeric = [
        Column("Qté", 14 * MM),
        Column("Unité", 17 * MM, right=False),
        Column("PU HT", 25 * MM),
        *([Column("Remise", 20 * MM)] if has_discount else []),
        Column("TVA", vat_w),
        Column("Total HT", 25 * MM),
    ]
    return [Column("Désignation", WIDTH - sum(c.width for c in numeric), right=False), *numeric]


@dataclass
class _Row:
    cells: list[list[str]]  # wrapped lines per column
    detail: list[str]
    height: float


def _row(doc: InvoiceDocument, line: Line, columns: list[Column]) -> _Row:
    has_discount = any(col.title == "Remise" for col in columns)
    detail = line.detail
    if not detail and line.period_start and line.period_end:
        detail = f"Période du {fmt_date(line.period_start)} au {fmt_date(line.period_end)}"
    inner = columns[0].width - 2 * PAD
    values = [
        wrap(line.description, REGULAR, 8, inner),
        [format_quantity(line.quantity)],
        wrap(line.unit, REGULAR, 8, columns[2].width - 2 * PAD),
        [unit_price(line.unit_price)],
    ]
    if has_discount:
        values.append([money(line.discount) if line.discount else ""])
    values += [[_vat_label(line)], [money(line.total)]]
    details = wrap(detail, REGULAR, 6.8, inner) if detail else []
    text_h = max(9.5 * len(values[0]) + 8 * len(details), 10.5, 9.5 * len(values[2]))
    return _Row(values, details, text_h + 5)


HEADER_H = 10.5 + 5
ROW_LEADING = 9.5
# Room for rows under the table header of a new page.
PAGE_ROOM = TOP - HEADER_H - BOTTOM


def _split(row: _Row) -> list[_Row]:
    """A row taller than a page in pieces that fit one (rows are otherwise never split):
    the first piece has every column, the next ones continue the description, the last
    one carries the detail line."""
    per_page = int((PAGE_ROOM - 5 - 8 * len(row.detail)) // ROW_LEADING)
    text = row.cells[0]
    if row.height <= PAGE_ROOM or per_page < 1:
        return [row]
    chunks = [text[i : i + per_page] for i in range(0, len(text), per_page)]
    blank: list[list[Any]] = [[] for _ in row.cells[1:]]
    pieces = []
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        detail = row.detail if last else []
        cells = [chunk, *(row.cells[1:] if index == 0 else blank)]
        height = max(ROW_LEADING * len(chunk) + 8 * len(detail), 10.5) + 5
        pieces.append(_Row(cells, detail, height))
    return pieces


def _table_header(page: Page, columns: list[Column]) -> None:
    height = HEADER_H
    y = page.y - height
    page.band(MARGIN, y, WIDTH, height, HEADER_BG)
    x = MARGIN
    for col in columns:
        if col.right:
            page.text(x + col.width - PAD, y + 5, col.title, BOLD, 8.5, right=True)
        else:
            page.text(x + PAD, y + 5, col.title, BOLD, 8.5)
        x += col.width
    page.rule(MARGIN, MARGIN + WIDTH, y, BLUE, 0.6)
    page.y = y


def _lines(page: Page, doc: InvoiceDocument, new_page: Any) -> None:
    columns = _columns(doc)
    page.y -= 5 * MM
    _table_header(page, columns)
    rows = (piece for line in doc.lines for piece in _split(_row(doc, line, columns)))
    for row in rows:
        if page.y - row.height < BOTTOM:
            new_page()
            _table_header(page, columns)
        top = page.y - 2.5
        x = MARGIN
        for index, (col, cell) in enumerate(zip(columns, row.cells, strict=True)):
            size = 8 if index in (0, 2) else 8.5
            leading = 9.5
            for n, part in enumerate(cell):
                baseline = top - size - n * leading + 1
                if col.right:
                    page.text(x + col.width - PAD, baseline, part, REGULAR, size, right=True)
                else:
                    page.text(x + PAD, baseline, part, REGULAR, size)
            if index == 0 and row.detail:
                base = top - 8 - len(cell) * leading + 1
                for n, part in enumerate(row.detail):
                    page.text(x + PAD, base - 8 * n - 0.5, part, REGULAR, 6.8, GREY_TEXT)
            x += col.width
        page.y -= row.height
        page.rule(MARGIN, MARGIN + WIDTH, page.y, RULE, 0.25)


# --- totals and mentions --------------------------------------------------------------------


def _vat_rows(doc: InvoiceDocument) -> list[tuple[str, Decimal, Decimal]]:
    rows = []
    for b in doc.vat_breakdown():
        if b.category == VAT_REVERSE_CHARGE:
            label = REVERSE_CHARGE_LABEL
        elif b.category == VAT_EXEMPT:
            label = EXEMPT_LABEL
        else:
            label = format_percent(b.rate.normalize())
        rows.append((label, b.base, b.amount))
    return rows


def _total_rows(doc: InvoiceDocument) -> list[tuple[str, Decimal, bool]]:
    rows: list[tuple[str, Decimal, bool]] = [
        ("Total HT", doc.total_ht, False),
        ("Total TVA", doc.total_vat, False),
        ("Total TTC", doc.total_ttc, True),
    ]
    if doc.prepaid:
        refs = ", ".join(doc.prepaid_references)
        rows.append((f"Acomptes déduits{' (' + refs + ')' if refs else ''}", -doc.prepaid, False))
    due = "Montant à rembourser / déduire" if doc.is_credit_note else "Net à payer"
    rows.append((due, doc.amount_due, True))
    return rows


VAT_COLS = (38 * MM, 26 * MM, 26 * MM)  # label, base, amount
TOTAL_COLS = (52 * MM, 30 * MM)


def _totals(page: Page, doc: InvoiceDocument, new_page: Any) -> None:
    vat_rows = [
        (wrap(label, REGULAR, 8.5, VAT_COLS[0] - 2 * PAD), base, amount)
        for label, base, amount in _vat_rows(doc)
    ]
    totals = [
        (wrap(label, BOLD if strong else REGULAR, 8.5, TOTAL_COLS[0] - 2 * PAD), v, strong)
        for label, v, strong in _total_rows(doc)
    ]
    vat_h = 13.5 + sum(10.5 * len(lines) + 3 for lines, _b, _a in vat_rows)
    tot_h = sum(10.5 * len(lines) + 4 for lines, _v, _s in totals)
    height = max(vat_h, tot_h) + 4 * MM
    if page.y - height < BOTTOM:
        new_page()
    top = page.y - 4 * MM
    # VAT breakdown, left.
    x0 = MARGIN
    y = top - 1.5 - 8.5
    page.text(x0 + PAD, y, "TVA", BOLD)
    page.text(x0 + VAT_COLS[0] + VAT_COLS[1] - PAD, y, "Base HT", BOLD, right=True)
    page.text(x0 + sum(VAT_COLS) - PAD, y, "Montant TVA", BOLD, right=True)
    y = top - 13.5
    page.rule(x0, x0 + sum(VAT_COLS), y, BLUE, 0.5)
    for lines, base, amount in vat_rows:
        baseline = y - 1.5 - 8.5
        for n, part in enumerate(lines):
            page.text(x0 + PAD, baseline - 10.5 * n, part)
        page.text(x0 + VAT_COLS[0] + VAT_COLS[1] - PAD, baseline, money(base), right=True)
        page.text(x0 + sum(VAT_COLS) - PAD, baseline, money(amount), right=True)
        y -= 10.5 * len(lines) + 3
    # Totals, right.
    tx = MARGIN + WIDTH - sum(TOTAL_COLS)
    y = top
    for index, (lines, value, strong) in enumerate(totals):
        row_h = 10.5 * len(lines) + 4
        if index == len(totals) - 1:
            page.band(tx, y - row_h, sum(TOTAL_COLS), row_h, HEADER_BG)
        if index == 2:
            page.rule(tx, tx + sum(TOTAL_COLS), y, BLUE, 0.5)
        font = BOLD if strong else REGULAR
        baseline = y - 2 - 8.5
        for n, part in enumerate(lines):
            page.text(tx + PAD, baseline - 10.5 * n, part, font)
        page.text(tx + sum(TOTAL_COLS) - PAD, baseline, money(value), font, right=True)
        y -= row_h
    page.y = top - max(vat_h, tot_h)


def _mentions(page: Page, doc: InvoiceDocument, new_page: Any) -> None:
    inner = WIDTH - 2 * PAD
    lines = [part for m in payment_mentions(doc) for part in wrap(m, REGULAR, 7, inner)]
    height = 5 * MM + 10.5 + 1.5 * MM + 8.5 * len(lines)
    if page.y - height < BOTTOM and height < TOP - BOTTOM:
        new_page()
    y = page.y - 5 * MM - 10.5
    page.text(MARGIN + PAD, y + 2, "Conditions de règlement et mentions", BOLD)
    y -= 1.5 * MM
    for line in lines:
        y -= 8.5
        if y < BOTTOM:
            new_page()
            y = page.y - 8.5
        page.text(MARGIN + PAD, y + 1.5, line, REGULAR, 7)
    page.y = y


# --- document -------------------------------------------------------------------------------


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
        lines.append(f"IBAN {spaced_iban(p.iban)} – BIC {p.bic}{bank}")
    if p.mandate_reference and not doc.is_credit_note:
        when = f"le {fmt_date(p.collection_date)}" if p.collection_date else "à l'échéance"
        lines.append(
            f"Prélèvement SEPA {when} – mandat (RUM) {p.mandate_reference}, "
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
    if doc.sap_mentions:
        lines += list(doc.sap_mentions)
    elif doc.sap_declaration:
        lines.append(f"Services à la personne – déclaration n° {doc.sap_declaration}.")
    lines += list(doc.notes)
    return lines


def draw_invoice(
    doc: InvoiceDocument,
    *,
    facturx_xml: bytes | None = None,
    pdfa: bool = False,
    created: dt.datetime | None = None,
) -> bytes:
    """The invoice as PDF bytes; PDF/A-3 (and Factur-X with ``facturx_xml``) in one pass."""
    register_fonts()
    buffer = io.BytesIO()
    title = f"{doc.type_label} {doc.number}"
    canvas = numbered_canvas(legal_identity(doc.seller), f"{doc.type_label} n° {doc.number}")(
        buffer, pagesize=(PAGE_W, PAGE_H), invariant=1, lang="fr-FR", pageCompression=1
    )
    seed_fonts(canvas)  # the same font subsets for nearly every invoice: made once
    subject = f"{title} – {doc.buyer.name}"
    if pdfa or facturx_xml is not None:
        from reports.pdfa import install_pdfa

        install_pdfa(
            canvas,
            title=title,
            author=doc.seller.name,
            subject=f"{title} du {doc.issue_date:%d/%m/%Y} – {doc.buyer.name}",
            keywords="Factur-X, facture" if facturx_xml is not None else "",
            created=created,
            facturx_xml=facturx_xml,
        )
    else:
        canvas.setTitle(title)
        canvas.setAuthor(doc.seller.name)
        canvas.setSubject(subject)
        canvas.setCreator("Propreo")
    page = Page(canvas)

    def new_page() -> None:
        canvas.showPage()
        page.y = TOP

    _seller(page, doc)
    _identity_and_buyer(page, doc)
    _site(page, doc)
    _lines(page, doc, new_page)
    _totals(page, doc, new_page)
    _mentions(page, doc, new_page)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
