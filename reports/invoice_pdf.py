"""Invoice and credit-note PDF: the texts every page prints (docs/DOMAIN.md « Invoice mentions »)
and the entry point.

The layout is a classic French invoice: seller identity top left, buyer block at the
window-envelope position, the references, the lines table (header repeated on every
page), totals per VAT rate, then payment terms and the legal mentions. The footer repeats
the seller's legal identity and "page n/N" on every page. It is drawn on a ReportLab
canvas by :mod:`reports.invoice_layout`; this module keeps the wording (legal identity,
payment terms and mentions, amounts) shared with statements, quotes and printing.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from app.money import format_amount
from reports.fonts import REGULAR
from reports.invoice_model import (
    InvoiceDocument,
    Party,
)

PAGE_MARGIN_MM = 15


def fmt_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


@functools.lru_cache(maxsize=4096)  # babel formatting is the slow part of a line's texts
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


@functools.lru_cache(maxsize=4096)
def _unit_price(value: Decimal) -> str:
    """Unit prices keep up to 4 decimals (never rounded on print)."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.00##", locale="fr_FR") + "\u00a0€"


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


def _iban(iban: str) -> str:
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def render_invoice_pdf(doc: InvoiceDocument, *, facturx_xml: bytes | None = None) -> bytes:
    """The invoice as PDF bytes, DejaVu embedded (:mod:`reports.invoice_layout`).

    With ``facturx_xml`` the file is written directly as a PDF/A-3 Factur-X carrying that
    XML (:func:`reports.facturx.render_facturx` validates it first).
    """
    from reports.invoice_layout import draw_invoice

    return draw_invoice(doc, facturx_xml=facturx_xml)
