"""Technical sheets (product / equipment PDFs: norms, safety data) attached to articles,
and their selection on a quote (appended to the quote PDF as annexes)."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFoundError, StateError, ValidationError
from app.quotes.photos import files_dir_of, safe_original_name
from app.quotes.quotes import QuoteForm, create_quote, update_quote
from app.storage import discard_if_rolled_back, write_file
from models.catalog import Article
from models.quotes import Quote, QuoteSheet, QuoteStatus, TechnicalSheet

FIELD = "Fiche technique"
MAX_BYTES = 20 * 1024 * 1024
MAX_PAGES = 200
SUBDIR = "sheets"
KINDS = {"product": "Fiche produit", "equipment": "Fiche matériel"}


def validate_pdf(data: bytes, name: str) -> int:
    """Page count of a readable, unencrypted PDF; a French refusal otherwise."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data:
        raise ValidationError(FIELD, "« {name} » est vide.", name=name)
    if len(data) > MAX_BYTES:
        raise ValidationError(
            FIELD, "« {name} » dépasse {limit} Mo : fichier refusé.", name=name, limit=20
        )
    if not data.lstrip()[:5] == b"%PDF-":
        raise ValidationError(
            FIELD, "« {name} » n'est pas un document PDF : fichier refusé.", name=name
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                FIELD,
                "« {name} » est protégé par mot de passe : il ne peut pas être joint au devis.",
                name=name,
            )
        pages = len(reader.pages)
        for page in reader.pages[:1]:
            page.mediabox  # noqa: B018 - forces the page tree to be read
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise ValidationError(
            FIELD, "« {name} » est un PDF illisible ou endommagé : fichier refusé.", name=name
        ) from None
    if pages < 1 or pages > MAX_PAGES:
        raise ValidationError(
            FIELD, "« {name} » doit compter de 1 à {limit} pages.", name=name, limit=MAX_PAGES
        )
    return pages


def add_sheet(
    session: Session,
    data: bytes,
    original_name: str,
    *,
    title: str,
    kind: str = "product",
    article_id: int | None = None,
    norms: str = "",
) -> TechnicalSheet:
    title = title.strip()
    if not title:
        raise ValidationError("Titre", "Le titre de la fiche technique est obligatoire.")
    if kind not in KINDS:
        raise ValidationError("Type", "Type de fiche « {kind} » inconnu.", kind=kind)
    if article_id is not None and session.get(Article, article_id) is None:
        raise NotFoundError("Article introuvable.")
    name = safe_original_name(original_name) or "fiche.pdf"
    pages = validate_pdf(data, name)
    files_dir: Path = files_dir_of(session)
    (files_dir / SUBDIR).mkdir(parents=True, exist_ok=True)
    storage = PurePosixPath(SUBDIR, uuid.uuid4().hex + ".pdf")
    discard_if_rolled_back(session, [write_file(files_dir / storage, data)])
    sheet = TechnicalSheet(
        article_id=article_id,
        kind=kind,
        title=title[:200],
        norms=norms.strip(),
        storage_name=str(storage),
        original_name=name,
        pages=pages,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    session.add(sheet)
    session.flush()
    audit.record(session, "technical_sheet", sheet.id, "create", f"Fiche technique « {title} »")
    return sheet


def select_sheets(session: Session, quote_id: int, sheet_ids: Sequence[int]) -> list[QuoteSheet]:
    """Set the sheets appended to a draft quote, in the given order."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFoundError("Devis introuvable.")
    if quote.status != QuoteStatus.DRAFT:
        raise StateError("Seul un devis en brouillon peut être modifié.")
    for sheet_id in sheet_ids:
        if session.get(TechnicalSheet, sheet_id) is None:
            raise NotFoundError("Fiche technique introuvable.")
    before = [s.sheet_id for s in quote.sheets]
    quote.sheets.clear()
    session.flush()
    for position, sheet_id in enumerate(dict.fromkeys(sheet_ids)):
        quote.sheets.append(QuoteSheet(sheet_id=sheet_id, position=position))
    session.flush()
    if before != list(dict.fromkeys(sheet_ids)):
        audit.record(
            session,
            "quote",
            quote.id,
            "sheets",
            f"Fiches techniques du devis : {len(quote.sheets)}",
            client_id=quote.client_id,
        )
    return list(quote.sheets)


def sheet_path(files_dir: Path, sheet: TechnicalSheet) -> Path:
    path = (files_dir / sheet.storage_name).resolve()
    if not path.is_relative_to(files_dir.resolve()):
        raise ValidationError(FIELD, "Chemin de fichier invalide.")
    return path


def save_quote(
    session: Session, quote_id: int | None, form: QuoteForm, sheet_ids: Sequence[int]
) -> Quote:
    """« Enregistrer » of the quote editor: the draft quote created or updated and the
    technical sheets appended to it, in one unit of work (a sheet refused leaves the quote
    as it was, where two saves in a row kept the new header without its sheets)."""
    if quote_id is None:
        quote = create_quote(session, form)
    else:
        quote = update_quote(session, quote_id, form)
    select_sheets(session, quote.id, sheet_ids)
    return quote
