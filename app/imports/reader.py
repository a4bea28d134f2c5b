"""Read a spreadsheet (.xlsx) or a text export (.csv, .txt) into rows of text cells.

Exports of other software come in every dialect: semicolons (French Excel), commas, tabs
or pipes; UTF-8 with or without BOM, UTF-16 (Excel « Texte Unicode »), Windows-1252.
Cells are kept as text exactly as typed; dates and numbers of an .xlsx become the text
a French user would type (``31/12/2026``, ``1234,5``), read later by :mod:`app.imports.values`.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.errors import ValidationError

FIELD = "Fichier"
SEPARATORS = ";,\t|"
ENCODINGS = ("utf-8-sig", "cp1252")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Table:
    """The header row and the data rows (row numbers as the user sees them in the file)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    encoding: str = ""
    separator: str = ""
    # Rows with more filled cells than the header has columns (a separator typed inside a
    # cell shifts every later column): refused, never cut silently.
    overflow: frozenset[int] = frozenset()


def read_table(path: str | Path) -> Table:
    """The table of ``path``; a French :class:`ValidationError` when it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            FIELD,
            "Le fichier « {name} » ne peut pas être lu ({reason}).",
            name=path.name,
            reason=os_reason(exc),
        ) from None
    if path.suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        return _table(_xlsx_rows(data, path.name))
    if path.suffix.lower() == ".xls" or data[:4] == b"\xd0\xcf\x11\xe0":
        raise ValidationError(
            FIELD,
            "Le fichier « {name} » est au format Excel 97-2003 (.xls) : enregistrez-le en "
            "« Classeur Excel (.xlsx) » ou en CSV, puis importez ce fichier.",
            name=path.name,
        )
    text, encoding = decode(data)
    separator = sniff_separator(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    table = _table(rows)
    return Table(table.headers, table.rows, encoding, separator, table.overflow)


OS_REASONS = {
    errno.ENOENT: "fichier introuvable",
    errno.EACCES: "accès refusé",
    errno.EPERM: "accès refusé",
    errno.EISDIR: "c'est un dossier",
    errno.ENOTDIR: "dossier introuvable",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "support en lecture seule",
}


def os_reason(exc: OSError) -> str:
    """The system's refusal in French (its English strerror never reaches the user)."""
    return OS_REASONS.get(exc.errno or 0, "accès au fichier impossible")


def decode(data: bytes) -> tuple[str, str]:
    """Text of an export: UTF-16 by its BOM, else UTF-8, else Windows-1252."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"  # pragma: no cover - cp1252 leaves 5 bytes


def sniff_separator(text: str) -> str:
    """The separator that splits the first lines into the same number of cells (> 1)."""
    sample = [line for line in text.splitlines()[:20] if line.strip()]
    best, best_score = ";", 0
    for sep in SEPARATORS:
        counts = [len(next(csv.reader([line], delimiter=sep))) for line in sample]
        if not counts or counts[0] < 2:
            continue
        score = counts[0] * sum(1 for c in counts if c == counts[0])
        if score > best_score:
            best, best_score = sep, score
    return best


def _xlsx_rows(data: bytes, name: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or password-protected workbook: said in French
        raise ValidationError(
            FIELD,
            "Le classeur « {name} » est illisible (fichier endommagé ou protégé).",
            name=name,
        ) from None
    try:
        sheet = book.worksheets[0]
        return [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def cell_text(value: Any) -> str:
    """What a French user would have typed in the cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        # Excel stores 12.5 as a binary float: its shortest repr is what was typed.
        value = Decimal(repr(value))
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    return str(value).strip()


def _header_index(numbered: list[tuple[int, list[str]]]) -> int:
    """The header is the first row filled like the table: a title (« Liste des clients »,
    an export date) above it is skipped."""
    filled = [sum(1 for c in row if c) for _n, row in numbered[:20]]
    wanted = max(2, (max(filled) + 1) // 2)
    return next((i for i, count in enumerate(filled) if count >= wanted), 0)


def _table(rows: list[list[str]]) -> Table:
    rows = [[c.strip() for c in row] for row in rows]
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(row)]
    if not numbered:
        raise ValidationError(FIELD, "Le fichier est vide : aucune ligne d'en-tête trouvée.")
    start = _header_index(numbered)
    (_, header), data = numbered[start], numbered[start + 1 :]
    while header and not header[-1]:
        header = header[:-1]
    if len(data) > MAX_ROWS:
        raise ValidationError(
            FIELD,
            "Le fichier compte {n} lignes : importez-le en plusieurs fois (au plus {max}).",
            n=len(data),
            max=MAX_ROWS,
        )
    width = len(header)
    return Table(
        tuple(header),
        tuple((n, tuple((row + [""] * width)[:width])) for n, row in data),
        overflow=frozenset(n for n, row in data if any(row[width:])),
    )
