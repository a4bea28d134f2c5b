"""The lines grid of a draft invoice (one-off or manual): article, designation, quantity,
unit, unit price, discount and VAT, the VAT rates listed by the application. Each row keeps
the line it was loaded from: its kind, contract link and service period survive a save."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QWidget

from app import choices
from app.billing.invoices import DraftLine
from app.choices import ArticleChoice
from app.i18n import _
from ui.context import UiContext
from ui.line_grid import LineGrid
from ui.quote_builder import decimal_text

COLUMNS = [
    _("Article"),
    _("Désignation"),
    _("Quantité"),
    _("Unité"),
    _("Prix unitaire HT"),
    _("Remise HT"),
    _("TVA"),
]
ARTICLE, LABEL, QUANTITY, UNIT, PRICE, DISCOUNT, VAT = range(len(COLUMNS))
WIDTHS = {ARTICLE: 160, LABEL: 260, QUANTITY: 70, UNIT: 70, PRICE: 100, DISCOUNT: 80}
DEFAULT_VAT_CODE = "T20"


class InvoiceLinesTable(LineGrid):
    COMBO_COLUMNS = (ARTICLE, VAT)
    ORIGIN_COLUMN = LABEL

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__([_(c) for c in COLUMNS], WIDTHS, parent)
        self.setToolTip(
            _(
                "Choisissez un article (désignation, unité, prix et TVA repris) ou saisissez "
                "une ligne libre et son taux de TVA."
            )
        )
        self.articles = {a.id: a for a in ctx.query(choices.line_articles)}
        self.vat = [(vat_id, label) for vat_id, _code, label in ctx.query(choices.vat_codes)]
        codes = {code: vat_id for vat_id, code, _label in ctx.query(choices.vat_codes)}
        self.default_vat = codes.get(DEFAULT_VAT_CODE)

    def add_line(self, line: DraftLine | None = None) -> int:
        new = line is None
        line = line or DraftLine(quantity="1", unit_price="")
        r = self.new_row(
            line,
            {
                LABEL: line.description,
                QUANTITY: decimal_text(line.quantity),
                UNIT: line.unit or ("" if new else "forfait"),
                PRICE: decimal_text(line.unit_price),
                DISCOUNT: decimal_text(line.discount) if line.discount else "",
            },
        )
        self.put_article(r, line.article_id)
        vat_id = line.vat_rate_id or self.default_vat
        self.put_combo(r, VAT, self.vat, vat_id, f"n° {vat_id}")
        return r

    def vat_of(self, article: ArticleChoice) -> tuple[int, str]:
        return article.vat_rate_id, article.vat_code

    def set_lines(self, lines: list[DraftLine]) -> None:
        self.setRowCount(0)
        for line in lines:
            self.add_line(line)

    def lines(self) -> list[DraftLine]:
        """The rows to save; a row without designation nor article is left out."""
        result = []
        for r in range(self.rowCount()):
            article_id = self.combo(r, ARTICLE).currentData()
            if not self.text(r, LABEL) and article_id is None:
                continue
            result.append(
                dataclasses.replace(
                    self.origin(r) or DraftLine(),
                    article_id=article_id,
                    description=self.text(r, LABEL),
                    quantity=self.text(r, QUANTITY) or "0",
                    unit=self.text(r, UNIT) or None,
                    unit_price=self.text(r, PRICE) or "0",
                    discount=self.text(r, DISCOUNT) or "0",
                    vat_rate_id=self.combo(r, VAT).currentData(),
                )
            )
        return result
