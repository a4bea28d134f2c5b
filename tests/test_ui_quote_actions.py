"""Devis and Planning actions through the real widgets (issue O). Seen: « Envoyer » numbered
the quote and marked it « Envoyé » without composing or sending anything, and rewrote its
date; « Accepter » never asked the start date; « Replanifier » with an invalid date did
nothing; « Facturer depuis le devis » gave no feedback."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QDateEdit, QDialog, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.money import format_amount
from models.contracts import Contract
from models.invoices import Invoice
from models.quotes import PlannedJob, Quote
from tests.dialogs import ACCEPT, REJECT, answer
from tests.practical import Mailbox, firm_smtp_server
from ui.main_window import MainWindow
from ui.planning import PlanningTab
from ui.quotes import QuotesTab

DAY = dt.date(2026, 9, 21)
PRINT = QMessageBox.ButtonRole.ActionRole


@pytest.fixture
def inbox(demo_db: Database) -> Iterator[Mailbox]:
    with firm_smtp_server(demo_db) as box:
        yield box


def _tab(qtbot: QtBot, db: Database) -> QuotesTab:
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Devis")
    assert isinstance(tab, QuotesTab)
    tab.today = lambda: DAY
    tab.open_documents = False
    return tab


def _select(tab: Any, record_id: int) -> None:
    rows = tab.list.visible_rows()
    tab.list.view.selectRow(next(i for i, r in enumerate(rows) if r.id == record_id))


def _quote(db: Database, quote_id: int) -> Quote:
    with db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None
        s.expunge(quote)
        return quote


def _draft(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(Quote.id).where(Quote.status == "draft", Quote.kind == "extra_work"))


def test_send_says_what_it_does_then_emails_the_quote(
    qtbot: QtBot, demo_db: Database, inbox: Mailbox
) -> None:
    tab = _tab(qtbot, demo_db)
    quote_id = _draft(demo_db)
    before = _quote(demo_db, quote_id)
    _select(tab, quote_id)
    seen: list[str] = []
    answer(REJECT, seen=seen)  # cancelled: nothing numbered, nothing sent
    tab.buttons["send"].click()
    assert _quote(demo_db, quote_id).status == "draft" and _quote(demo_db, quote_id).number is None
    text = seen[0]
    assert "prend le n° DE2026-" in text
    assert f"est daté du {DAY:%d/%m/%Y}" in text
    assert f"(il était daté du {before.quote_date:%d/%m/%Y})" in text
    assert "Envoi par e-mail à factures@garage-moderne.fr" in text
    number = text.split("prend le n° ")[1].split(" ")[0]

    answer(ACCEPT)
    tab.buttons["send"].click()
    qtbot.waitUntil(lambda: len(inbox.messages) == 1, timeout=60_000)
    quote = _quote(demo_db, quote_id)
    assert (quote.status, quote.number, quote.quote_date) == ("sent", number, DAY)
    message = inbox.messages[0]
    assert message["To"].addresses[0].addr_spec == "factures@garage-moderne.fr"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"Devis {number}.pdf"
    pdf = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert f"DEVIS N° {number}" in pdf


def test_send_without_mail_server_prints_the_numbered_quote(
    qtbot: QtBot, demo_db: Database
) -> None:
    tab = _tab(qtbot, demo_db)
    quote_id = _draft(demo_db)
    _select(tab, quote_id)
    seen: list[str] = []
    answer(PRINT, seen=seen)
    tab.buttons["send"].click()
    assert "Aucun serveur d'envoi configuré : le PDF est à imprimer." in seen[0]
    quote = _quote(demo_db, quote_id)
    assert quote.status == "sent" and quote.number
    assert tab.last_pdf is not None and tab.last_pdf.name == f"Devis {quote.number}.pdf"
    text = PdfReader(str(tab.last_pdf)).pages[0].extract_text()
    assert f"DEVIS N° {quote.number}" in text


def _fill_date(day: dt.date) -> Any:
    def fill(dialog: QDialog) -> None:
        dialog.findChild(QDateEdit).setDate(day)

    return fill


def test_accept_asks_the_contract_start_date(qtbot: QtBot, demo_db: Database) -> None:
    tab = _tab(qtbot, demo_db)
    with demo_db.read() as s:
        quote_id = s.scalar(
            select(Quote.id).where(Quote.status == "sent", Quote.kind == "contract")
        )
    _select(tab, quote_id)
    seen: list[str] = []
    answer(REJECT, seen=seen)
    tab.buttons["accept"].click()
    assert "Début du contrat (créé en brouillon)" in seen[0]
    assert _quote(demo_db, quote_id).status == "sent"

    start = dt.date(2026, 11, 1)
    answer(ACCEPT, fill=_fill_date(start))
    tab.buttons["accept"].click()
    quote = _quote(demo_db, quote_id)
    assert quote.status == "accepted" and quote.contract_id is not None
    with demo_db.read() as s:
        contract = s.get(Contract, quote.contract_id)
        assert contract is not None and contract.start_date == start


def test_accept_asks_the_day_of_the_works_then_planning_reschedules_and_invoices(
    qtbot: QtBot, demo_db: Database
) -> None:
    tab = _tab(qtbot, demo_db)
    with demo_db.read() as s:
        quote_id = s.scalar(
            select(Quote.id).where(Quote.status == "sent", Quote.kind == "extra_work")
        )
    _select(tab, quote_id)
    seen: list[str] = []
    day = dt.date(2026, 9, 26)
    answer(ACCEPT, seen=seen, fill=_fill_date(day))
    tab.buttons["accept"].click()
    assert "Date d'intervention (planifiée)" in seen[0]
    with demo_db.read() as s:
        job = s.scalar(select(PlannedJob).where(PlannedJob.quote_id == quote_id))
        assert job is not None and job.planned_date == day
        job_id = job.id

    planning = tab.window().tab("Planning")
    assert isinstance(planning, PlanningTab)
    planning.today = lambda: DAY
    planning.refresh()
    row = next(r for r in planning.list.visible_rows() if r.id == job_id)
    seen.clear()
    answer(ACCEPT, seen=seen)
    assert planning.move(row, "31/02/2026") is None
    assert "« 31/02/2026 » n'est pas une date JJ/MM/AAAA" in seen[0]
    with demo_db.read() as s:
        assert s.get(PlannedJob, job_id).planned_date == day
    assert planning.move(row, "28/09/2026") is not None
    with demo_db.read() as s:
        assert s.get(PlannedJob, job_id).planned_date == dt.date(2026, 9, 28)

    planning.mark_done(job_id, dt.date(2026, 9, 28))
    invoice = planning.invoice(job_id, dt.date(2026, 9, 29))
    with demo_db.read() as s:
        stored = s.get(Invoice, invoice.id)
        assert stored is not None and stored.status == "draft"
        expected = f"{format_amount(stored.total_ht)} HT, {format_amount(stored.total_ttc)} TTC"
    assert "Facture provisoire créée" in planning.feedback.text()
    assert expected in planning.feedback.text()


def test_closing_expired_quotes_says_which_first(qtbot: QtBot, demo_db: Database) -> None:
    tab = _tab(qtbot, demo_db)
    with demo_db.read() as s:
        sent = {
            q.reference: (q.id, q.validity_date)
            for q in s.scalars(select(Quote).where(Quote.status == "sent"))
            if q.validity_date < DAY
        }
    ids = [quote_id for quote_id, _day in sent.values()]
    assert len(sent) >= 2
    seen: list[str] = []
    answer(REJECT, seen=seen)
    tab.buttons["expire"].click()
    assert f"{len(sent)} devis envoyés ont passé leur date de validité" in seen[0]
    for reference, (_id, day) in sent.items():
        assert f"{reference} ({day:%d/%m/%Y})" in seen[0]
    with demo_db.read() as s:
        statuses = {q.status for q in s.scalars(select(Quote).where(Quote.id.in_(ids)))}
    assert statuses == {"sent"}
    answer(ACCEPT)
    tab.buttons["expire"].click()
    with demo_db.read() as s:
        statuses = {q.status for q in s.scalars(select(Quote).where(Quote.id.in_(ids)))}
    assert statuses == {"expired"}
