"""FEC writer (Fichier des Écritures Comptables, art. A47 A-1 du LPF) from plain entries.

18 columns in the legal order, tab separated, dates AAAAMMJJ, decimal comma without
thousands separator, ISO-8859-15, one header line, file named ``<SIREN>FEC<AAAAMMJJ>.txt``
after the closing date. Entries are sorted chronologically and numbered continuously per
journal; an unbalanced entry is refused, never written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from app.errors import DocumentInvalid
from app.money import ZERO, round_money
from app.storage import write_file

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
ENCODING = "iso-8859-15"


@dataclass(frozen=True)
class FecLine:
    account: str
    account_label: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    aux_account: str = ""
    aux_label: str = ""
    label: str = ""  # defaults to the entry label
    letter: str = ""
    letter_date: dt.date | None = None
    # Matching key of a 411 line (not written): the number of the invoice it belongs to or
    # settles (a credit note: the invoice it cites), or the payment's number for money not
    # allocated; of a 4191 line, the down-payment invoice. Lines of one (sub-)account
    # sharing a key form one lettering group.
    item: str = ""


@dataclass(frozen=True)
class FecEntry:
    journal: str  # e.g. VT, BQ
    journal_label: str
    date: dt.date
    piece_ref: str
    piece_date: dt.date
    label: str
    lines: tuple[FecLine, ...]
    valid_date: dt.date | None = None
    number: str = ""  # assigned by number_entries

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit


@dataclass
class FecFile:
    path: Path
    entries: list[FecEntry] = field(default_factory=list)

    @property
    def line_count(self) -> int:
        return sum(len(e.lines) for e in self.entries)


def fec_file_name(siren: str, closing: dt.date) -> str:
    return f"{siren}FEC{closing:%Y%m%d}.txt"


def amount(value: Decimal) -> str:
    return f"{round_money(value):f}".replace(".", ",")


# Typography outside ISO-8859-15 mapped to its plain equivalent (never a "?" in the file).
_LATIN9 = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‑": "-",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "→": "->",
        "\u202f": " ",
        "\u00a0": " ",
        "•": "-",
    }
)


def latin9(text: str) -> str:
    """``text`` with every character ISO-8859-15 lacks transliterated, never dropped:
    typography mapped above, fractions spelt out (« ½ » → « 1/2 »), accented or stroked
    Latin letters reduced to their base letter (« Ł » → « L »), « ? » as a last resort."""
    text = text.translate(_LATIN9)
    try:
        text.encode(ENCODING)
        return text
    except UnicodeEncodeError:
        return "".join(_transliterated(c) for c in text)


def _transliterated(char: str) -> str:
    import unicodedata

    try:
        char.encode(ENCODING)
        return char
    except UnicodeEncodeError:
        pass
    # NFKD spells out fractions (½ → 1⁄2) and splits accents from their letter.
    plain = unicodedata.normalize("NFKD", char).replace("\u2044", "/")
    kept = plain.encode(ENCODING, errors="ignore").decode(ENCODING)
    if kept.strip(" "):
        return kept
    # Letters without a decomposition (Ł, Đ, Ħ…): the base letter their name gives.
    name = unicodedata.name(char, "")
    for prefix, case in (("LATIN CAPITAL LETTER ", str.upper), ("LATIN SMALL LETTER ", str.lower)):
        if name.startswith(prefix):
            return case(name[len(prefix)])
    return "?"


def _clean(value: str) -> str:
    """No tab, no line break inside a field; only ISO-8859-15 characters."""
    return latin9(" ".join(str(value).replace("\t", " ").split()))


def _date(value: dt.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


OPENING_JOURNAL = "AN"


def number_entries(entries: Iterable[FecEntry]) -> list[FecEntry]:
    """Chronological order, opening entries (AN) first on their day; continuous numbering
    per journal (VT000001, VT000002…)."""
    ordered = sorted(
        entries, key=lambda e: (e.date, e.journal != OPENING_JOURNAL, e.journal, e.piece_ref)
    )
    counters: dict[str, int] = {}
    result = []
    for entry in ordered:
        counters[entry.journal] = counters.get(entry.journal, 0) + 1
        result.append(replace(entry, number=f"{entry.journal}{counters[entry.journal]:06d}"))
    return result


def check_entries(entries: Iterable[FecEntry]) -> None:
    for entry in entries:
        if not entry.lines:
            raise DocumentInvalid("Écriture {ref} sans ligne.", ref=entry.piece_ref)
        if not entry.balanced:
            raise DocumentInvalid(
                "Écriture {ref} du {date} déséquilibrée : débit {debit}, crédit {credit}.",
                ref=entry.piece_ref,
                date=f"{entry.date:%d/%m/%Y}",
                debit=amount(entry.debit),
                credit=amount(entry.credit),
            )
        for line in entry.lines:
            if line.debit < 0 or line.credit < 0:
                raise DocumentInvalid(
                    "Écriture {ref} : montant négatif sur le compte {account}.",
                    ref=entry.piece_ref,
                    account=line.account,
                )


def fec_rows(entries: list[FecEntry]) -> list[list[str]]:
    cache: dict[str, str] = {}  # labels and names repeat on thousands of lines

    def _text(value: str) -> str:
        if value not in cache:
            cache[value] = _clean(value)
        return cache[value]

    rows = []
    for e in entries:
        for line in e.lines:
            rows.append(
                [
                    e.journal,
                    _text(e.journal_label),
                    e.number,
                    _date(e.date),
                    line.account,
                    _text(line.account_label),
                    _text(line.aux_account),
                    _text(line.aux_label),
                    _text(e.piece_ref),
                    _date(e.piece_date),
                    _text(line.label or e.label),
                    amount(line.debit),
                    amount(line.credit),
                    line.letter,
                    _date(line.letter_date),
                    _date(e.valid_date or e.date),
                    "",
                    "",
                ]
            )
    return rows


def without_zero_lines(entry: FecEntry) -> FecEntry:
    """Drop lines with neither debit nor credit (e.g. a 411 line reduced to 0 by deducted
    down-payments). An entry left without any line (a document of zero amount) is not
    booked at all: :func:`write_fec` leaves it out rather than write an empty entry."""
    lines = tuple(line for line in entry.lines if line.debit or line.credit)
    return replace(entry, lines=lines) if len(lines) != len(entry.lines) else entry


def write_fec(entries: Iterable[FecEntry], siren: str, closing: dt.date, out_dir: Path) -> FecFile:
    kept = (e for e in map(without_zero_lines, entries) if e.lines)
    numbered = number_entries(kept)
    check_entries(numbered)
    path = out_dir / fec_file_name(siren, closing)
    lines = ["\t".join(COLUMNS)] + ["\t".join(row) for row in fec_rows(numbered)]
    write_file(path, ("\r\n".join(lines) + "\r\n").encode(ENCODING))  # whole or not at all
    return FecFile(path, numbered)
