"""Build the printable quote (:class:`reports.quote_pdf.QuoteDocument`) from the database,
and render it as PDF or DOCX. Reads only: rendering runs outside any write transaction."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import sap_mentions
from app.company import get_company
from app.documents.build import buyer_party, seller_party
from app.lookup import get_row
from app.quotes.photos import files_dir_of, photo_path
from app.quotes.quotes import get_quote, quote_terms, quote_totals
from app.quotes.sheets import sheet_path
from app.storage import write_file
from app.users import user_name
from models.catalog import VatRate
from models.clients import Client, ClientKind, Site
from models.quotes import Quote, QuoteKind, QuoteLineKind, QuoteStatus
from reports.quote_pdf import PhotoDoc, QuoteDocument, QuoteLineDoc, SheetDoc, VatLine


def quote_document(session: Session, quote_id: int, *, with_annexes: bool = True) -> QuoteDocument:
    quote = get_quote(session, quote_id)
    client = get_row(session, Client, quote.client_id, "Client")
    company = get_company(session)
    site = session.get(Site, quote.site_id) if quote.site_id else None
    rates = {v.id: v for v in session.scalars(select(VatRate))}
    files: Path | None = None
    photos: list[PhotoDoc] = []
    sheets: list[SheetDoc] = []
    if with_annexes:
        files = files_dir_of(session)
        if quote.include_photos:
            photos = [
                PhotoDoc(p.tag, p.caption, photo_path(files, p.storage_name).read_bytes())
                for p in quote.photos
                if p.include_in_pdf
            ]
        sheets = [
            SheetDoc(
                qs.sheet.title,
                sheet_path(files, qs.sheet).read_bytes(),
                kind=qs.sheet.kind,
                norms=qs.sheet.norms,
            )
            for qs in quote.sheets
        ]
    totals = quote_totals(session, quote)
    mentions = {rates[li.vat_rate_id].rate: rates[li.vat_rate_id].mention for li in quote.lines}
    return QuoteDocument(
        seller=seller_party(company),
        buyer=buyer_party(client),
        reference=quote.reference,
        kind_label="Contrat d'entretien"
        if quote.kind == QuoteKind.CONTRACT
        else "Travaux complémentaires",
        title=quote.title,
        quote_date=quote.quote_date,
        validity_date=quote.validity_date,
        lines=tuple(
            QuoteLineDoc(
                description=li.label,
                quantity=li.quantity,
                unit=li.unit,
                unit_price=li.unit_price,
                vat_rate=rates[li.vat_rate_id].rate,
                total_ht=li.total_ht,
                detail="" if li.description == "builder" else li.description,
                discount=li.discount,
                travel=li.kind == QuoteLineKind.TRAVEL,
            )
            for li in quote.lines
        ),
        vat=tuple(VatLine(v.rate, v.base, v.vat, mentions.get(v.rate, "")) for v in totals.vat),
        total_ht=totals.total_ht,
        total_vat=totals.total_vat,
        total_ttc=totals.total_ttc,
        site_name=site.name if site else "",
        site_address=tuple(
            x for x in (site.street, " ".join(p for p in (site.postcode, site.city) if p)) if x
        )
        if site
        else (),
        **quote_terms(quote),
        monthly=quote.kind == QuoteKind.CONTRACT,
        consumer=client.kind == ClientKind.PERSON,
        sap_declaration=_sap_declaration(session, company, client, quote),
        salesperson=user_name(session, quote.salesperson_id),
        photos=tuple(photos),
        sheets=tuple(sheets),
        draft=quote.status == QuoteStatus.DRAFT,
    )


def quote_pdf(session: Session, quote_id: int) -> bytes:
    from reports.quote_pdf import render_quote_pdf

    return render_quote_pdf(quote_document(session, quote_id))


def quote_docx(session: Session, quote_id: int) -> bytes:
    from reports.quote_docx import render_quote_docx

    return render_quote_docx(quote_document(session, quote_id, with_annexes=False))


def _sap_declaration(session: Session, company: object, client: Client, quote: Quote) -> str:
    """The SAP declaration printed on a quote under the invoice's rule (app.sap): a firm
    declared SAP, a private client, an article marked « service à la personne »."""
    from models.catalog import Article

    declaration = getattr(company, "sap_declaration_number", "") or ""
    ids = [li.article_id for li in quote.lines if li.article_id]
    marked = ids and session.scalar(
        select(Article.id).where(Article.id.in_(ids), Article.sap_service).limit(1)
    )
    flags = [SimpleNamespace(sap=bool(marked))]
    return declaration if sap_mentions.applies(declaration, client.kind, flags) else ""


def quote_pdf_file(session: Session, quote_id: int) -> Path:
    """The quote's PDF saved in the firm's file store (``devis/Devis <n°>.pdf``), to print."""
    quote = get_quote(session, quote_id)
    folder = files_dir_of(session) / "devis"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"Devis {quote.reference}.pdf"
    return write_file(path, quote_pdf(session, quote_id))
