"""Signed monthly closings (issue T §6): a consistent forgery (an amount changed, every
hash recomputed with the application's own function) passes the chain check but not the
closing's signature; the key lives outside the base (0600 file without a keyring)."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import select

from app.billing.chain import HASH_VERSION, content_hash, verify_chain
from app.billing.runs import run_month
from app.check import run_checks
from app.closings import close_month, fingerprint, key_file, verify_closings
from app.db import Database, open_database
from app.documents.accounting import export_sales_journal
from app.errors import StateError, ValidationError
from models.invoices import Invoice, InvoiceLine

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def demo(demo_db_file: Path, tmp_path: Path) -> Iterator[Database]:
    """The demo firm (documents issued January 2025 to August 2026), no system keyring."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    path = shutil.copyfile(demo_db_file, tmp_path / "demo.db")
    shutil.copytree(demo_db_file.with_name("demo.db.files"), tmp_path / "demo.db.files")
    db = open_database(path)
    yield db
    db.dispose()
    keyring.set_keyring(previous)


def _forge(db: Database, chain_index: int, cents: int) -> None:
    """Add ``cents`` to a line and the totals of document ``chain_index``, then recompute
    every hash from it onwards with the application's own function, as a forger would."""
    file = str(db.engine.url.database)
    db.dispose()
    with sqlite3.connect(file) as conn:
        # the forger has the file: the guards of issued documents are dropped first
        triggers = conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall()
        for (trigger,) in triggers:
            conn.execute(f"DROP TRIGGER {trigger}")
        inv_id, line_id = conn.execute(
            "SELECT i.id, MIN(l.id) FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id "
            "WHERE i.chain_index = ? GROUP BY i.id",
            (chain_index,),
        ).fetchone()
        conn.execute(
            "UPDATE invoice_lines SET total_ht = total_ht + ? WHERE id = ?", (cents, line_id)
        )
        conn.execute(
            "UPDATE invoices SET total_ht = total_ht + ?, total_ttc = total_ttc + ?, "
            "amount_due = amount_due + ? WHERE id = ?",
            (cents, cents, cents, inv_id),
        )
    hashes = []
    with db.read() as s:
        invoices = s.scalars(
            select(Invoice).where(Invoice.chain_index >= chain_index).order_by(Invoice.chain_index)
        ).all()
        previous = s.scalar(
            select(Invoice.content_hash).where(Invoice.chain_index == chain_index - 1)
        )
        for invoice in invoices:
            lines = s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
            invoice.previous_hash = previous
            previous = content_hash(invoice, lines, HASH_VERSION)
            hashes.append((previous, invoice.previous_hash, invoice.id))
        s.rollback()
    db.dispose()
    with sqlite3.connect(file) as conn:
        conn.executemany(
            "UPDATE invoices SET content_hash = ?, previous_hash = ? WHERE id = ?", hashes
        )


def test_consistent_forgery_in_a_closed_month_is_caught(demo: Database) -> None:
    with demo.write() as s:
        closing = close_month(s, "2026-03")
        assert (closing.chain_count, len(closing.signature)) == (229, 128)
    assert run_checks(demo).ok

    _forge(demo, 100, 10_000)  # August 2025: one line and the totals, +100,00 €

    with demo.read() as s:
        assert verify_chain(s) == []  # the chain alone cannot see it: it was recomputed
        assert verify_closings(s) == [
            "Clôture 2026-03 : la chaîne jusqu'au document de rang 229 ne correspond plus à "
            "l'empreinte signée (document d'un mois clos modifié ou supprimé)."
        ]
    assert "Clôture 2026-03" in " ".join(run_checks(demo).problems)


def test_forgery_after_the_last_closing_is_not_caught_by_it(demo: Database) -> None:
    """What the closing does not protect: a month not closed yet."""
    with demo.write() as s:
        close_month(s, "2026-03")
    _forge(demo, 300, 10_000)  # July 2026, not closed
    with demo.read() as s:
        assert verify_chain(s) == [] and verify_closings(s) == []


def test_key_file_is_private_and_signature_edits_are_caught(demo: Database) -> None:
    with demo.write() as s:
        close_month(s, "2026-01")
    assert stat.S_IMODE(key_file().stat().st_mode) == 0o600
    file = str(demo.engine.url.database)
    demo.dispose()
    with sqlite3.connect(file) as conn:  # a forger moves the signed head back one document
        conn.execute("UPDATE closings SET chain_count = chain_count - 1")
    with demo.read() as s:
        problems = verify_closings(s)
    assert problems[0] == "Clôture 2026-01 : signature invalide (clôture modifiée)."


def test_closing_refusals(demo: Database) -> None:
    with demo.write() as s:
        run_month(s, "2026-09")  # drafts dated 30/09/2026
    with demo.write() as s, pytest.raises(StateError, match="brouillon"):
        close_month(s, "2026-09")
    with demo.write() as s, pytest.raises(ValidationError, match="n'est pas terminé"):
        close_month(s, "2099-01")
    with demo.write() as s, pytest.raises(ValidationError, match="AAAA-MM"):
        close_month(s, "2026-3")
    with demo.write() as s:
        close_month(s, "2026-02")
    with demo.write() as s, pytest.raises(StateError, match="déjà clôturé"):
        close_month(s, "2026-02")


def test_fingerprint_on_the_sales_journal(demo: Database, tmp_path: Path) -> None:
    import datetime as dt

    with demo.write() as s:
        mark = fingerprint(close_month(s, "2026-02"))
    with demo.read() as s:
        out = export_sales_journal(s, dt.date(2026, 2, 1), dt.date(2026, 2, 28), tmp_path / "v.csv")
    last = out.read_text("utf-8-sig").splitlines()[-1]
    assert last.startswith(f"28/02/2026;2026-02;Clôture mensuelle;;Empreinte {mark} (209 document")
