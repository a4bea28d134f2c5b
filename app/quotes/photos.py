"""Photos before/after: hostile files refused, metadata stripped, stored under generated names.

Every accepted photo is decoded completely, turned upright by its EXIF orientation, and
re-encoded from raw pixels into a new file: EXIF (GPS included), XMP, ICC, comments and
any trailing data are gone. The original file name is kept as metadata only; the stored
name is a random hex name under ``<database>.files/photos``.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFoundError, StateError, ValidationError
from app.lookup import get_row
from app.storage import FileBatch, discard_if_rolled_back
from models.clients import Site
from models.quotes import PhotoTag, Quote, QuotePhoto, QuoteStatus

FIELD = "Photo"
MAX_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 50_000_000  # 50 Mpx: above any phone camera, far below a decompression bomb
MAX_SIDE = 12_000
# Photos are kept at most this long on their long side (a quote page prints them 8 cm
# wide): decoded reduced (JPEG draft, else reduce) so that a legal 12,000-pixel image
# never holds several full-size copies in memory.
STORED_SIDE = 3_000
THUMB_SIDE = 320
SUBDIR = "photos"

# Pillow format → (MIME type, stored extension, re-encoding format)
FORMATS: dict[str, tuple[str, str, str]] = {
    "JPEG": ("image/jpeg", ".jpg", "JPEG"),
    "PNG": ("image/png", ".png", "PNG"),
    "WEBP": ("image/webp", ".webp", "WEBP"),
}

try:  # HEIC/HEIF (iPhone photos) only when the optional plug-in is installed.
    import pillow_heif

    pillow_heif.register_heif_opener()
    FORMATS["HEIF"] = ("image/jpeg", ".jpg", "JPEG")
except ImportError:  # pragma: no cover - depends on the installation
    pass


@dataclass(frozen=True)
class StoredImage:
    storage_name: str  # relative to the files folder, e.g. photos/3f…9a.jpg
    thumb_name: str
    original_name: str
    mime_type: str
    width: int
    height: int
    size: int
    sha256: str


def safe_original_name(name: str) -> str:
    """The bare file name, whatever separators or ``..`` it carried (metadata only)."""
    bare = PureWindowsPath(PurePosixPath(name).name).name
    bare = "".join(c for c in bare if c.isprintable()).strip()
    return bare[:255]


def _refuse(message: str, **values: object) -> ValidationError:
    return ValidationError(FIELD, message, **values)


def _decode(data: bytes, name: str) -> Image.Image:
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # a global that must never be on here
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    try:
        image: Image.Image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except Image.DecompressionBombError:
        raise _refuse(
            "« {name} » déclare une taille d'image démesurée : fichier refusé.", name=name
        ) from None
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError):
        raise _refuse(
            "« {name} » n'est pas une image JPEG, PNG ou WebP lisible : fichier refusé.",
            name=name,
        ) from None
    width, height = image.size
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise _refuse(
            "« {name} » mesure {width} × {height} pixels, au-delà de la limite de "
            "{limit} mégapixels : fichier refusé.",
            name=name,
            width=width,
            height=height,
            limit=MAX_PIXELS // 1_000_000,
        )
    factor = max(1, -(-max(width, height) // STORED_SIDE))  # ceil
    if factor > 1 and image.format == "JPEG":
        image.draft("RGB", (-(-width // factor), -(-height // factor)))  # DCT scaling
    try:
        image.load()
        if factor > 1 and max(image.size) > STORED_SIDE:
            fmt = image.format
            image = _reduced(image, -(-max(image.size) // STORED_SIDE))
            image.format = fmt
    except Image.DecompressionBombError:
        raise _refuse(
            "« {name} » déclare une taille d'image démesurée : fichier refusé.", name=name
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _refuse("« {name} » est tronqué ou endommagé : fichier refusé.", name=name) from None
    return image


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """``image`` divided by ``factor`` (box average); the full-size pixels are released."""
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    info = dict(image.info)
    small = image.reduce(factor)
    small.info.update(info)
    image.close()
    return small


def clean_image(image: Image.Image) -> Image.Image:
    """Upright pixels in a brand-new image carrying no metadata at all."""
    upright = ImageOps.exif_transpose(image) or image
    mode = (
        "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
    )
    pixels = upright.convert(mode)
    return Image.frombytes(mode, pixels.size, pixels.tobytes())


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=90)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def store_photo(files_dir: Path, data: bytes, original_name: str) -> StoredImage:
    """Validate, clean and store one photo and its thumbnail; nothing is written on refusal."""
    name = safe_original_name(original_name) or "photo"
    if len(data) > MAX_BYTES:
        raise _refuse(
            "« {name} » dépasse {limit} Mo : fichier refusé.", name=name, limit=MAX_BYTES >> 20
        )
    if not data:
        raise _refuse("« {name} » est vide.", name=name)
    image = _decode(data, name)
    fmt = image.format or ""
    mime, ext, out_fmt = FORMATS[fmt]
    clean = clean_image(image)
    payload = _encode(clean, out_fmt)
    thumb = clean.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    thumb_bytes = _encode(thumb, "JPEG")

    folder = files_dir / SUBDIR
    (folder / "thumbs").mkdir(parents=True, exist_ok=True)
    stem = uuid.uuid4().hex
    storage = PurePosixPath(SUBDIR, stem + ext)
    thumb_name = PurePosixPath(SUBDIR, "thumbs", stem + ".jpg")
    batch = FileBatch()  # the photo and its thumbnail, both or neither
    batch.write(files_dir / storage, payload)
    batch.write(files_dir / thumb_name, thumb_bytes)
    return StoredImage(
        storage_name=str(storage),
        thumb_name=str(thumb_name),
        original_name=name,
        mime_type=mime,
        width=clean.width,
        height=clean.height,
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
    )


def files_dir_of(session: Session) -> Path:
    """The file store of the session's database (``Database.files_dir``)."""
    files_dir: Path = session.info["database"].files_dir
    return files_dir


def add_photo(
    session: Session,
    data: bytes,
    original_name: str,
    *,
    quote_id: int | None = None,
    site_id: int | None = None,
    tag: str = PhotoTag.BEFORE,
    caption: str = "",
    include_in_pdf: bool = True,
) -> QuotePhoto:
    """Attach a photo to a quote and/or a site."""
    if tag not in PhotoTag.ALL:
        raise ValidationError("Étiquette", "Étiquette « {tag} » inconnue.", tag=tag)
    quote = session.get(Quote, quote_id) if quote_id else None
    if quote_id and quote is None:
        raise NotFoundError("Devis introuvable.")
    if quote is not None:
        _require_draft(quote)
    if quote is not None and site_id is None:
        site_id = quote.site_id
    if site_id and session.get(Site, site_id) is None:
        raise NotFoundError("Chantier introuvable.")
    if quote is None and site_id is None:
        raise ValidationError(FIELD, "Une photo doit être rattachée à un devis ou un chantier.")
    files_dir = files_dir_of(session)
    stored = store_photo(files_dir, data, original_name)
    discard_if_rolled_back(
        session, [files_dir / stored.storage_name, files_dir / stored.thumb_name]
    )
    photo = QuotePhoto(
        quote_id=quote_id,
        site_id=site_id,
        tag=tag,
        caption=caption.strip()[:200],
        include_in_pdf=include_in_pdf,
        storage_name=stored.storage_name,
        thumb_name=stored.thumb_name,
        original_name=stored.original_name,
        mime_type=stored.mime_type,
        width=stored.width,
        height=stored.height,
        size=stored.size,
        sha256=stored.sha256,
    )
    if quote is not None:
        quote.photos.append(photo)
    session.add(photo)
    session.flush()
    client_id = quote.client_id if quote else get_row(session, Site, site_id, "Chantier").client_id
    audit.record(
        session,
        "quote_photo",
        photo.id,
        "create",
        f"Photo « {stored.original_name} » ({PhotoTag.LABELS[tag].lower()}) ajoutée",
        client_id=client_id,
    )
    return photo


def _require_draft(quote: Quote | None) -> None:
    """The photos of a sent quote are part of what the client received: frozen."""
    if quote is not None and quote.status != QuoteStatus.DRAFT:
        raise StateError(
            "Le devis {ref} n'est plus un brouillon : ses photos ne changent plus "
            "(réviser le devis pour en faire une nouvelle version).",
            ref=quote.reference,
        )


def update_photo(
    session: Session, photo_id: int, *, tag: str, caption: str, include_in_pdf: bool
) -> QuotePhoto:
    photo = session.get(QuotePhoto, photo_id)
    if photo is None:
        raise NotFoundError("Photo introuvable.")
    _require_draft(photo.quote)
    if tag not in PhotoTag.ALL:
        raise ValidationError("Étiquette", "Étiquette « {tag} » inconnue.", tag=tag)
    changes = audit.diff(
        photo, {"tag": tag, "caption": caption.strip()[:200], "include_in_pdf": include_in_pdf}
    )
    if changes:
        audit.record(
            session,
            "quote_photo",
            photo.id,
            "update",
            "Photo modifiée",
            changes=changes,
            client_id=photo.quote.client_id if photo.quote else None,
        )
    return photo


def remove_photo(session: Session, photo_id: int) -> None:
    """Detach a photo (the row goes; the cleaned file stays in the store for the archive)."""
    photo = session.get(QuotePhoto, photo_id)
    if photo is None:
        raise NotFoundError("Photo introuvable.")
    _require_draft(photo.quote)
    client_id = photo.quote.client_id if photo.quote else None
    audit.record(
        session,
        "quote_photo",
        photo.id,
        "delete",
        f"Photo « {photo.original_name} » retirée",
        client_id=client_id,
    )
    session.delete(photo)
    session.flush()


def photo_path(files_dir: Path, storage_name: str) -> Path:
    """Absolute path of a stored file, refusing anything that would leave the store."""
    path = (files_dir / storage_name).resolve()
    if not path.is_relative_to(files_dir.resolve()):
        raise ValidationError(FIELD, "Chemin de fichier invalide.")
    return path
