"""Hostile photo files are refused in French; accepted ones come out upright and clean."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from app.errors import ValidationError
from app.quotes.photos import store_photo


def _png(width: int = 8, height: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _jpeg(size: tuple[int, int] = (400, 300), exif: Image.Exif | None = None) -> bytes:
    image = Image.new("RGB", size, (0, 0, 255))
    # Left half red, right half blue: tells which way the picture was turned.
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif if exif is not None else Image.Exif())
    return out.getvalue()


def _declare_size(png: bytes, width: int, height: int) -> bytes:
    """Rewrite the IHDR of a tiny PNG so that it declares another size (valid CRC)."""
    ihdr = png[12:29]  # type + 13 bytes of data
    data = struct.pack(">II", width, height) + ihdr[12:17]
    chunk = b"IHDR" + data
    return png[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + png[33:]


def test_decompression_bomb_30000_square_refused(tmp_path: Path) -> None:
    bomb = _declare_size(_png(), 30000, 30000)
    with pytest.raises(ValidationError) as exc:
        store_photo(tmp_path, bomb, "bombe.png")
    assert "bombe.png" in str(exc.value)
    assert "taille d'image démesurée" in str(exc.value)
    assert exc.value.field == "Photo"
    assert not (tmp_path / "photos").exists()


def test_large_but_not_bomb_declared_size_refused_by_our_limit(tmp_path: Path) -> None:
    tall = _declare_size(_png(), 9000, 9000)  # 81 Mpx: under Pillow's bomb error, over ours
    with pytest.raises(ValidationError, match="9000 × 9000 pixels"):
        store_photo(tmp_path, tall, "grand.png")


def test_truncated_jpeg_refused(tmp_path: Path) -> None:
    data = _jpeg((800, 600))
    with pytest.raises(ValidationError, match=r"« coupé\.jpg » est tronqué ou endommagé"):
        store_photo(tmp_path, data[: len(data) // 2], "coupé.jpg")


def test_renamed_executable_refused(tmp_path: Path) -> None:
    elf = Path("/bin/ls").read_bytes()[:65536]
    with pytest.raises(ValidationError, match="n'est pas une image JPEG, PNG ou WebP"):
        store_photo(tmp_path, elf, "vacances.jpg")
    pe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)
    with pytest.raises(ValidationError, match="n'est pas une image"):
        store_photo(tmp_path, pe, "photo.png")


def test_gif_and_tiff_refused(tmp_path: Path) -> None:
    for fmt in ("GIF", "TIFF", "BMP"):
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, fmt)
        with pytest.raises(ValidationError, match="n'est pas une image JPEG, PNG ou WebP"):
            store_photo(tmp_path, out.getvalue(), f"x.{fmt.lower()}")


def test_exif_rotated_photo_comes_out_upright_without_gps(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # camera held sideways: rotate 90° clockwise to view
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (45.0, 45.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 50.0, 10.0)
    data = _jpeg((400, 300), exif)
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the source really had GPS

    stored = store_photo(tmp_path, data, "IMG_0001.JPG")
    assert (stored.width, stored.height) == (300, 400)
    result = Image.open(tmp_path / stored.storage_name)
    assert result.size == (300, 400)
    exif_out = result.getexif()
    assert len(exif_out) == 0
    assert not exif_out.get_ifd(ExifTags.IFD.GPSInfo)
    assert b"PhoneMaker" not in (tmp_path / stored.storage_name).read_bytes()
    assert "exif" not in result.info and "icc_profile" not in result.info
    rgb = result.convert("RGB")
    red_top, blue_bottom = rgb.getpixel((150, 20)), rgb.getpixel((150, 380))
    assert red_top[0] > 200 and red_top[2] < 60  # the left (red) half is now on top
    assert blue_bottom[2] > 200 and blue_bottom[0] < 60
    thumb = Image.open(tmp_path / stored.thumb_name)
    assert max(thumb.size) == 320 and thumb.size[1] > thumb.size[0]


def test_dotdot_name_lands_inside_the_store(tmp_path: Path) -> None:
    store = tmp_path / "base.db.files"
    stored = store_photo(store, _png(), "../../x.jpg")
    target = (store / stored.storage_name).resolve()
    assert target.is_relative_to(store.resolve())
    assert target.exists()
    assert not (tmp_path / "x.jpg").exists() and not (tmp_path.parent / "x.jpg").exists()
    assert stored.original_name == "x.jpg"
    assert stored.storage_name.startswith("photos/") and "x.jpg" not in stored.storage_name
    assert stored.mime_type == "image/png"  # the content decides, not the name
    windows = store_photo(store, _png(), "..\\..\\Windows\\y.png")
    assert windows.original_name == "y.png"


def test_webp_accepted_and_stored_as_webp(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (50, 40), (10, 200, 10)).save(out, "WEBP")
    stored = store_photo(tmp_path, out.getvalue(), "chantier.webp")
    assert stored.storage_name.endswith(".webp") and stored.mime_type == "image/webp"
    assert Image.open(tmp_path / stored.storage_name).format == "WEBP"


def test_empty_and_oversized_files_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="est vide"):
        store_photo(tmp_path, b"", "rien.jpg")
    with pytest.raises(ValidationError, match="dépasse 25 Mo"):
        store_photo(tmp_path, b"\xff\xd8" + bytes(26 * 1024 * 1024), "gros.jpg")
