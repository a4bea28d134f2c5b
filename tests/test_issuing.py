"""Issuing: continuous numbers, immutability, hash chain, concurrency, crash, credit notes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from app.billing.chain import verify_chain
from app.billing.contracts import ContractForm, LineForm, activate, create_contract
from app.billing.credit_notes import create_credit_note, creditable_lines
from app.billing.invoices import (
    DraftLine,
    create_draft_invoice,
    delete_draft_invoice,
    update_draft_invoice,
)
from app.billing.issuing import issue_invoices
from app.billing.runs import issue_period, run_month
from app.check import run_checks
from app.db import Database, open_database
from app.errors import PermissionDenied, StateError, ValidationError
from app.numbering import check_continuity
from app.users import create_user
from models.billing import BillingLedger
from models.invoices import Invoice, InvoiceLine, InvoiceStatus
from tests import billing_fixtures as bf
from tests.run_templates import build_empty, private_copy

D = dt.date
ROOT = Path(__file__).resolve().parent.parent


def _many_contracts(db: Database, n: int) -> None:
    with db.write() as s:
        bf.firm(s)
        art = bf.article(s, "ENT", "Entretien")
        for i in range(n):
            c = bf.client(s, f"C{i:04d}")
            k = create_contract(
                s,
                ContractForm(client_id=c.id, start_date=D(2026, 1, 1) + dt.timedelta(days=i % 200)),
                [
                    LineForm(
                        "Entretien", Decimal(1), Decimal(500 + i), "monthly", "advance", art.id
                    ),
                    LineForm("Vitres", Decimal(1), Decimal(90), "quarterly", "arrears", art.id),
                ],
                today=D(2026, 1, 1),
            )
            activate(s, k.id)


def _cli(db_path: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PROPREO_USER="", PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "app", "--db", str(db_path), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _issued(db_path: Path) -> list[tuple[str, int, str]]:
    con = sqlite3.connect(db_path)
    try:
        return con.execute(
            "SELECT number, client_id, total_ttc FROM invoices WHERE status='issued' ORDER BY number"
        ).fetchall()
    finally:
        con.close()


def test_issue_numbers_freezes_and_chains(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        bf.three_line_contract(s, bf.client(s))
    for period in ("2026-01", "2026-02", "2026-03"):
        with db.write() as s:
            run_month(s, period)
            issue_period(s, period)
    with db.read() as s:
        invoices = list(s.scalars(select(Invoice).order_by(Invoice.chain_index)))
        assert [i.number for i in invoices] == ["FA2026-00001", "FA2026-00002", "FA2026-00003"]
        assert invoices[1].previous_hash == invoices[0].content_hash
        assert json.loads(invoices[0].client_snapshot)["name"] == "Société Dupont"
        assert json.loads(invoices[0].seller_snapshot)["name"] == "Lumière Propreté Services"
        assert verify_chain(s) == []
        assert all(not r.problems for r in check_continuity(s))
    # The ORM refuses any change to an issued invoice ...
    with pytest.raises(StateError, match="FA2026-00002"), db.write() as s:
        inv = s.scalar(select(Invoice).where(Invoice.number == "FA2026-00002"))
        inv.total_ht = Decimal("1.00")
        s.flush()
    with pytest.raises(StateError), db.write() as s:
        delete_draft_invoice(
            s, s.scalar(select(Invoice.id).where(Invoice.number == "FA2026-00002"))
        )
    with pytest.raises(StateError, match="ajout de ligne"), db.write() as s:
        inv = s.scalar(select(Invoice).where(Invoice.number == "FA2026-00002"))
        inv.lines.append(InvoiceLine(position=9, description="Ajout", total_ht=Decimal("1.00")))
        s.flush()
    # ... and so does the database itself (SQLite or PostgreSQL), for any other program.
    for sql in (
        "UPDATE invoices SET total_ht = 100 WHERE number = 'FA2026-00002'",
        "DELETE FROM invoice_lines WHERE invoice_id = 2",
        "DELETE FROM invoices WHERE number = 'FA2026-00002'",
    ):
        with pytest.raises(DBAPIError, match="interdite"), db.engine.begin() as con:
            con.exec_driver_sql(sql)


@pytest.mark.sqlite_only
def test_tampering_with_the_file_makes_check_fail_naming_the_invoice(
    db: Database, tmp_path: Path
) -> None:
    with db.write() as s:
        bf.firm(s)
        bf.three_line_contract(s, bf.client(s))
    for period in ("2026-01", "2026-02", "2026-03"):
        with db.write() as s:
            run_month(s, period)
            issue_period(s, period)
    assert run_checks(db).ok
    db.dispose()
    con = sqlite3.connect(db.path)
    con.execute("DROP TRIGGER trg_invoices_issued_update")
    con.execute("UPDATE invoices SET total_ht = total_ht + 100 WHERE number = 'FA2026-00002'")
    con.commit()
    con.close()
    proc = _cli(db.path, "check")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    problems = [line for line in (out + err).splitlines() if "Chaînage" in line]
    assert len(problems) == 1 and "Facture FA2026-00002" in problems[0], out + err


def test_drafts_edit_delete_and_manual_invoice(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        bf.three_line_contract(s, client)
        run = run_month(s, "2026-01")
        manual = create_draft_invoice(
            s,
            client.id,
            [
                DraftLine("Nettoyage après sinistre", Decimal("3"), Decimal("45.50")),
                DraftLine("Produits", Decimal(1), Decimal("12.30")),
            ],
            issue_date=D(2026, 1, 20),
        )
        assert (manual.total_ht, manual.total_vat, manual.total_ttc) == (
            Decimal("148.80"),
            Decimal("29.76"),
            Decimal("178.56"),
        )
        update_draft_invoice(
            s, manual.id, [DraftLine("Nettoyage après sinistre", Decimal("4"), Decimal("45.50"))]
        )
        assert manual.total_ht == Decimal("182.00")
        with pytest.raises(StateError):
            update_draft_invoice(s, run.invoice_ids[0], [DraftLine("x", 1, 1)])
        delete_draft_invoice(s, run.invoice_ids[0])
        assert s.scalar(select(func.count()).select_from(BillingLedger)) == 0
        # Deleting the draft made its periods billable again.
        assert run_month(s, "2026-01").total_ht == Decimal("1038.06")
        numbers = issue_invoices(s, [manual.id])
        assert numbers == ["FA2026-00001"]


def test_only_billing_roles_may_issue(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        sales = create_user(s, "paul", "Paul Commercial", role="commercial")
        inv = create_draft_invoice(
            s, client.id, [DraftLine("Prestation", 1, 10)], issue_date=D(2026, 1, 5)
        )
        sales_id, inv_id = sales.id, inv.id
    db.user_id = sales_id
    with pytest.raises(PermissionDenied), db.write() as s:
        issue_invoices(s, [inv_id])
    with db.read() as s:
        assert s.get(Invoice, inv_id).status == InvoiceStatus.DRAFT


def test_credit_notes_full_partial_and_never_beyond_what_remains(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        bf.three_line_contract(s, bf.client(s))
        run_month(s, "2026-03")
        (number,) = issue_period(s, "2026-03")
        invoice = s.scalar(select(Invoice).where(Invoice.number == number))
        first_line = invoice.lines[0]
        partial = create_credit_note(
            s,
            invoice.id,
            issue_date=D(2026, 4, 2),
            amounts={first_line.id: "100"},
            reason="Geste commercial",
        )
        issue_invoices(s, [partial.id])
        assert partial.number == "AV2026-00001"
        assert "FA2026-00001 du 31/03/2026" in partial.title
        assert (partial.total_ht, partial.total_ttc) == (Decimal("100.00"), Decimal("120.00"))
        with pytest.raises(ValidationError, match="dépasse"):
            create_credit_note(
                s, invoice.id, issue_date=D(2026, 4, 3), amounts={first_line.id: "558.07"}
            )
        full = create_credit_note(s, invoice.id, issue_date=D(2026, 4, 3))
        issue_invoices(s, [full.id])
        assert full.number == "AV2026-00002"
        assert full.total_ht == invoice.total_ht - Decimal("100.00")
        assert all(c.remaining == 0 for c in creditable_lines(s, invoice.id))
        with pytest.raises(ValidationError, match="rien à créditer"):
            create_credit_note(s, invoice.id, issue_date=D(2026, 4, 4))
        assert verify_chain(s) == []


def _build_firm_and_reference_run(folder: Path) -> None:
    """``firm.db``: the firm of 150 contracts, nothing billed yet; ``single.db``: the same
    after one month-end run of June with validation, alone (``single.json``: its output)."""
    build_empty(folder)
    firm = folder / "firm.db"
    (folder / "empty.db").rename(firm)
    db = open_database(firm)
    _many_contracts(db, 150)
    db.dispose()
    shutil.copyfile(firm, folder / "single.db")
    one = _cli(
        folder / "single.db", "billing", "run", "--period", "2026-06", "--validate", "--json"
    )
    out, err = one.communicate(timeout=300)
    assert one.returncode == 0, err
    (folder / "single.json").write_text(out)


@pytest.fixture(scope="session")
def firm_and_reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per test run (tests/run_templates.py), this worker's copy: the two
    process tests below start from the same firm and compare with the same lone run."""
    return private_copy(tmp_path_factory, "firm150", _build_firm_and_reference_run)


def _firm_of_150(reference: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, object]]:
    """This test's copies: the firm to bill, the lone run's base, the lone run's output."""
    firm, single = tmp_path / "firm.db", tmp_path / "single.db"
    shutil.copyfile(reference / "firm.db", firm)
    shutil.copyfile(reference / "single.db", single)
    return firm, single, json.loads((reference / "single.json").read_text())


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_two_processes_issue_together_what_one_run_issues(
    firm_and_reference_run: Path, tmp_path: Path
) -> None:
    path, single, reference = _firm_of_150(firm_and_reference_run, tmp_path)
    assert reference["created"] == 150 and reference["issued"] == 150

    procs = [
        _cli(path, "billing", "run", "--period", "2026-06", "--validate", "--json")
        for _ in range(2)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert sum(r["created"] for r in results) == 150
    assert sorted(n for r in results for n in r["numbers"]) == reference["numbers"]
    assert _issued(path) == _issued(single)
    again = _cli(path, "billing", "run", "--period", "2026-06", "--json")
    out, _err = again.communicate(timeout=300)
    assert json.loads(out)["created"] == 0
    check = _cli(path, "check")
    check.communicate(timeout=300)
    assert check.returncode == 0


# Not ``slow`` (run first): started beside the test above, it would only wait for the
# shared firm that test builds; later in the run it finds it built.
@pytest.mark.sqlite_only
def test_killing_a_run_midway_then_rerunning_completes_it_without_duplicates(
    firm_and_reference_run: Path, tmp_path: Path
) -> None:
    path, single, _reference = _firm_of_150(firm_and_reference_run, tmp_path)
    for delay in (1.5, 2.5):
        victim = _cli(path, "billing", "run", "--period", "2026-06", "--validate", "--json")
        time.sleep(delay)
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=60)
    rerun = _cli(path, "billing", "run", "--period", "2026-06", "--validate", "--json")
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert _issued(path) == _issued(single)
    con = sqlite3.connect(path)
    dup = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM billing_ledger GROUP BY contract_line_id, period_start, revision HAVING count(*) > 1)"
    ).fetchone()[0]
    drafts = con.execute("SELECT count(*) FROM invoices WHERE status = 'draft'").fetchone()[0]
    con.close()
    assert dup == 0 and drafts == 0
    db2 = open_database(path)
    try:
        assert run_checks(db2).ok
    finally:
        db2.dispose()
