"""The firm's logo: accept a PNG or JPEG image, shrink it, store it as PNG."""

from __future__ import annotations

import io

from app.errors import ValidationError

FIELD = "Logo"
# Printed in the documents' header at about 5 x 2.5 cm: 600 x 300 px is 300 dpi already.
MAX_SIZE = (600, 300)
MAX_INPUT_BYTES = 20 * 1024 * 1024


def prepare_logo(data: bytes) -> bytes:
    """Check that ``data`` is a PNG or JPEG image and return it as a PNG of at most
    :data:`MAX_SIZE` pixels (aspect ratio kept, transparency kept)."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValidationError(FIELD, "Le fichier du logo est vide.")
    if len(data) > MAX_INPUT_BYTES:
        raise ValidationError(FIELD, "Le fichier du logo dépasse 20 Mo.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in {"PNG", "JPEG"}:
                raise ValidationError(
                    FIELD,
                    "Le logo doit être une image PNG ou JPEG (fichier {kind} reçu).",
                    kind=image.format or "inconnu",
                )
            image.load()
            converted = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationError(FIELD, "Le fichier choisi n'est pas une image lisible.") from exc
    converted.thumbnail(MAX_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return out.getvalue()
