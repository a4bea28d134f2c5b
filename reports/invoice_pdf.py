"""Invoice and credit-note PDF: the entry point.

The layout is a classic French invoice: seller identity top left, buyer block at the
window-envelope position, the references, the lines table (header repeated on every
page), totals per VAT rate, then payment terms and the legal mentions (docs/DOMAIN.md
« Invoice mentions »). The footer repeats the seller's legal identity and "page n/N" on
every page. It is drawn on a ReportLab canvas by :mod:`reports.invoice_layout`, with the
formatting shared with statements and quotes (:mod:`reports.common`).
"""

from __future__ import annotations

from reports.invoice_layout import draw_invoice
from reports.invoice_model import InvoiceDocument


def render_invoice_pdf(doc: InvoiceDocument, *, facturx_xml: bytes | None = None) -> bytes:
    """The invoice as PDF bytes, DejaVu embedded (:mod:`reports.invoice_layout`).

    With ``facturx_xml`` the file is written directly as a PDF/A-3 Factur-X carrying that
    XML (:func:`reports.facturx.render_facturx` validates it first).
    """
    return draw_invoice(doc, facturx_xml=facturx_xml)
