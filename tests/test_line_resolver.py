"""Invoice line rows built by ``LineResolver.row`` (the month-end run's 9,000 lines): what
an article, its VAT rate and unit give is worked out once per (article, VAT, unit), and
every line still gets its own values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.billing.invoices import DraftLine, LineResolver
from app.db import Database
from app.errors import ValidationError
from models.catalog import Article, VatRate

E = Decimal


def test_rows_of_the_same_article_keep_their_own_values(demo_db: Database) -> None:
    with demo_db.read() as session:
        article = session.scalars(select(Article).order_by(Article.id)).first()
        assert article is not None
        t20 = session.scalar(select(VatRate).where(VatRate.code == "T20"))
        t10 = session.scalar(select(VatRate).where(VatRate.code == "T10"))
        assert t20 is not None and t10 is not None
        resolver = LineResolver(session)
        plain = resolver.row(DraftLine(article_id=article.id, quantity="2", unit_price="10"), 1)
        named = resolver.row(
            DraftLine(
                description="  Vitrerie du hall ",
                article_id=article.id,
                quantity=E("1.5"),
                unit_price=E("12.34567"),
                discount=E("0.005"),
            ),
            2,
        )
        reduced = resolver.row(
            DraftLine(article_id=article.id, vat_rate_id=t10.id, unit="heure", unit_price=E("20")),
            3,
        )
        free = resolver.row(DraftLine(description="Intervention", unit_price="50"), 4)
        again = resolver.row(DraftLine(article_id=article.id, quantity="3", unit_price="10"), 5)

    assert plain["description"] == article.label and plain["article_id"] == article.id
    assert plain["family_id"] == article.family_id and plain["unit"] == article.unit
    assert plain["total_ht"] == E("20.00") and plain["quantity"] == E("2.000")
    assert named["description"] == "Vitrerie du hall"
    # Decimals rounded half-up as before: 4 decimals of price, cents of discount.
    assert named["unit_price"] == E("12.3457") and str(named["unit_price"]) == "12.3457"
    assert str(named["quantity"]) == "1.500" and str(named["discount"]) == "0.01"
    assert named["total_ht"] == E("18.51")  # 1.5 × 12.3457 − 0.01 = 18.50855
    assert plain["vat_rate_id"] == named["vat_rate_id"] == (article.vat_rate_id or t20.id)
    assert reduced["vat_rate_id"] == t10.id and reduced["vat_rate"] == E("10")
    assert reduced["unit"] == "heure" and reduced["unit_code"] == "HUR"
    assert free["article_id"] is None and free["revenue_account"] == ""
    assert free["unit"] == "forfait" and free["vat_rate_id"] == t20.id
    assert again["position"] == 5 and again["total_ht"] == E("30.00")
    assert again["revenue_account"] == plain["revenue_account"] != ""


def test_a_line_without_label_is_refused_before_its_vat(demo_db: Database) -> None:
    with demo_db.read() as session:
        resolver = LineResolver(session)
        with pytest.raises(ValidationError, match="libellé est obligatoire"):
            resolver.row(DraftLine(unit_price="1", vat_rate_id=999_999), 1)
        with pytest.raises(ValidationError, match="TVA"):
            resolver.row(DraftLine(description="x", unit_price="1", vat_rate_id=999_999), 1)
        assert resolver.row(DraftLine(description="x", unit_price="1"), 1)["description"] == "x"
        with pytest.raises(ValidationError, match="libellé est obligatoire"):
            resolver.row(DraftLine(description=" ", unit_price="1"), 2)  # same free-text kind
