"""A site's photos, as the site record shows them: listing, adding, removing.

New photos go through the quotes' photo store (:mod:`app.quotes.photos`): hostile files are
refused, metadata (GPS included) stripped, a thumbnail made, and the row is a
``QuotePhoto`` attached to the site only. The site also shows the photos taken for its
quotes (read-only here: they belong to what the client received) and the plain copies of
older versions (``Site.photos``, files under ``<base>.files/sites/<id>/``), so nothing a
firm already stored disappears from view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFoundError, StateError
from app.quotes.photos import add_photo, files_dir_of, photo_path
from app.sites import get_site, photos_of, remove_site_photo
from models.quotes import PhotoTag, Quote, QuotePhoto

LEGACY_DIR = "sites"


@dataclass(frozen=True)
class SitePhoto:
    """One photo of a site, ready to show (paths are absolute files in the store)."""

    key: str  # "photo:<id>" for a stored photo, "file:<name>" for an older plain copy
    path: str
    thumb_path: str
    original_name: str
    caption: str
    tag_label: str
    added_on: dt.date | None
    quote_reference: str  # "" when the photo was added on the site itself

    @property
    def removable(self) -> bool:
        """Photos of a quote are removed from the quote, never from the site."""
        return not self.quote_reference

    @property
    def title(self) -> str:
        """The caption under a thumbnail and in the viewer."""
        parts = [self.tag_label, self.caption or self.original_name]
        if self.quote_reference:
            parts.append(f"devis {self.quote_reference}")
        return " — ".join(p for p in parts if p)


def site_photos(session: Session, site_id: int) -> list[SitePhoto]:
    """The site's photos, oldest first; a photo shared by several versions of a quote once."""
    site = get_site(session, site_id)
    files = files_dir_of(session)
    quotes = session.scalars(
        select(Quote)
        .join(QuotePhoto, QuotePhoto.quote_id == Quote.id)
        .where(QuotePhoto.site_id == site.id)
    )
    references = {q.id: q.reference for q in quotes}
    rows: list[SitePhoto] = []
    seen: set[str] = set()
    query = select(QuotePhoto).where(QuotePhoto.site_id == site.id).order_by(QuotePhoto.id)
    for photo in session.scalars(query):
        if photo.storage_name in seen:
            continue
        seen.add(photo.storage_name)
        rows.append(
            SitePhoto(
                key=f"photo:{photo.id}",
                path=str(photo_path(files, photo.storage_name)),
                thumb_path=str(photo_path(files, photo.thumb_name)),
                original_name=photo.original_name,
                caption=photo.caption,
                tag_label=PhotoTag.LABELS.get(photo.tag, ""),
                added_on=photo.created_at.astimezone().date() if photo.created_at else None,
                quote_reference=references.get(photo.quote_id or 0, ""),
            )
        )
    for name in photos_of(site):
        path = photo_path(files, f"{LEGACY_DIR}/{site.id}/{name}")
        added = dt.datetime.fromtimestamp(path.stat().st_mtime).date() if path.is_file() else None
        rows.append(
            SitePhoto(
                key=f"file:{name}",
                path=str(path),
                thumb_path=str(path),
                original_name=name,
                caption="",
                tag_label="",
                added_on=added,
                quote_reference="",
            )
        )
    return rows


def add_site_photo_file(
    session: Session,
    site_id: int,
    source: Path | str,
    *,
    tag: str = PhotoTag.BEFORE,
    caption: str = "",
) -> SitePhoto:
    """Attach one image file to the site through the safe photo store (audited on the client)."""
    source = Path(source)
    get_site(session, site_id)
    try:
        data = source.read_bytes()
    except OSError:
        raise NotFoundError("Fichier illisible ou introuvable : {p}.", p=source.name) from None
    photo = add_photo(session, data, source.name, site_id=site_id, tag=tag, caption=caption)
    [row] = [r for r in site_photos(session, site_id) if r.key == f"photo:{photo.id}"]
    return row


def remove_site_photo_entry(session: Session, site_id: int, key: str) -> None:
    """Detach a photo from the site (the cleaned file stays in the store for the archive)."""
    site = get_site(session, site_id)
    kind, _sep, ident = key.partition(":")
    if kind == "file":
        remove_site_photo(session, site_id, ident)
        return
    photo = session.get(QuotePhoto, int(ident)) if kind == "photo" and ident.isdigit() else None
    if photo is None or photo.site_id != site.id:
        raise NotFoundError("Photo introuvable sur ce chantier.")
    if photo.quote_id is not None:
        quote = session.get(Quote, photo.quote_id)
        raise StateError(
            "Cette photo fait partie du devis {ref} : retirez-la depuis le devis.",
            ref=quote.reference if quote else "",
        )
    audit.record(
        session,
        "quote_photo",
        photo.id,
        "delete",
        f"Photo « {photo.original_name} » retirée du chantier {site.code}",
        client_id=site.client_id,
    )
    session.delete(photo)
    session.flush()


def quote_photos(session: Session, quote_id: int) -> list[SitePhoto]:
    """The photos of a quote as the viewer shows them (same order as the quote editor)."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFoundError("Devis introuvable.")
    files = files_dir_of(session)
    return [
        SitePhoto(
            key=f"photo:{photo.id}",
            path=str(photo_path(files, photo.storage_name)),
            thumb_path=str(photo_path(files, photo.thumb_name)),
            original_name=photo.original_name,
            caption=photo.caption,
            tag_label=PhotoTag.LABELS.get(photo.tag, ""),
            added_on=photo.created_at.astimezone().date() if photo.created_at else None,
            quote_reference="",
        )
        for photo in quote.photos
    ]
