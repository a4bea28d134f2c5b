"""Issue N §1, what was left: credit notes and down-payment invoices issued from their own
dialogs are validated *before* the transaction that numbers them (not by the safety net
inside it), after a confirmation saying what will be numbered; a refused one stays a
draft, with the rule and what to change. And nothing is issued into a closed month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app import closings
from app.billing.checked_issue import issue_checked
from app.billing.credit_notes import create_credit_note
from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.issuing import issue_invoices
from app.billing.runs import run_month
from app.cli import main
from app.db import Database
from app.errors import ValidationError
from models.company import CompanySettings
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.quotes import Quote
from tests import billing_fixtures as bf
from tests.dialogs import ACCEPT, REJECT, answer
from tests.pg import target_of
from tests.write_spy import validations_while_writing
from ui.billing_dialogs import CreditNoteDialog
from ui.down_payment import issue_down_payment
from ui.main_window import MainWindow

D = dt.date
NOVEMBER_5 = D(2026, 11, 5)


@pytest.fixture
def validated_while_writing(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per validation run: whether a write transaction was open at the time."""
    return validations_while_writing(monkeypatch)


def _issued_invoice(db: Database, day: dt.date = NOVEMBER_5) -> int:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s, code="BONN001")
        draft = create_draft_invoice(
            s, client.id, [DraftLine("Remise en état des sols", 1, Decimal("100"))], issue_date=day
        ).id
    assert issue_checked(db, [draft]).numbers == [f"FA{day.year}-00001"]
    return draft


def _credit_notes(db: Database) -> list[Invoice]:
    with db.read() as s:
        return list(s.scalars(select(Invoice).where(Invoice.kind == InvoiceKind.CREDIT_NOTE)))


def _dialog(qtbot: QtBot, db: Database, invoice_id: int) -> CreditNoteDialog:
    window = MainWindow(db)
    qtbot.addWidget(window)
    dialog = CreditNoteDialog(window.ctx, invoice_id, window)
    qtbot.addWidget(dialog)
    dialog.full.setChecked(False)
    dialog.set_amount(0, "40")
    dialog.date.setDate(D(2026, 11, 20))
    return dialog


def test_credit_note_dialog_confirms_then_validates_outside_the_numbering_transaction(
    qtbot: QtBot, db: Database, validated_while_writing: list[bool]
) -> None:
    invoice_id = _issued_invoice(db)
    validated_while_writing.clear()
    dialog = _dialog(qtbot, db, invoice_id)
    seen: list[str] = []
    answer(ACCEPT, seen=seen)
    dialog.save()
    assert dialog.note_number == "AV2026-00001"
    # The confirmation said what would be numbered, with its date and amount.
    assert "Avoirs : 1 (AV2026-00001)" in seen[0]
    assert "Date d'émission : 20/11/2026" in seen[0]
    assert "Total : 40,00 € HT — 48,00 € TTC" in seen[0].replace("\u202f", " ").replace("\xa0", " ")
    # Validated once, while no write transaction was open (not inside the numbering one).
    assert validated_while_writing == [False]
    [note] = _credit_notes(db)
    assert (note.number, note.status, note.total_ttc) == (
        "AV2026-00001",
        InvoiceStatus.ISSUED,
        Decimal("48.00"),
    )
    assert note.origin_invoice_id == invoice_id


def test_credit_note_dialog_cancelled_writes_nothing(qtbot: QtBot, db: Database) -> None:
    invoice_id = _issued_invoice(db)
    dialog = _dialog(qtbot, db, invoice_id)
    answer(REJECT)
    dialog.save()
    assert dialog.note_number is None
    assert _credit_notes(db) == []  # no draft left behind, no number taken


def test_refused_credit_note_stays_a_draft_with_what_to_change(qtbot: QtBot, db: Database) -> None:
    invoice_id = _issued_invoice(db)
    with db.write() as s:
        s.get(CompanySettings, 1).siren = ""  # the firm's identity emptied since
    dialog = _dialog(qtbot, db, invoice_id)
    answer(ACCEPT)
    dialog.save()
    assert dialog.note_number is None
    message = dialog.error.text()
    assert "restés brouillons (sans numéro)" in message
    assert "règle MENTION-VENDEUR" in message and "Paramètres › Société" in message
    [note] = _credit_notes(db)
    assert (note.status, note.number) == (InvoiceStatus.DRAFT, None)


def _accepted_quote(db: Database) -> int:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s, code="MART001")
        quote = Quote(
            client_id=client.id, number="DE2026-00007", title="Remise en état après travaux",
            quote_date=D(2026, 11, 2), validity_date=D(2026, 12, 31),
            total_ht=Decimal("1250.00"), status="accepted",
        )  # fmt: skip
        s.add(quote)
        s.flush()
        return quote.id


def test_down_payment_confirms_then_validates_outside_the_numbering_transaction(
    qtbot: QtBot,
    db: Database,
    validated_while_writing: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quote_id = _accepted_quote(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    seen: list[str] = []
    answer(ACCEPT, seen=seen)
    issued = issue_down_payment(window, window.ctx, D(2026, 11, 20), quote_id=quote_id, text="30 %")
    assert issued is not None and issued.number == "FA2026-00001"
    assert "Factures : 1 (FA2026-00001)" in seen[0]
    assert validated_while_writing == [False]
    assert told[0].startswith("Facture d'acompte FA2026-00001 émise : 450,00")
    with db.read() as s:
        dp = s.get(Invoice, issued.id)
        assert (dp.kind, dp.status, dp.total_ht) == (
            InvoiceKind.DOWN_PAYMENT,
            InvoiceStatus.ISSUED,
            Decimal("375.00"),
        )


def test_down_payment_cancelled_writes_nothing(qtbot: QtBot, db: Database) -> None:
    quote_id = _accepted_quote(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    answer(REJECT)
    issued = issue_down_payment(window, window.ctx, D(2026, 11, 20), quote_id=quote_id, text="30 %")
    assert issued is None
    with db.read() as s:
        assert s.scalar(select(func.count(Invoice.id))) == 0


# --- a closed month ------------------------------------------------------------------------


@pytest.fixture
def closed_october(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The firm with an October invoice, October closed (key in a private file here)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(closings, "key_file", lambda: tmp_path / "cle.key")
    invoice_id = _issued_invoice(db, D(2026, 10, 5))
    with db.write() as s:
        closings.close_month(s, "2026-10", today=D(2026, 12, 7))
    yield invoice_id
    keyring.set_keyring(previous)


CLOSED = "Le mois 10/2026 est clôturé"


def test_nothing_is_dated_in_a_closed_month(db: Database, closed_october: int) -> None:
    with db.write() as s:
        client_id = s.get(Invoice, closed_october).client_id
    # A manual invoice, a credit note, a month-end run dated in October: refused at once.
    with pytest.raises(ValidationError, match=CLOSED), db.write() as s:
        create_draft_invoice(
            s, client_id, [DraftLine("Vitres", 1, "80")], issue_date=D(2026, 10, 30)
        )
    with pytest.raises(ValidationError, match=CLOSED), db.write() as s:
        create_credit_note(s, closed_october, issue_date=D(2026, 10, 31))
    with pytest.raises(ValidationError, match=CLOSED), db.write() as s:
        run_month(s, "2026-10", issue_date=D(2026, 10, 31))
    # The next month is open.
    with db.write() as s:
        create_credit_note(s, closed_october, issue_date=D(2026, 11, 2))


def test_the_numbering_transaction_refuses_a_draft_dated_in_a_closed_month(
    db: Database, closed_october: int
) -> None:
    """A draft made before the closing and moved into October by any other path (an older
    version, another program) is still not numbered: the check is in issue_invoices."""
    with db.write() as s:
        client_id = s.get(Invoice, closed_october).client_id
        draft = create_draft_invoice(
            s, client_id, [DraftLine("Vitres", 1, "80")], issue_date=D(2026, 11, 3)
        )
        draft.issue_date = D(2026, 10, 31)
        draft_id = draft.id
    with pytest.raises(ValidationError, match=CLOSED) as caught, db.write() as s:
        issue_invoices(s, [draft_id])
    assert "aujourd'hui" in str(caught.value)  # what to do: date it in an open month
    with db.read() as s:
        assert s.get(Invoice, draft_id).number is None


def test_cli_run_into_a_closed_month_is_refused_in_french(
    db: Database, closed_october: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["--db", target_of(db), "billing", "run", "--period", "2026-10", "--validate",
         "--issue-date", "2026-10-31"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code != 0
    assert CLOSED in err and "Traceback" not in err


def test_cli_run_of_a_closed_month_by_default_says_which_date_to_choose(
    db: Database, closed_october: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """No date given: the run would be dated the month's last day. The message says that
    date was the default and how to choose another — not « datez le document »."""
    code = main(["--db", target_of(db), "billing", "run", "--period", "2026-10", "--validate"])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert (
        "La facturation de 10/2026 serait datée du 31/10/2026 (dernier jour du mois, date "
        "proposée par défaut), mais le mois 10/2026 est clôturé" in err
    )
    assert "--issue-date AAAA-MM-JJ" in err
    with db.read() as s:
        assert s.scalar(select(func.count(Invoice.id))) == 1  # only the October invoice


# --- the same use cases from the command line ----------------------------------------------


def test_cli_credit_note_and_down_payment_go_through_the_checked_issue(
    db: Database,
    validated_while_writing: list[bool],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invoice_id = _issued_invoice(db)
    with db.write() as s:
        client_id = s.get(Invoice, invoice_id).client_id
        quote = Quote(
            client_id=client_id, number="DE2026-00007", title="Remise en état après travaux",
            quote_date=D(2026, 11, 2), validity_date=D(2026, 12, 31),
            total_ht=Decimal("1250.00"), status="accepted",
        )  # fmt: skip
        s.add(quote)
    validated_while_writing.clear()
    target = target_of(db)
    # Declined at the question: nothing written.
    monkeypatch.setattr("builtins.input", lambda _prompt: "n")
    assert main(["--db", target, "billing", "avoir", "FA2026-00001", "--ligne", "1=40",
                 "--date", "2026-11-20"]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert "Avoirs : 1 (AV2026-00001)" in out and "Rien n'a été émis." in out
    assert _credit_notes(db) == []
    assert main(["--db", target, "billing", "avoir", "FA2026-00001", "--ligne", "1=40",
                 "--date", "2026-11-20", "--motif", "Geste commercial", "--yes"]) == 0  # fmt: skip
    assert "Avoir AV2026-00001 émis : 48,00" in capsys.readouterr().out.replace("\u202f", " ")
    assert main(["--db", target, "billing", "acompte", "DE2026-00007", "--part", "30 %",
                 "--date", "2026-11-20", "--yes"]) == 0  # fmt: skip
    assert "Facture d'acompte FA2026-00002 émise : 450,00" in capsys.readouterr().out.replace(
        "\u202f", " "
    )
    assert validated_while_writing == [False, False]
    with db.read() as s:
        dp = s.scalar(select(Invoice).where(Invoice.number == "FA2026-00002"))
        assert (dp.kind, dp.total_ht) == (InvoiceKind.DOWN_PAYMENT, Decimal("375.00"))
    # Unknown number, bad line: French, no traceback, exit 2.
    assert main(["--db", target, "billing", "avoir", "FA2026-09999", "--yes"]) == 2
    assert main(["--db", target, "billing", "avoir", "FA2026-00001", "--ligne", "x", "--yes"]) == 2
    err = capsys.readouterr().err
    assert "Facture FA2026-09999 introuvable" in err and "« x »" in err
    assert "Traceback" not in err
