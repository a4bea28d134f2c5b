"""Quote lines answer as they are typed (issue P §5): an article found by typing part of its
name, each line's total HT, and the quote's HT / TVA / TTC live, by the rules of the save."""

from __future__ import annotations

from decimal import Decimal

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.money import format_amount
from app.quotes import quotes as uc
from models.catalog import Article
from tests.test_ui_quote_editor import _ctx
from ui.quote_editor import QuoteEditor
from ui.quote_lines import ARTICLE, DISCOUNT, PRICE, QUANTITY, TOTAL


def test_article_by_typing_line_totals_and_live_totals(qtbot: QtBot, demo_db: Database) -> None:
    with demo_db.read() as s:
        article = s.scalar(select(Article).where(Article.code == "VITREXT"))
        assert article is not None and article.vat_rate.rate == Decimal("20")
        price, label = article.unit_price, article.label
    editor = QuoteEditor(_ctx(demo_db), None)
    qtbot.addWidget(editor)
    zero = format_amount(Decimal(0))
    assert editor.totals.text() == f"Total HT : {zero} — TVA : {zero} — TTC : {zero}"
    row = editor.add_line()
    grid = editor.lines
    combo = grid.combo(row, ARTICLE)
    # Typing « vitres ext » offers the article (a part of its label, any case).
    completer = combo.completer()
    completer.setCompletionPrefix("vitres ext")
    matches = [
        completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())
    ]
    assert any(label in m for m in matches)
    combo.setCurrentIndex(combo.findText(next(m for m in matches if label in m)))
    assert Decimal(grid.text(row, PRICE).replace(",", ".")) == price  # filled from the article
    # 3 × the price less a discount of 10 €: the line total and the totals follow.
    grid.item(row, QUANTITY).setText("3")
    grid.item(row, DISCOUNT).setText("10")
    ht = 3 * price - Decimal("10")
    vat = (ht * Decimal("0.20")).quantize(Decimal("0.01"))
    assert grid.item(row, TOTAL).text() == format_amount(ht, currency=False)
    assert editor.totals.text() == (
        f"Total HT : {format_amount(ht)} — TVA : {format_amount(vat)} — "
        f"TTC : {format_amount(ht + vat)}"
    )
    # Not yet an amount: the line says so and counts nothing.
    grid.item(row, QUANTITY).setText("3,x")
    assert grid.item(row, TOTAL).text() == "?"
    assert editor.totals.text().startswith(f"Total HT : {zero} ")
    # The same figures as the save computes.
    grid.item(row, QUANTITY).setText("3")
    editor.form.set_value("client_id", editor.form.widget("client_id").itemData(1))
    editor.form.set_value("title", "Vitrerie")
    assert editor.save(), editor.form.error_text("title")
    with demo_db.read() as s:
        saved = uc.get_quote(s, editor.quote_id)
        assert (saved.total_ht, saved.total_vat, saved.total_ttc) == (ht, vat, ht + vat)
