"""Catalogue: articles and services, families, VAT rates and chart of accounts (all editable)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, identifiers
from app.errors import NotFoundError, ValidationError, ValidationErrors
from app.money import decimal_text, quantize, round_unit_price, to_decimal
from app.users import require
from models.catalog import UNITS, Account, Article, ArticleFamily, VatRate

VAT_CATEGORIES: dict[str, str] = {
    "S": "Taux normal / réduit",
    "AE": "Autoliquidation",
    "E": "Exonéré",
    "Z": "Taux zéro",
    "O": "Hors champ",
}


def _collect(
    errors: list[ValidationError], values: dict[str, Any], name: str, fn: Any, *args: Any
) -> None:
    try:
        values[name] = fn(*args)
    except ValidationError as exc:
        errors.append(exc)


def _unique(session: Session, model: Any, column: Any, value: str, own_id: int | None) -> bool:
    return (
        session.scalar(select(model.id).where(column == value, model.id != (own_id or 0))) is None
    )


# --- accounts --------------------------------------------------------------------------------


def accounts(session: Session, *, prefix: str = "", include_inactive: bool = True) -> list[Account]:
    query = select(Account).order_by(Account.number)
    if prefix:
        query = query.where(Account.number.like(f"{prefix}%"))
    if not include_inactive:
        query = query.where(Account.active)
    return list(session.scalars(query))


def save_account(
    session: Session, account_id: int | None, number: str, label: str, active: bool = True
) -> Account:
    require(session, "settings")
    errors: list[ValidationError] = []
    number = number.strip()
    if not number.isdigit() or not 3 <= len(number) <= 12:
        errors.append(
            ValidationError(
                "N° de compte", "Le {field} « {v} » doit comporter 3 à 12 chiffres.", v=number
            )
        )
    elif not _unique(session, Account, Account.number, number, account_id):
        errors.append(ValidationError("N° de compte", "Le compte {v} existe déjà.", v=number))
    values: dict[str, Any] = {"number": number, "active": active}
    _collect(errors, values, "label", identifiers.text, label, "Intitulé", 100, True)
    if errors:
        raise ValidationErrors(errors)
    if account_id is None:
        created = Account(**values)
        session.add(created)
        session.flush()
        audit.record(session, "account", created.id, "create", f"Compte {number} créé")
        return created
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError("Compte introuvable.")
    changes = audit.diff(account, values)
    if changes:
        audit.record(
            session, "account", account.id, "update", f"Compte {number} modifié", changes=changes
        )
    return account


# --- VAT rates ------------------------------------------------------------------------------


@dataclass
class VatRateForm:
    code: str = ""
    label: str = ""
    rate: str = "20"
    category: str = "S"
    account_debits_id: int | None = None
    account_payment_id: int | None = None
    mention: str = ""
    exemption_code: str = ""
    active: bool = True


def vat_rates(session: Session, *, include_inactive: bool = True) -> list[VatRate]:
    query = select(VatRate).order_by(VatRate.rate.desc(), VatRate.code)
    if not include_inactive:
        query = query.where(VatRate.active)
    return list(session.scalars(query))


def vat_rates_by_id(session: Session, rate_id: int) -> VatRate:
    vat = session.get(VatRate, rate_id)
    if vat is None:
        raise NotFoundError("Taux de TVA introuvable.")
    return vat


def save_vat_rate(session: Session, rate_id: int | None, form: VatRateForm) -> VatRate:
    require(session, "settings")
    errors: list[ValidationError] = []
    values: dict[str, Any] = {}
    _collect(errors, values, "code", identifiers.text, form.code.upper(), "Code TVA", 20, True)
    if values.get("code") and not _unique(session, VatRate, VatRate.code, values["code"], rate_id):
        errors.append(
            ValidationError("Code TVA", "Le {field} « {v} » existe déjà.", v=values["code"])
        )
    _collect(errors, values, "label", identifiers.text, form.label, "Libellé", 100, True)
    _collect(errors, values, "mention", identifiers.text, form.mention, "Mention", 500)
    _collect(
        errors,
        values,
        "exemption_code",
        identifiers.text,
        form.exemption_code,
        "Code d'exonération",
        30,
    )
    try:
        rate = to_decimal(form.rate, field="Taux")
        if rate < 0 or rate >= 100:
            raise ValidationError("Taux", "Le {field} doit être compris entre 0 et 100 %.")
        values["rate"] = quantize(rate, 6)
    except ValidationError as exc:
        errors.append(exc)
    if form.category not in VAT_CATEGORIES:
        errors.append(ValidationError("Catégorie", "{field} de TVA inconnue."))
    elif form.category == "S" and values.get("rate") == 0:
        errors.append(ValidationError("Taux", "Un taux de catégorie S ne peut pas être nul."))
    elif form.category != "S" and values.get("rate", 0) != 0:
        errors.append(ValidationError("Taux", "Le {field} doit être 0 pour cette catégorie."))
    if form.category in ("AE", "E") and not form.mention.strip():
        errors.append(
            ValidationError(
                "Mention", "La {field} légale est obligatoire (ex. « Autoliquidation »)."
            )
        )
    if errors:
        raise ValidationErrors(errors)
    values.update(
        category=form.category,
        account_debits_id=form.account_debits_id,
        account_payment_id=form.account_payment_id,
        active=form.active,
    )
    if rate_id is None:
        created = VatRate(**values)
        session.add(created)
        session.flush()
        audit.record(session, "vat_rate", created.id, "create", f"Taux de TVA {created.code} créé")
        return created
    vat = session.get(VatRate, rate_id)
    if vat is None:
        raise NotFoundError("Taux de TVA introuvable.")
    changes = audit.diff(vat, values)
    if changes:
        audit.record(
            session,
            "vat_rate",
            vat.id,
            "update",
            f"Taux de TVA {vat.code} modifié",
            changes=changes,
        )
    return vat


def form_from_vat_rate(vat: VatRate) -> VatRateForm:
    form = VatRateForm(
        **{f.name: getattr(vat, f.name) for f in fields(VatRateForm) if f.name != "rate"}
    )
    form.rate = decimal_text(vat.rate)
    return form


# --- families --------------------------------------------------------------------------------


def families(session: Session, *, include_inactive: bool = True) -> list[ArticleFamily]:
    query = select(ArticleFamily).order_by(ArticleFamily.code)
    if not include_inactive:
        query = query.where(ArticleFamily.active)
    return list(session.scalars(query))


def save_family(
    session: Session,
    family_id: int | None,
    code: str,
    label: str,
    revenue_account_id: int | None = None,
    active: bool = True,
) -> ArticleFamily:
    errors: list[ValidationError] = []
    values: dict[str, Any] = {"revenue_account_id": revenue_account_id, "active": active}
    _collect(errors, values, "code", identifiers.text, code.upper(), "Code famille", 20, True)
    if values.get("code") and not _unique(
        session, ArticleFamily, ArticleFamily.code, values["code"], family_id
    ):
        errors.append(
            ValidationError("Code famille", "Le {field} « {v} » existe déjà.", v=values["code"])
        )
    _collect(errors, values, "label", identifiers.text, label, "Libellé de la famille", 100, True)
    if errors:
        raise ValidationErrors(errors)
    if family_id is None:
        created = ArticleFamily(**values)
        session.add(created)
        session.flush()
        audit.record(
            session, "article_family", created.id, "create", f"Famille {created.code} créée"
        )
        return created
    fam = session.get(ArticleFamily, family_id)
    if fam is None:
        raise NotFoundError("Famille introuvable.")
    changes = audit.diff(fam, values)
    if changes:
        audit.record(
            session,
            "article_family",
            fam.id,
            "update",
            f"Famille {fam.code} modifiée",
            changes=changes,
        )
    return fam


# --- articles --------------------------------------------------------------------------------


@dataclass
class ArticleForm:
    code: str = ""
    label: str = ""
    description: str = ""
    unit: str = "forfait"
    unit_price: str = "0"
    vat_rate_id: int | None = None
    family_id: int | None = None
    revenue_account_id: int | None = None
    is_service: bool = True
    sap_service: bool = False  # « service à la personne » (app.sap)


@dataclass(frozen=True)
class ArticleRow:
    id: int
    code: str
    label: str
    family: str
    unit: str
    unit_price: Decimal
    vat: str
    revenue_account: str
    active: bool


ARTICLE_LABELS = {
    "code": "Code",
    "label": "Libellé",
    "description": "Description",
    "unit": "Unité",
    "unit_price": "Prix unitaire HT",
    "vat_rate_id": "TVA",
    "family_id": "Famille",
    "revenue_account_id": "Compte de produit",
    "is_service": "Prestation de service",
    "sap_service": "Service à la personne (SAP)",
}


def validate_article(
    session: Session, form: ArticleForm, article_id: int | None = None
) -> dict[str, Any]:
    errors: list[ValidationError] = []
    values: dict[str, Any] = {}
    _collect(errors, values, "code", identifiers.text, form.code.upper(), "Code article", 30, True)
    if values.get("code") and not _unique(
        session, Article, Article.code, values["code"], article_id
    ):
        errors.append(
            ValidationError("Code article", "Le {field} « {v} » existe déjà.", v=values["code"])
        )
    _collect(errors, values, "label", identifiers.text, form.label, "Libellé", 200, True)
    _collect(errors, values, "description", identifiers.text, form.description, "Description", 5000)
    if form.unit not in UNITS:
        errors.append(ValidationError("Unité", "{field} inconnue : « {v} ».", v=form.unit))
    try:
        price = to_decimal(form.unit_price or "0", field="Prix unitaire HT")
        if price < 0:
            raise ValidationError("Prix unitaire HT", "Le {field} ne peut pas être négatif.")
        if price != round_unit_price(price):
            raise ValidationError("Prix unitaire HT", "Le {field} a au plus 4 décimales.")
        values["unit_price"] = round_unit_price(price)
    except ValidationError as exc:
        errors.append(exc)
    vat = session.get(VatRate, form.vat_rate_id) if form.vat_rate_id else None
    if vat is None:
        errors.append(ValidationError("TVA", "Choisissez un taux de {field}."))
    elif not vat.active:
        errors.append(
            ValidationError("TVA", "Le taux de {field} « {v} » est désactivé.", v=vat.label)
        )
    family = session.get(ArticleFamily, form.family_id) if form.family_id else None
    if form.family_id and family is None:
        errors.append(ValidationError("Famille", "{field} introuvable."))
    account = session.get(Account, form.revenue_account_id) if form.revenue_account_id else None
    if account is not None and not account.number.startswith("7"):
        errors.append(
            ValidationError("Compte de produit", "Le {field} doit être un compte de classe 7.")
        )
    if account is None and (family is None or family.revenue_account_id is None):
        errors.append(
            ValidationError(
                "Compte de produit",
                "Indiquez un {field} (ou choisissez une famille qui en a un).",
            )
        )
    if errors:
        raise ValidationErrors(errors)
    values.update(
        unit=form.unit,
        vat_rate_id=vat.id if vat else None,
        family_id=family.id if family else None,
        revenue_account_id=account.id if account else None,
        is_service=bool(form.is_service),
        sap_service=bool(form.sap_service),
    )
    if form.sap_service and not form.is_service:
        raise ValidationErrors(
            [
                ValidationError(
                    "Service à la personne (SAP)",
                    "Un {field} est une prestation de service, pas une vente de produits.",
                )
            ]
        )
    return values


def save_article(session: Session, article_id: int | None, form: ArticleForm) -> Article:
    values = validate_article(session, form, article_id)
    if article_id is None:
        created = Article(**values)
        session.add(created)
        session.flush()
        audit.record(
            session,
            "article",
            created.id,
            "create",
            f"Article {created.code} — {created.label} créé",
        )
        return created
    article = get_article(session, article_id)
    changes = audit.diff(article, values)
    if changes:
        audit.record(
            session,
            "article",
            article.id,
            "update",
            f"Article {article.code} modifié : "
            + ", ".join(ARTICLE_LABELS.get(k, k) for k in changes),
            changes={ARTICLE_LABELS.get(k, k): v for k, v in changes.items()},
        )
    return article


def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFoundError("Article introuvable (n° {id}).", id=article_id)
    return article


def set_article_active(session: Session, article_id: int, active: bool) -> Article:
    """Deactivate an article: it disappears from choices, stays on past documents."""
    article = get_article(session, article_id)
    if article.active != active:
        article.active = active
        audit.record(
            session,
            "article",
            article.id,
            "activate" if active else "deactivate",
            f"Article {article.code} {'réactivé' if active else 'désactivé'}",
        )
    return article


def form_from_article(article: Article) -> ArticleForm:
    form = ArticleForm(
        **{f.name: getattr(article, f.name) for f in fields(ArticleForm) if f.name != "unit_price"}
    )
    form.unit_price = decimal_text(article.unit_price)
    return form


def revenue_account(article: Article) -> Account | None:
    """The article's own revenue account, else its family's."""
    if article.revenue_account is not None:
        return article.revenue_account
    return article.family.revenue_account if article.family is not None else None


def list_articles(session: Session, *, include_inactive: bool = True) -> list[ArticleRow]:
    query = select(Article).order_by(Article.code)
    if not include_inactive:
        query = query.where(Article.active)
    rows = []
    for a in session.scalars(query):
        account = revenue_account(a)
        rows.append(
            ArticleRow(
                id=a.id,
                code=a.code,
                label=a.label,
                family=a.family.label if a.family else "",
                unit=a.unit,
                unit_price=a.unit_price,
                vat=a.vat_rate.label,
                revenue_account=account.number if account else "",
                active=a.active,
            )
        )
    return rows
