"""What every printed document shares: dates and amounts as printed, the seller's legal
identity line, and the canvas whose footer says « page n/N ». Plain functions over plain
values (:mod:`reports.invoice_model` records); invoices, statements and quotes take them
from here.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from app.money import format_amount
from reports.fonts import REGULAR
from reports.invoice_model import Party

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
def unit_price(value: Decimal) -> str:
    """Unit prices keep up to 4 decimals (never rounded on print)."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.00##", locale="fr_FR") + "\u00a0€"


def spaced_iban(iban: str) -> str:
    """An IBAN in groups of four, as printed."""
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
