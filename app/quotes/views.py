"""Plain read models for the quote screens (no ORM object leaves the session)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import choices
from app.quotes.builder import BuilderInput
from app.quotes.photos import files_dir_of
from app.quotes.pricing import builder_input_for_site
from app.quotes.quotes import LINE_FREQUENCIES, QuoteForm, form_of, get_quote
from models.clients import Client, Site
from models.contracts import Frequency
from models.quotes import PhotoTag, QuoteKind, TechnicalSheet


@dataclass(frozen=True)
class PhotoRow:
    id: int
    tag: str
    tag_label: str
    caption: str
    original_name: str
    thumb_path: str
    include_in_pdf: bool


@dataclass(frozen=True)
class SheetRow:
    id: int
    title: str
    kind: str
    article_id: int | None
    pages: int


@dataclass(frozen=True)
class QuoteDetail:
    id: int
    reference: str
    status: str
    kind: str
    form: QuoteForm
    photos: tuple[PhotoRow, ...]
    sheet_ids: tuple[int, ...]
    builder_snapshot: str
    contract_id: int | None
    job_ids: tuple[int, ...]


def client_choices(session: Session) -> list[tuple[int, str]]:
    return [
        (c.id, f"{c.code} — {c.name}")
        for c in session.scalars(select(Client).where(Client.active).order_by(Client.name))
    ]


def vat_choices(session: Session) -> list[tuple[str, str]]:
    """(code, label) of the active VAT rates (a quote line stores the code)."""
    return [(code, label) for _id, code, label in choices.vat_codes(session)]


def frequency_choices() -> list[tuple[str, str]]:
    """Billing frequencies a contract quote line may carry (« — » : monthly by default)."""
    return [("", "—"), *((f, Frequency.LABELS[f]) for f in LINE_FREQUENCIES)]


def site_choices(session: Session, client_id: int | None) -> list[tuple[int, str]]:
    query = select(Site).where(Site.active).order_by(Site.name)
    if client_id:
        query = query.where((Site.client_id == client_id) | (Site.payer_id == client_id))
    return [(s.id, f"{s.code} — {s.name}") for s in session.scalars(query)]


def sheet_rows(session: Session) -> list[SheetRow]:
    return [
        SheetRow(s.id, s.title, s.kind, s.article_id, s.pages)
        for s in session.scalars(
            select(TechnicalSheet).where(TechnicalSheet.active).order_by(TechnicalSheet.title)
        )
    ]


def quote_detail(session: Session, quote_id: int) -> QuoteDetail:
    quote = get_quote(session, quote_id)
    files = files_dir_of(session)
    return QuoteDetail(
        id=quote.id,
        reference=quote.reference,
        status=quote.status,
        kind=quote.kind,
        form=form_of(quote, session),
        photos=tuple(
            PhotoRow(
                p.id,
                p.tag,
                PhotoTag.LABELS[p.tag],
                p.caption,
                p.original_name,
                str(files / p.thumb_name),
                p.include_in_pdf,
            )
            for p in quote.photos
        ),
        sheet_ids=tuple(qs.sheet_id for qs in quote.sheets),
        builder_snapshot=quote.builder_snapshot,
        contract_id=quote.contract_id,
        job_ids=tuple(j.id for j in quote.jobs),
    )


def builder_input(
    session: Session, site_id: int | None, day: dt.date, kind: str
) -> BuilderInput | None:
    """The site's cadencier priced at ``day`` (None without site or without cadencier)."""
    if not site_id:
        return None
    data = builder_input_for_site(session, site_id, day, one_off=kind == QuoteKind.EXTRA_WORK)
    return data if data.tasks else None
