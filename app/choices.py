"""The choice lists of the screens, in one place: clients, sites, articles, article families,
VAT rates. Every combo that offers one of these asks here (through ``ui.choices``, which
reloads it when the data changes), so a record created in one tab is offered in the others
without a restart, with the same wording everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.catalog import Article, ArticleFamily, VatRate
from models.clients import Client, Site

# What a combo of each list is refreshed on: the change topics (ctx.bus) of the tabs and
# dialogs that write these records.
TOPICS: dict[str, tuple[str, ...]] = {
    "clients": ("clients",),
    "sites": ("sites", "clients"),
    "articles": ("catalog",),
    "families": ("catalog",),
    "vat_rates": ("catalog",),
}


def clients(session: Session) -> list[tuple[int, str]]:
    """Active clients, « Name (CODE) », by name."""
    return [
        (cid, f"{name} ({code})")
        for cid, code, name in session.execute(
            select(Client.id, Client.code, Client.name).where(Client.active).order_by(Client.name)
        )
    ]


def sites(session: Session) -> list[tuple[int, str]]:
    """Active sites, « Name (CODE) », by name."""
    return [
        (sid, f"{name} ({code})")
        for sid, code, name in session.execute(
            select(Site.id, Site.code, Site.name).where(Site.active).order_by(Site.name)
        )
    ]


def articles(session: Session) -> list[tuple[int, str, Decimal]]:
    """Active articles, « CODE — Label », by code, with their unit price HT."""
    return [
        (aid, f"{code} — {label}", price)
        for aid, code, label, price in session.execute(
            select(Article.id, Article.code, Article.label, Article.unit_price)
            .where(Article.active)
            .order_by(Article.code)
        )
    ]


def families(session: Session) -> list[tuple[int, str]]:
    """Article families by code (inactive ones too: an article may still belong to one)."""
    return [
        (fid, label)
        for fid, label in session.execute(
            select(ArticleFamily.id, ArticleFamily.label).order_by(ArticleFamily.code)
        )
    ]


def vat_rates(session: Session) -> list[tuple[int, str]]:
    """Active VAT rates, highest first."""
    return [
        (vid, label)
        for vid, label in session.execute(
            select(VatRate.id, VatRate.label)
            .where(VatRate.active)
            .order_by(VatRate.rate.desc(), VatRate.code)
        )
    ]


def label_of(session: Session, kind: str, record_id: int) -> str | None:
    """The label of a record no longer offered (deactivated) that a stored document still
    names, so that opening and saving the document keeps it: « … (inactif) »."""
    if kind == "articles":
        article = session.get(Article, record_id)
        return f"{article.code} — {article.label} (inactif)" if article else None
    record: Client | Site | None = None
    if kind == "clients":
        record = session.get(Client, record_id)
    elif kind == "sites":
        record = session.get(Site, record_id)
    return f"{record.name} ({record.code}) (inactif)" if record is not None else None


@dataclass(frozen=True)
class ArticleChoice:
    """What a quote or invoice line takes from a catalogue article when it is chosen."""

    id: int
    label: str  # code — label, as listed
    text: str  # the line's designation
    unit: str
    unit_price: Decimal
    vat_rate_id: int
    vat_code: str


def line_articles(session: Session) -> list[ArticleChoice]:
    """Active articles, by code, with what a quote or invoice line takes from them."""
    codes = dict(session.execute(select(VatRate.id, VatRate.code)).all())
    return [
        ArticleChoice(
            a.id,
            f"{a.code} — {a.label}",
            a.label,
            a.unit,
            a.unit_price,
            a.vat_rate_id,
            codes[a.vat_rate_id],
        )
        for a in session.scalars(select(Article).where(Article.active).order_by(Article.code))
    ]


def vat_codes(session: Session) -> list[tuple[int, str, str]]:
    """Active VAT rates as line editors offer them: (id, code, « CODE — label »), highest
    first — the reference data's and the firm's own (T21, FRANCHISE included)."""
    return [
        (vid, code, f"{code} — {label}")
        for vid, code, label in session.execute(
            select(VatRate.id, VatRate.code, VatRate.label)
            .where(VatRate.active)
            .order_by(VatRate.rate.desc(), VatRate.code)
        )
    ]
