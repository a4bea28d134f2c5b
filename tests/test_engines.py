"""What PostgreSQL got wrong and SQLite hid, tested on whichever engine the suite runs
against (SQLite by default, PostgreSQL with PROPREO_TEST_PG_URL: see tests/pg.py)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.billing.credit_notes import issue_credit_note
from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.issuing import issue_invoices
from app.billing.ledger_rows import invoice_balances
from app.billing.runs import issue_period, run_month
from app.check import run_checks
from app.db import Database, open_database
from app.errors import DatabaseError
from models.clients import Client
from models.contracts import Contract
from models.invoices import Invoice, InvoiceLine
from tests import billing_fixtures as bf
from tests.pg import target_of

ROOT = Path(__file__).resolve().parent.parent
D = dt.date


def _firm_with_contract(db: Database) -> tuple[int, int]:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        bf.three_line_contract(s, client, bf.site(s, client))
        article = bf.article(s, "PAS", "Passage", "10")
        return client.id, article.id


def test_balance_of_invoices_less_credit_notes_per_client(db: Database) -> None:
    # PostgreSQL refused ``GROUP BY kind = :p`` beside ``SELECT kind = :p`` (GroupingError).
    client_id, _article = _firm_with_contract(db)
    with db.write() as s:
        (invoice_id,) = run_month(s, "2026-02").invoice_ids  # January (prorata) and February
        issue_period(s, "2026-02")
    with db.write() as s:
        line_id = s.scalars(
            select(InvoiceLine.id).where(InvoiceLine.invoice_id == invoice_id)
        ).first()
    issue_credit_note(db, invoice_id, issue_date=D(2026, 3, 2), amounts={line_id: "100.00"})
    with db.read() as s:
        # 2 685,67 € TTC invoiced, less a credit note of 100 € HT + 20 % VAT.
        assert invoice_balances(s, [client_id]) == {client_id: Decimal("2565.67")}


def test_a_manual_invoice_after_a_run_gets_the_next_ids(db: Database) -> None:
    # The run wrote MAX(id)+1 ids without moving PostgreSQL's sequences: the next invoice
    # made the ordinary way got id 1 again (UniqueViolation on pk_invoices).
    client_id, article_id = _firm_with_contract(db)
    with db.write() as s:
        run_ids = run_month(s, "2026-02").invoice_ids
        issue_period(s, "2026-02")
    with db.write() as s:
        manual = create_draft_invoice(
            s,
            client_id,
            [DraftLine("Passage", Decimal(2), Decimal(10), article_id)],
            issue_date=D(2026, 3, 2),
        )
        assert issue_invoices(s, [manual.id]) == ["FA2026-00002"]
        manual_id, manual_line = manual.id, manual.lines[0].id
    with db.read() as s:
        run_lines = list(
            s.scalars(select(InvoiceLine.id).where(InvoiceLine.invoice_id.in_(run_ids)))
        )
    assert manual_id > max(run_ids) and manual_line > max(run_lines)
    with db.write() as s:  # and the next run after the manual invoice
        later = run_month(s, "2026-03").invoice_ids
    assert min(later) > manual_id


def test_a_writer_waits_for_the_other_then_says_so_in_french(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.db.BUSY_TIMEOUT_MS", 300)
    other = open_database(target_of(db))
    try:
        with db.write() as first:
            first.connection()  # holds the write lock (BEGIN IMMEDIATE / advisory lock)
            with (
                pytest.raises(DatabaseError, match="occupée par un autre poste"),
                other.write() as s,
            ):
                s.connection()
        with other.write() as s:  # released by the commit
            s.connection()
    finally:
        other.dispose()


RUN = """
import sys
from app.cli import main
sys.exit(main(["--db", sys.argv[1], "billing", "run", "--period", "2026-03", "--validate"]))
"""


@pytest.mark.slow
def test_three_simultaneous_month_end_runs_make_one_set_of_invoices(db: Database) -> None:
    _firm_with_contract(db)
    target = target_of(db)
    db.dispose()
    env = dict(os.environ, PROPREO_USER="", PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RUN, target],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert all("Traceback" not in err for _out, err in outs)
    with db.read() as s:
        numbers = sorted(s.scalars(select(Invoice.number).where(Invoice.number.is_not(None))))
    # One invoice for the catch-up of January to March, numbered once: no duplicate, no gap.
    assert numbers == ["FA2026-00001"]
    assert run_checks(db).ok


@pytest.mark.slow  # builds the demo on the engine itself (PostgreSQL: the only such build)
def test_a_demo_that_fails_midway_leaves_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``init --demo`` wrote step after step: a failure in the billing history left a firm
    # with clients and contracts but no invoices, which ``check`` called consistent.
    from app.demo import DEMO_TODAY, billing_history
    from app.demo import build as demo

    def broken(session, ctx):  # type: ignore[no-untyped-def]
        raise DatabaseError("Connexion au serveur perdue.")

    monkeypatch.setattr(billing_history, "load", broken)
    with pytest.raises(DatabaseError, match="perdue"):
        demo.load_demo(db, as_of=DEMO_TODAY)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Client)) == 0
        assert s.scalar(select(func.count()).select_from(Contract)) == 0
    assert not demo.is_loaded(db)
    monkeypatch.undo()
    assert demo.load_demo(db, as_of=DEMO_TODAY) is True
    assert run_checks(db).ok
