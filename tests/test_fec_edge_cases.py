"""FEC edge cases (issue N §4): characters outside ISO-8859-15 are transliterated, never
dropped; a document of zero amount is not booked as an empty entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

from reports.fec import FecEntry, FecLine, latin9, write_fec


def _entry(ref: str, label: str, amount: str) -> FecEntry:
    return FecEntry(
        journal="VT",
        journal_label="Journal des ventes",
        date=dt.date(2026, 10, 5),
        piece_ref=ref,
        piece_date=dt.date(2026, 10, 5),
        label=label,
        lines=(
            FecLine(
                "411000", "Clients", debit=D(amount), aux_account="411LUKA", aux_label="Łukasz"
            ),
            FecLine("706100", "Prestations", credit=D(amount)),
        ),
    )


def _rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_bytes().decode("iso-8859-15").splitlines()]


def test_characters_outside_latin9_are_transliterated() -> None:
    assert latin9("Vitrerie ½ journée") == "Vitrerie 1/2 journée"
    assert latin9("Łódź, Đakovo, ¼ et ¾") == "Lódz, Dakovo, 1/4 et 3/4"  # ó is in Latin-9
    assert latin9("Œuvre € « ok »") == "Œuvre € « ok »"  # in ISO-8859-15: kept as is
    assert latin9("Straße ½") == "Straße 1/2"


def test_fec_keeps_the_transliterated_text(tmp_path: Path) -> None:
    fec = write_fec(
        [_entry("FA1", "Facture FA1 Łukasz — ½ journée", "60.00")],
        "812345674",
        dt.date(2026, 12, 31),
        tmp_path,
    )
    rows = _rows(fec.path)[1:]
    assert rows[0][7] == "Lukasz"
    assert rows[0][10] == "Facture FA1 Lukasz - 1/2 journée"


def test_zero_amount_document_is_not_an_empty_entry(tmp_path: Path) -> None:
    fec = write_fec(
        [_entry("FA1", "Facture FA1", "60.00"), _entry("FA2", "Facture FA2 gratuite", "0")],
        "812345674",
        dt.date(2026, 12, 31),
        tmp_path,
    )
    rows = _rows(fec.path)[1:]
    assert {r[8] for r in rows} == {"FA1"}
    assert all(r[11] != "0,00" or r[12] != "0,00" for r in rows)
    assert [e.piece_ref for e in fec.entries] == ["FA1"]
