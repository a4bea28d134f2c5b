"""The quote as a record: its form, its lines and their totals, create and edit a draft,
the chain of its versions. Its life after the draft (send, revise, accept, refuse, expire)
is in :mod:`app.quotes.transitions`, its conversions in :mod:`app.quotes.contracting` and
:mod:`app.quotes.planning`. None of these functions commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.billing.totals import Totals, compute_totals
from app.errors import NotFoundError, StateError, ValidationError, ValidationErrors
from app.money import ZERO, line_total, round_money, round_quantity, round_unit_price, to_decimal
from models.catalog import Article, VatRate
from models.clients import Client, Site
from models.contracts import Frequency
from models.quotes import (
    Quote,
    QuoteKind,
    QuoteLine,
    QuoteLineKind,
    QuotePhoto,
    QuoteSheet,
    QuoteStatus,
)

DEFAULT_VALIDITY_DAYS = 30
# How often a contract quote's line is billed once accepted ("" : monthly, the default).
LINE_FREQUENCIES = (
    Frequency.MONTHLY,
    Frequency.BIMONTHLY,
    Frequency.QUARTERLY,
    Frequency.HALF_YEARLY,
    Frequency.YEARLY,
)
DEFAULT_VAT = "T20"
DEFAULT_CONDITIONS = (
    "Devis gratuit. Prix en euros hors taxes, TVA au taux en vigueur. "
    "Acompte de 30 % à la commande pour les travaux ponctuels, solde à réception de facture."
)


@dataclass
class LineForm:
    label: str = ""
    quantity: Decimal | str = "1"
    unit: str = "forfait"
    unit_price: Decimal | str = "0"
    vat_code: str = DEFAULT_VAT
    article_id: int | None = None
    description: str = ""
    discount: Decimal | str = "0"
    kind: str = QuoteLineKind.SERVICE
    billing_frequency: str = ""


@dataclass
class QuoteForm:
    client_id: int | None = None
    site_id: int | None = None
    kind: str = QuoteKind.EXTRA_WORK
    title: str = ""
    quote_date: dt.date = field(default_factory=dt.date.today)
    validity_date: dt.date | None = None
    conditions: str = DEFAULT_CONDITIONS
    free_of_charge: bool = True
    frequency: str = ""
    cadence: str = ""
    duration_hours: Decimal | str | None = None
    start_date: dt.date | None = None
    contract_months: int | None = None
    probability: Decimal | str = "50"
    include_photos: bool = True
    lines: list[LineForm] = field(default_factory=list)


def get_quote(session: Session, quote_id: int) -> Quote:
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFoundError("Devis introuvable (n° interne {id}).", id=quote_id)
    return quote


def vat_rates(session: Session) -> dict[str, VatRate]:
    return {v.code: v for v in session.scalars(select(VatRate))}


def _check_form(session: Session, form: QuoteForm) -> list[ValidationError]:
    errors: list[ValidationError] = []
    client = session.get(Client, form.client_id) if form.client_id else None
    if client is None:
        errors.append(ValidationError("Client", "Choisir le client du devis."))
    if form.site_id is not None:
        site = session.get(Site, form.site_id)
        if site is None:
            errors.append(ValidationError("Chantier", "Chantier introuvable."))
        elif client is not None and client.id not in (site.client_id, site.payer_id):
            errors.append(
                ValidationError(
                    "Chantier",
                    "Le chantier « {site} » n'appartient pas au client « {client} ».",
                    site=site.name,
                    client=client.name,
                )
            )
    if form.kind not in QuoteKind.ALL:
        errors.append(ValidationError("Type", "Type de devis « {kind} » inconnu.", kind=form.kind))
    if form.validity_date is not None and form.validity_date < form.quote_date:
        errors.append(ValidationError("Validité", "La date de validité précède la date du devis."))
    return errors


def apply_form(session: Session, quote: Quote, form: QuoteForm) -> dict[str, tuple[object, object]]:
    """Check ``form`` and bring ``quote`` to it, lines and totals included (nothing is
    changed when a field is refused); returns the changes, for the history."""
    errors = _check_form(session, form)
    try:
        probability = to_decimal(form.probability, field="Probabilité (%)")
        if not ZERO <= probability <= 100:
            raise ValidationError("Probabilité (%)", "La probabilité doit être entre 0 et 100 %.")
    except ValidationError as exc:
        errors.append(exc)
        probability = Decimal(50)
    duration = None
    if form.duration_hours not in (None, ""):
        try:
            duration = round_quantity(to_decimal(form.duration_hours, field="Durée (h)"))
        except ValidationError as exc:
            errors.append(exc)
    lines: list[QuoteLine] = []
    rates = vat_rates(session)
    for index, line_form in enumerate(form.lines, start=1):
        try:
            lines.append(_make_line(session, line_form, index, rates))
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationErrors(errors)
    validity = form.validity_date or form.quote_date + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)
    changes = audit.diff(
        quote,
        {
            "client_id": form.client_id,
            "site_id": form.site_id,
            "kind": form.kind,
            "title": form.title.strip()[:200],
            "quote_date": form.quote_date,
            "validity_date": validity,
            "conditions": form.conditions.strip(),
            "free_of_charge": form.free_of_charge,
            "frequency": form.frequency.strip()[:100],
            "cadence": form.cadence.strip()[:200],
            "duration_hours": duration,
            "start_date": form.start_date,
            "contract_months": form.contract_months or None,
            "probability": probability,
            "include_photos": form.include_photos,
        },
    )
    if _update_lines(quote, lines):
        changes["lignes"] = ("", f"{len(lines)} ligne(s)")
    update_totals(session, quote)
    return changes


_LINE_COLUMNS = (
    "kind",
    "article_id",
    "label",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount",
    "vat_rate_id",
    "total_ht",
    "billing_frequency",
)


def _update_lines(quote: Quote, lines: list[QuoteLine]) -> bool:
    """Bring the quote's lines to ``lines`` position by position, changing only the columns
    that differ (a line kept as it was keeps its row). Returns whether anything changed."""
    changed = False
    kept = list(quote.lines)
    for old, new in zip(kept, lines, strict=False):
        for column in _LINE_COLUMNS:
            if getattr(old, column) != getattr(new, column):
                setattr(old, column, getattr(new, column))
                changed = True
    for old in kept[len(lines) :]:
        quote.lines.remove(old)
        changed = True
    for position, new in enumerate(lines[len(kept) :], start=len(kept)):
        new.position = position
        quote.lines.append(new)
        changed = True
    return changed


def _make_line(
    session: Session, form: LineForm, index: int, rates: dict[str, VatRate]
) -> QuoteLine:
    field_name = f"Ligne {index}"
    article = session.get(Article, form.article_id) if form.article_id else None
    if form.article_id and article is None:
        raise ValidationError(field_name, "{field} : article introuvable.")
    label = (form.label or (article.label if article else "")).strip()
    if not label:
        raise ValidationError(field_name, "{field} : la désignation est obligatoire.")
    quantity = round_quantity(to_decimal(form.quantity, field=f"{field_name} quantité"))
    unit_price = round_unit_price(to_decimal(form.unit_price, field=f"{field_name} prix unitaire"))
    discount = round_money(to_decimal(form.discount or "0", field=f"{field_name} remise"))
    if quantity < 0 or unit_price < 0 or discount < 0:
        raise ValidationError(field_name, "{field} : quantités, prix et remises sont positifs.")
    if article is not None and not form.vat_code:
        vat_id = article.vat_rate_id
    else:
        rate = rates.get(form.vat_code or DEFAULT_VAT)
        if rate is None:
            raise ValidationError(
                field_name, "{field} : taux de TVA « {code} » inconnu.", code=form.vat_code
            )
        vat_id = rate.id
    if form.kind not in QuoteLineKind.ALL:
        raise ValidationError(field_name, "{field} : type de ligne inconnu.")
    if form.billing_frequency and form.billing_frequency not in LINE_FREQUENCIES:
        raise ValidationError(
            field_name,
            "{field} : fréquence de facturation « {value} » inconnue.",
            value=form.billing_frequency,
        )
    return QuoteLine(
        kind=form.kind,
        article_id=article.id if article else None,
        label=label[:200],
        description=form.description.strip(),
        quantity=quantity,
        unit=form.unit or (article.unit if article else "forfait"),
        unit_price=unit_price,
        discount=discount,
        vat_rate_id=vat_id,
        total_ht=line_total(quantity, unit_price, discount),
        billing_frequency=form.billing_frequency,
    )


@dataclass(frozen=True)
class _Taxed:
    total_ht: Decimal
    vat_rate: Decimal
    vat_category: str


def quote_totals(session: Session, quote: Quote) -> Totals:
    rates = {v.id: v for v in session.scalars(select(VatRate))}
    return compute_totals(
        _Taxed(line.total_ht, rates[line.vat_rate_id].rate, rates[line.vat_rate_id].category)
        for line in quote.lines
    )


@dataclass(frozen=True)
class LinesPreview:
    """What the quote editor shows while the user types: each line's total HT (None while
    its figures are not yet amounts) and the quote's HT / TVA / TTC."""

    line_totals: tuple[Decimal | None, ...]
    totals: Totals


def preview_lines(session: Session, lines: Sequence[LineForm]) -> LinesPreview:
    """Line totals and totals by the rules of the save (``line_total``, the VAT of the line's
    code or of its article, ``compute_totals``), before anything is saved; a line whose
    quantity, price or discount does not read as an amount yet counts nothing."""
    rates = vat_rates(session)
    by_id = {v.id: v for v in rates.values()}
    article_rate: dict[int, VatRate] = {
        article_id: by_id[vat_id]
        for article_id, vat_id in session.execute(select(Article.id, Article.vat_rate_id))
        if vat_id in by_id
    }
    shown: list[Decimal | None] = []
    taxed = []
    for form in lines:
        try:
            quantity = round_quantity(to_decimal(form.quantity or "0", field="quantité"))
            price = round_unit_price(to_decimal(form.unit_price or "0", field="prix"))
            discount = round_money(to_decimal(form.discount or "0", field="remise"))
        except (ValidationError, ArithmeticError):
            shown.append(None)
            continue
        total = line_total(quantity, price, discount)
        shown.append(total)
        if form.article_id and not form.vat_code:
            rate = article_rate.get(form.article_id)
        else:
            rate = rates.get(form.vat_code or DEFAULT_VAT)
        if rate is not None:
            taxed.append(_Taxed(total, rate.rate, rate.category))
    return LinesPreview(tuple(shown), compute_totals(taxed))


def update_totals(session: Session, quote: Quote) -> None:
    session.flush()
    totals = quote_totals(session, quote)
    quote.total_ht, quote.total_vat, quote.total_ttc = (
        totals.total_ht,
        totals.total_vat,
        totals.total_ttc,
    )


def trace(
    session: Session,
    quote: Quote,
    action: str,
    summary: str,
    changes: dict[str, tuple[object, object]] | None = None,
) -> None:
    """The quote's line in its client's history (create, update, send, revise…)."""
    audit.record(
        session, "quote", quote.id, action, summary, client_id=quote.client_id, changes=changes
    )


def create_quote(session: Session, form: QuoteForm) -> Quote:
    from app.clients import refuse_if_blocked

    refuse_if_blocked(
        session.get(Client, form.client_id) if form.client_id else None, "nouveau devis"
    )
    quote = Quote(
        status=QuoteStatus.DRAFT, version=1, salesperson_id=audit.current_user_id(session)
    )
    apply_form(session, quote, form)
    session.add(quote)
    session.flush()
    summary = f"Devis créé ({QuoteKind.LABELS[quote.kind]}) : {quote.title or 'sans titre'}"
    trace(session, quote, "create", summary)
    return quote


def require_draft(quote: Quote) -> None:
    if quote.status != QuoteStatus.DRAFT:
        raise StateError(
            "Le devis {ref} est « {status} » : seul un brouillon peut être modifié "
            "(réviser le devis pour en faire une nouvelle version).",
            ref=quote.reference,
            status=QuoteStatus.LABELS[quote.status],
        )


def update_quote(session: Session, quote_id: int, form: QuoteForm) -> Quote:
    quote = get_quote(session, quote_id)
    require_draft(quote)
    changes = apply_form(session, quote, form)
    if changes:  # saved untouched: nothing written, not even the history
        trace(session, quote, "update", "Devis modifié", changes)
    return quote


# What a quote offers besides its lines, the same on its form and on its printed document.
TERMS = (
    "conditions",
    "free_of_charge",
    "frequency",
    "cadence",
    "duration_hours",
    "start_date",
    "contract_months",
)


def quote_terms(quote: Quote) -> dict[str, Any]:
    return {name: getattr(quote, name) for name in TERMS}


def form_of(quote: Quote, session: Session) -> QuoteForm:
    """The edit form of an existing quote (for the UI and revisions)."""
    rates = {v.id: v.code for v in session.scalars(select(VatRate))}
    return QuoteForm(
        client_id=quote.client_id,
        site_id=quote.site_id,
        kind=quote.kind,
        title=quote.title,
        quote_date=quote.quote_date,
        validity_date=quote.validity_date,
        **quote_terms(quote),
        probability=quote.probability,
        include_photos=quote.include_photos,
        lines=[
            LineForm(
                label=line.label,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                vat_code=rates[line.vat_rate_id],
                article_id=line.article_id,
                description=line.description,
                discount=line.discount,
                kind=line.kind,
                billing_frequency=line.billing_frequency,
            )
            for line in quote.lines
        ],
    )


def copy_contents(session: Session, old: Quote, new: Quote) -> None:
    """Give ``new`` (built from ``old``'s form) the exact line descriptions, the photos and
    the technical sheets of ``old`` (photos share their stored files)."""
    for line, old_line in zip(new.lines, old.lines, strict=True):
        line.description = old_line.description
    session.flush()
    for photo in old.photos:
        session.add(
            QuotePhoto(
                quote_id=new.id,
                site_id=photo.site_id,
                tag=photo.tag,
                caption=photo.caption,
                storage_name=photo.storage_name,
                thumb_name=photo.thumb_name,
                original_name=photo.original_name,
                mime_type=photo.mime_type,
                width=photo.width,
                height=photo.height,
                size=photo.size,
                sha256=photo.sha256,
                include_in_pdf=photo.include_in_pdf,
            )
        )
    for qs in old.sheets:
        new.sheets.append(QuoteSheet(sheet_id=qs.sheet_id, position=qs.position))


def quote_chain(session: Session, quote_id: int) -> Sequence[Quote]:
    """Every version of a quote, oldest first."""
    quote = get_quote(session, quote_id)
    if not quote.number:
        return [quote]
    return list(
        session.scalars(select(Quote).where(Quote.number == quote.number).order_by(Quote.version))
    )
