"""FEC: 18 columns, tab separated, ISO-8859-15, balanced entry by entry, continuous per
journal, named <SIREN>FEC<AAAAMMJJ>.txt; sales entries with 411 / 706x / 4457x."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import Database
from app.documents.accounting import export_fec, export_sales_journal
from app.errors import DocumentInvalid
from models.company import CompanySettings
from models.invoices import Invoice
from reports.fec import COLUMNS, FecEntry, FecLine, write_fec
from tests.documents_samples import issue_samples


def entry(ref: str, day: int, debit: str, credit: str, journal: str = "VT") -> FecEntry:
    return FecEntry(
        journal=journal,
        journal_label="Journal des ventes",
        date=dt.date(2026, 10, day),
        piece_ref=ref,
        piece_date=dt.date(2026, 10, day),
        label=f"Facture {ref} Société Générale d'Entretien – « Hôtel »\tà Lyon",
        lines=(
            FecLine("411000", "Clients", debit=D(debit), aux_account="411DUPO", aux_label="Dupont"),
            FecLine("706100", "Prestations", credit=D(credit)),
        ),
    )


def read_rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_bytes().decode("iso-8859-15").splitlines()]


def test_writer_format(tmp_path: Path) -> None:
    fec = write_fec(
        [entry("FA2", 12, "1234.50", "1234.50"), entry("FA1", 3, "10", "10")],
        "812345674",
        dt.date(2026, 12, 31),
        tmp_path,
    )
    assert fec.path.name == "812345674FEC20261231.txt"
    rows = read_rows(fec.path)
    assert rows[0] == list(COLUMNS) and len(COLUMNS) == 18
    assert all(len(r) == 18 for r in rows)
    first, second = rows[1], rows[3]
    assert first[0:4] == ["VT", "Journal des ventes", "VT000001", "20261003"]  # chronological
    assert second[2:4] == ["VT000002", "20261012"]
    assert second[11] == "1234,50" and second[12] == "0,00"
    assert second[6:8] == ["411DUPO", "Dupont"]
    assert "\t" not in "".join(second[10])  # the tab of the label was removed
    assert "« Hôtel »" in second[10]
    assert "Entretien - « Hôtel »" in second[10] and "?" not in second[10]  # en dash mapped
    fec.path.read_bytes().decode("iso-8859-15")  # the declared encoding
    with pytest.raises(UnicodeDecodeError):
        fec.path.read_bytes().decode("utf-8")  # accents are really ISO-8859-15 bytes


def test_unbalanced_entry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentInvalid, match=r"FA9.*déséquilibrée"):
        write_fec(
            [entry("FA9", 5, "100.00", "99.99")], "812345674", dt.date(2026, 12, 31), tmp_path
        )
    assert not list(tmp_path.iterdir())


def test_demo_year_fec_is_balanced_entry_by_entry(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
    with demo_db.read() as session:
        siren = session.get(CompanySettings, 1).siren
        fec = export_fec(session, 2026, tmp_path)
        numbers = {i: session.get(Invoice, i).number for i in ids.values()}
        totals = {i: session.get(Invoice, i).total_ttc for i in ids.values()}
        all_numbers = set(
            session.scalars(
                select(Invoice.number).where(
                    Invoice.number.is_not(None), Invoice.issue_date >= dt.date(2026, 1, 1)
                )
            )
        )
    assert fec.path.name == f"{siren}FEC20261231.txt"
    rows = read_rows(fec.path)[1:]
    by_entry: dict[str, list[list[str]]] = defaultdict(list)
    for row in rows:
        by_entry[row[2]].append(row)
    # Every issued document in the sales journal, nothing else (payments are in BQ/OD).
    assert {r[8] for r in rows if r[0] == "VT"} == all_numbers
    for number, lines in by_entry.items():
        debit = sum(D(r[11].replace(",", ".")) for r in lines)
        credit = sum(D(r[12].replace(",", ".")) for r in lines)
        assert debit == credit, number
    for journal in {n[:2] for n in by_entry}:
        sequence = [int(n[2:]) for n in sorted(by_entry) if n[:2] == journal]
        assert sequence == list(range(1, len(sequence) + 1))  # continuous per journal
    dates = [r[3] for r in rows]
    assert dates == sorted(dates)

    def lines_of(invoice_key: str) -> list[list[str]]:
        return [r for r in rows if r[8] == numbers[ids[invoice_key]]]

    invoice = lines_of("company")
    client = next(r for r in invoice if r[4] == "411000")
    assert client[11] == f"{totals[ids['company']]:f}".replace(".", ",") and client[6]
    assert {r[4] for r in invoice} >= {"411000", "445740"}  # VAT on payment: no debit option
    assert any(r[4].startswith("706") for r in invoice)
    credit_note = lines_of("credit_note")
    client = next(r for r in credit_note if r[4] == "411000")
    assert client[11] == "0,00" and client[12] == "144,00"  # 120 HT + 20 % reversed
    assert next(r for r in credit_note if r[4] == "445740")[11] == "24,00"
    down = lines_of("down_payment")
    assert next(r for r in down if r[4] == "419100")[12] == "900,00"


def test_vat_on_debits_uses_44571_and_sales_journal_csv(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.write() as session:
        session.get(CompanySettings, 1).vat_on_debits = True
        issue_samples(session)
    with demo_db.read() as session:
        fec = export_fec(session, 2026, tmp_path)
        csv_path = export_sales_journal(
            session, dt.date(2026, 10, 1), dt.date(2026, 10, 31), tmp_path / "ventes.csv"
        )
    rows = read_rows(fec.path)[1:]
    october = [r for r in rows if r[3].startswith("202610") and r[8].startswith(("FA", "AV"))]
    assert any(r[4] == "445710" for r in october)
    assert not any(r[4] == "445740" for r in october)
    text = csv_path.read_bytes().decode("utf-8-sig").splitlines()
    assert text[0].startswith("Date;Numéro;Type")
    assert any(";Avoir;" in line and ";-120,00;-24,00;-144,00;" in line for line in text)
