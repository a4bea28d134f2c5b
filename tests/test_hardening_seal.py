"""Issue T §5: printed but not sealed.

Seen: ``invoices.notes`` (printed in the PDF and the Factur-X note), ``title``,
``issued_at``, ``issued_by_id`` and the lines' ``vat_exemption_code`` were outside the
hash: an issued invoice was given a note « Nouvel IBAN : FR76 … » that ``check`` did not
see and the export printed.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from app.check import run_checks
from app.db import open_database
from tests.test_hardening_register import issued_file  # noqa: F401  (module fixture)

CHANGES = [
    ("invoices", "notes", "'Nouvel IBAN : FR76 3000 6000 0112 3456 7890 189'"),
    ("invoices", "title", "'Contrat soldé'"),
    ("invoices", "issued_at", "'2026-01-01 00:00:00.000000'"),
    ("invoices", "issued_by_id", "999"),
    ("invoice_lines", "vat_exemption_code", "'VATEX-EU-132'"),
    ("invoice_lines", "sap", "1"),
]


@pytest.mark.parametrize(("table", "column", "value"), CHANGES)
def test_a_change_to_what_the_document_shows_is_caught(
    issued_file: Path,  # noqa: F811
    tmp_path: Path,
    table: str,
    column: str,
    value: str,
) -> None:
    path = tmp_path / "t.db"
    shutil.copyfile(issued_file, path)
    with sqlite3.connect(path) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'"):
            conn.execute(f'DROP TRIGGER "{name}"')
        invoice_id, number = conn.execute(
            "SELECT id, number FROM invoices WHERE chain_index = 2"
        ).fetchone()
        key = "id" if table == "invoices" else "invoice_id"
        conn.execute(f"UPDATE {table} SET {column} = {value} WHERE {key} = ?", (invoice_id,))
    db = open_database(path)
    try:
        problems = run_checks(db).problems
    finally:
        db.dispose()
    assert (
        f"Chaînage des factures : Facture {number} : le contenu ne correspond plus à son "
        "empreinte (modifié après émission)."
    ) in problems
