"""Issue dates (issue N §2): a document is dated the day it is issued, never after today, on
every issuing path, from the CLI and the app layer the GUI calls. Today is pinned: the
demo firm's history ends in August 2026 and these tests live on 7 December 2026."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import clock
from app.billing.credit_notes import create_credit_note, issue_credit_note
from app.billing.invoices import DraftLine, create_draft_invoice, update_draft_invoice
from app.billing.issue_dates import check_run_date, default_issue_date
from app.billing.issuing import issue_invoices
from app.billing.runs import run_month
from app.cli import main
from app.db import Database
from app.errors import ConfirmationRequired, ValidationError
from app.payments.down_payments import create_down_payment_invoice
from models.billing import BillingRun
from models.clients import Client
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.quotes import Quote
from tests.pg import target_of

D = dt.date
TODAY = D(2026, 12, 7)


@pytest.fixture(autouse=True)
def pinned() -> object:
    with clock.pinned(TODAY):
        yield


def _db_path(db: Database) -> str:
    return target_of(db)


def _runs(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(BillingRun)) or 0


def test_december_run_on_7_december_is_dated_today_not_31_december(
    demo_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seen: on 07/12/2026 a December run issued FA… dated 31/12/2026, after which a credit
    note dated today was refused as « antérieure au dernier document de la série »."""
    assert main(["--db", _db_path(demo_db), "billing", "run", "--period", "2026-12",
                 "--validate", "--json"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert result["issued"] > 0
    with demo_db.read() as session:
        dates = set(
            session.scalars(select(Invoice.issue_date).where(Invoice.number.in_(result["numbers"])))
        )
    assert dates == {TODAY}
    # A one-off credit note of the same day is still possible afterwards.
    with demo_db.read() as session:
        invoice = session.scalar(select(Invoice).where(Invoice.number == result["numbers"][0]))
    note = issue_credit_note(demo_db, invoice.id, issue_date=TODAY, reason="Geste commercial")
    with demo_db.read() as session:
        note_row = session.get(Invoice, note.id)
        assert (note_row.status, note_row.issue_date) == (InvoiceStatus.ISSUED, TODAY)


def test_a_past_month_is_dated_its_last_day(demo_db: Database) -> None:
    assert default_issue_date("2026-11") == D(2026, 11, 30)
    assert default_issue_date("2026-12") == TODAY
    assert default_issue_date("2027-01") == TODAY  # the coming month billed in advance
    with demo_db.write() as session:
        run_month(session, "2026-11")
        run = session.scalars(select(BillingRun).order_by(BillingRun.id.desc())).first()
        assert (run.period, run.issue_date) == ("2026-11", D(2026, 11, 30))


def test_june_2027_six_months_ahead_is_refused_unless_confirmed(
    demo_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seen: `billing run --period 2027-06 --issue-date …` issued FA2027-… without warning."""
    db = _db_path(demo_db)
    runs = _runs(demo_db)
    base = ["--db", db, "billing", "run", "--period", "2027-06", "--validate"]
    assert main([*base, "--issue-date", "2027-06-30"]) != 0
    err = capsys.readouterr().err
    assert "le 30/06/2027 est postérieur à aujourd'hui (07/12/2026)" in err
    assert main(base) != 0
    err = capsys.readouterr().err
    assert "Le mois facturé 06/2027 vient 6 mois après la date d'émission 07/12/2026" in err
    assert "Relancez avec --advance pour la confirmer." in err
    assert _runs(demo_db) == runs  # nothing written
    with demo_db.read() as session:
        assert session.scalar(select(func.count()).where(Invoice.number.like("FA2027%"))) == 0
    # Confirmed: billed in advance, dated today.
    assert main([*base, "--advance", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)["numbers"]
    assert numbers and all(n.startswith("FA2026-") for n in numbers)


def test_run_date_rule() -> None:
    assert check_run_date(TODAY, "2027-01") == TODAY  # the coming month: normal
    assert check_run_date(D(2026, 12, 2), "2026-11") == D(2026, 12, 2)  # catch-up
    with pytest.raises(ConfirmationRequired) as info:
        check_run_date(TODAY, "2027-02")
    assert info.value.field == "Date d'émission"
    assert check_run_date(TODAY, "2027-02", advance=True) == TODAY
    with pytest.raises(ConfirmationRequired):  # dated long before the month billed
        check_run_date(D(2026, 7, 31), "2026-09")
    with pytest.raises(ValidationError, match="postérieur à aujourd'hui"):
        check_run_date(D(2026, 12, 8), "2026-12", advance=True)


def test_every_issuing_path_refuses_a_date_after_today(demo_db: Database) -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    with demo_db.read() as session:
        client_id = session.scalar(select(Client.id).where(Client.code == "DUPO001")) or (
            session.scalar(select(Client.id).order_by(Client.id))
        )
        invoice_id = session.scalar(
            select(Invoice.id).where(
                Invoice.status == InvoiceStatus.ISSUED, Invoice.kind == InvoiceKind.INVOICE
            )
        )
        quote_id = session.scalar(select(Quote.id).where(Quote.status == "accepted"))
        count = session.scalar(select(func.count()).select_from(Invoice))
    line = DraftLine(description="Vitrerie exceptionnelle", quantity="1", unit_price="120")
    attempts = {
        "manual": lambda s: create_draft_invoice(s, client_id, [line], issue_date=tomorrow),
        "credit note": lambda s: create_credit_note(s, invoice_id, issue_date=tomorrow, reason="x"),
        "down-payment": lambda s: create_down_payment_invoice(
            s, quote_id=quote_id, percent="30", issue_date=tomorrow
        ),
        "run": lambda s: run_month(s, "2026-12", issue_date=tomorrow),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ValidationError) as info, demo_db.write() as session:
            attempt(session)
        assert "le 08/12/2026 est postérieur à aujourd'hui (07/12/2026)" in str(info.value), name
    with demo_db.read() as session:  # nothing written
        assert session.scalar(select(func.count()).select_from(Invoice)) == count
    # A draft made today cannot be re-dated to tomorrow, nor issued once it bears such a date
    # (e.g. a draft saved before this rule existed).
    with demo_db.write() as session:
        draft = create_draft_invoice(session, client_id, [line], issue_date=TODAY)
        draft_id = draft.id
    with pytest.raises(ValidationError), demo_db.write() as session:
        update_draft_invoice(session, draft_id, [line], issue_date=tomorrow)
    with demo_db.write() as session:
        session.get(Invoice, draft_id).issue_date = tomorrow
    with pytest.raises(ValidationError) as info, demo_db.write() as session:
        issue_invoices(session, [draft_id])
    assert "est daté du 08/12/2026, après aujourd'hui (07/12/2026)" in str(info.value)
    with demo_db.read() as session:
        draft = session.get(Invoice, draft_id)
        assert (draft.status, draft.number) == (InvoiceStatus.DRAFT, None)
        assert draft.total_ht == Decimal("120.00")
