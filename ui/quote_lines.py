"""The lines grid of the quote editor: every column a quote line stores (article, designation,
quantity, unit, unit price, discount, VAT, billing frequency, kind). Each row keeps the line
it was loaded from, so what the grid does not show (the long description) survives a save."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem, QWidget

from app import choices
from app.choices import ArticleChoice
from app.i18n import _
from app.money import format_amount
from app.quotes import views
from app.quotes.quotes import DEFAULT_VAT, LineForm
from ui.context import UiContext
from ui.line_grid import LineGrid
from ui.quote_builder import decimal_text

COLUMNS = [
    _("Article"),
    _("Désignation"),
    _("Quantité"),
    _("Unité"),
    _("P.U. HT"),
    _("Remise HT"),
    _("TVA"),
    _("Facturation"),
    _("Type"),
    _("Total HT"),
]
ARTICLE, LABEL, QUANTITY, UNIT, PRICE, DISCOUNT, VAT, FREQUENCY, KIND, TOTAL = range(len(COLUMNS))
WIDTHS = {ARTICLE: 140, LABEL: 240, QUANTITY: 65, UNIT: 65, PRICE: 75, DISCOUNT: 75, VAT: 150}
WIDTHS |= {FREQUENCY: 110}
LINE_KINDS = [("service", _("Prestation")), ("product", _("Produit")), ("travel", _("Déplacement"))]


class QuoteLinesTable(LineGrid):
    """Editable grid of quote lines; ``lines()`` gives back the LineForms to save."""

    COMBO_COLUMNS = (ARTICLE, VAT, FREQUENCY, KIND)
    ORIGIN_COLUMN = LABEL

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__([_(c) for c in COLUMNS], WIDTHS, parent)
        self.horizontalHeaderItem(DISCOUNT).setToolTip(_("Remise en euros HT sur la ligne"))
        self.horizontalHeaderItem(FREQUENCY).setToolTip(
            _("Fréquence de facturation au contrat (devis de contrat) ; « — » : mensuelle")
        )
        self.reload_choices(ctx)

    def reload_choices(self, ctx: UiContext) -> None:
        """Articles and VAT rates as the application lists them now."""
        self.articles = {a.id: a for a in ctx.query(choices.line_articles)}
        self.vat_codes = ctx.query(views.vat_choices)

    def add_line(self, line: LineForm | None = None) -> int:
        self.building = True
        try:
            r = self._build_row(line or LineForm())
        finally:
            self.building = False
        self.changed.emit()
        return r

    def _build_row(self, line: LineForm) -> int:
        r = self.new_row(
            line,
            {
                LABEL: line.label,
                QUANTITY: decimal_text(line.quantity),
                UNIT: line.unit,
                PRICE: decimal_text(line.unit_price),
                DISCOUNT: decimal_text(line.discount) if line.discount else "",
            },
        )
        self.put_article(r, line.article_id)
        vat = line.vat_code or DEFAULT_VAT
        self.put_combo(r, VAT, self.vat_codes, vat, vat)
        frequency = line.billing_frequency
        self.put_combo(r, FREQUENCY, views.frequency_choices(), frequency, frequency)
        self.put_combo(r, KIND, LINE_KINDS, line.kind, line.kind)
        total = QTableWidgetItem("")
        total.setFlags(total.flags() & ~Qt.ItemFlag.ItemIsEditable)
        total.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.blockSignals(True)  # a computed cell: not a change of the user's
        self.setItem(r, TOTAL, total)
        self.blockSignals(False)
        return r

    def show_totals(self, line_totals: tuple[Decimal | None, ...]) -> None:
        """Each line's total HT as the save computes it (« ? » while not an amount)."""
        self.blockSignals(True)
        try:
            for r, total in enumerate(line_totals[: self.rowCount()]):
                item = self.item(r, TOTAL)
                if item is not None:
                    item.setText("?" if total is None else format_amount(total, currency=False))
        finally:
            self.blockSignals(False)

    def vat_of(self, article: ArticleChoice) -> tuple[str, str]:
        return article.vat_code, article.vat_code

    def set_lines(self, lines: list[LineForm]) -> None:
        self.setRowCount(0)
        for line in lines:
            self.add_line(line)

    def lines(self) -> list[LineForm]:
        return [self.line(r) for r in range(self.rowCount())]

    def line(self, r: int) -> LineForm:
        return dataclasses.replace(
            self.origin(r) or LineForm(),
            article_id=self.combo(r, ARTICLE).currentData(),
            label=self.text(r, LABEL),
            quantity=self.text(r, QUANTITY) or "0",
            unit=self.text(r, UNIT) or "forfait",
            unit_price=self.text(r, PRICE) or "0",
            discount=self.text(r, DISCOUNT) or "0",
            vat_code=self.combo(r, VAT).currentData(),
            billing_frequency=self.combo(r, FREQUENCY).currentData(),
            kind=self.combo(r, KIND).currentData(),
        )

    def show_frequency(self, visible: bool) -> None:
        self.setColumnHidden(FREQUENCY, not visible)
