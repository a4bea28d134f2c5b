"""Catalogue: articles at the right VAT rate, families and accounts, VAT rates as data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import catalog
from app.errors import ValidationErrors
from models.catalog import Account, VatRate


def ids(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    vat = {v.code: v.id for v in session.scalars(select(VatRate))}
    accounts = {a.number: a.id for a in session.scalars(select(Account))}
    return vat, accounts


def test_article_at_20_percent_takes_the_family_account(session: Session) -> None:
    vat, accounts = ids(session)
    family = catalog.save_family(session, None, "vit", "Vitrerie", accounts["706200"])
    assert family.code == "VIT"
    article = catalog.save_article(
        session,
        None,
        catalog.ArticleForm(
            code="vitrint",
            label="Nettoyage des vitres intérieures",
            unit="m²",
            unit_price="1,80",
            vat_rate_id=vat["T20"],
            family_id=family.id,
        ),
    )
    assert article.code == "VITRINT"
    assert article.unit_price == Decimal("1.8000")
    assert article.vat_rate.rate == Decimal("20.000000")
    assert article.vat_rate.category == "S"
    assert catalog.revenue_account(article).number == "706200"
    [row] = catalog.list_articles(session)
    assert (row.family, row.vat, row.revenue_account) == ("Vitrerie", "TVA 20 %", "706200")


def test_reverse_charge_and_sap_rates_exist_as_data(session: Session) -> None:
    rates = {v.code: v for v in catalog.vat_rates(session)}
    assert rates["AL"].category == "AE" and rates["AL"].rate == 0
    assert "Autoliquidation" in rates["AL"].mention
    assert rates["AL"].exemption_code == "VATEX-EU-AE"
    assert rates["T10"].rate == Decimal("10")
    assert rates["T20"].account_debits.number == "445710"
    assert rates["T20"].account_payment.number == "445740"


def test_article_errors_name_the_fields(session: Session) -> None:
    vat, accounts = ids(session)
    with pytest.raises(ValidationErrors) as exc:
        catalog.save_article(
            session,
            None,
            catalog.ArticleForm(code="", label="", unit="litre", unit_price="1.23456"),
        )
    assert set(exc.value.fields) == {
        "Code article",
        "Libellé",
        "Unité",
        "Prix unitaire HT",
        "TVA",
        "Compte de produit",
    }
    with pytest.raises(ValidationErrors) as exc:
        catalog.save_article(
            session,
            None,
            catalog.ArticleForm(
                code="A", label="A", vat_rate_id=vat["T20"], revenue_account_id=accounts["411000"]
            ),
        )
    assert "classe 7" in str(exc.value)


def test_article_edit_is_logged_and_deactivation_keeps_it(session: Session) -> None:
    vat, accounts = ids(session)
    article = catalog.save_article(
        session,
        None,
        catalog.ArticleForm(
            code="H",
            label="Heure",
            unit="heure",
            unit_price="29.50",
            vat_rate_id=vat["T20"],
            revenue_account_id=accounts["706100"],
        ),
    )
    form = catalog.form_from_article(article)
    assert form.unit_price == "29,5"
    form.unit_price = "30"
    catalog.save_article(session, article.id, form)
    assert article.unit_price == Decimal("30.0000")
    catalog.set_article_active(session, article.id, False)
    assert [r.active for r in catalog.list_articles(session)] == [False]
    assert catalog.list_articles(session, include_inactive=False) == []


def test_vat_rate_rules(session: Session) -> None:
    _vat, accounts = ids(session)
    with pytest.raises(ValidationErrors) as exc:
        catalog.save_vat_rate(
            session,
            None,
            catalog.VatRateForm(code="AE2", label="Autoliq.", rate="0", category="AE"),
        )
    assert exc.value.fields == ["Mention"]
    with pytest.raises(ValidationErrors) as exc:
        catalog.save_vat_rate(
            session, None, catalog.VatRateForm(code="Z", label="Zéro", rate="0", category="S")
        )
    assert exc.value.fields == ["Taux"]
    with pytest.raises(ValidationErrors) as exc:
        catalog.save_vat_rate(
            session, None, catalog.VatRateForm(code="T20", label="Doublon", rate="20")
        )
    assert exc.value.fields == ["Code TVA"]
    rate = catalog.save_vat_rate(
        session,
        None,
        catalog.VatRateForm(
            code="T85", label="TVA 8,5 % (DOM)", rate="8,5", account_debits_id=accounts["445710"]
        ),
    )
    assert rate.rate == Decimal("8.500000")
    assert catalog.form_from_vat_rate(rate).rate == "8,5"


def test_chart_of_accounts_is_editable(session: Session) -> None:
    account = catalog.save_account(session, None, "706400", "Prestations de désinfection")
    assert [a.number for a in catalog.accounts(session, prefix="7064")] == ["706400"]
    catalog.save_account(session, account.id, "706400", "Désinfection", active=False)
    assert account.label == "Désinfection" and not account.active
    with pytest.raises(ValidationErrors) as exc:
        catalog.save_account(session, None, "70A", "")
    assert set(exc.value.fields) == {"N° de compte", "Intitulé"}
    with pytest.raises(ValidationErrors):
        catalog.save_account(session, None, "411000", "Doublon")
