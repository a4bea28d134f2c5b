"""Print, PDF and e-mail from where you are (issue P §3): the invoice viewer, the invoice list,
the client account (its statement) and the quote list, through the real buttons. Seen: printing
one invoice gave two pages (a blank verso, as in a duplex postal batch)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.billing.invoices import DraftLine, create_draft_invoice
from app.db import Database
from app.documents import printing, render
from app.documents.build import invoice_email
from models.catalog import Article
from models.clients import Client
from models.invoices import Invoice, InvoiceStatus
from tests.dialogs import ACCEPT, REJECT, answer
from tests.practical import Mailbox, firm_smtp_server
from ui.billing_dialogs import InvoiceViewer
from ui.clients_panels import LedgerPanel
from ui.main_window import MainWindow


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def previews(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, str]]:
    """What reached the print preview (the dialog itself is Qt's)."""
    shown: list[tuple[bytes, str]] = []
    for module in ("ui.document_actions", "ui.quotes"):
        monkeypatch.setattr(
            f"{module}.print_pdf", lambda _p, pdf, title: shown.append((pdf, title))
        )
    return shown


@pytest.fixture
def inbox(demo_db: Database) -> Iterator[Mailbox]:
    with firm_smtp_server(demo_db) as box:
        yield box


def _issued(db: Database, period: str = "2026-08") -> list[Invoice]:
    with db.read() as s:
        return list(
            s.scalars(
                select(Invoice)
                .where(Invoice.status == InvoiceStatus.ISSUED, Invoice.kind == "invoice")
                .where(Invoice.number.like("FA%"))
                .order_by(Invoice.number)
            )
        )


def test_one_invoice_prints_one_page_from_its_viewer(
    qtbot: QtBot, demo_db: Database, previews: list[Any]
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    invoice = _issued(demo_db)[0]
    viewer = InvoiceViewer(window.ctx, invoice.id, window)
    qtbot.addWidget(viewer)
    viewer.actions.print_button.click()
    qtbot.waitUntil(lambda: bool(previews), timeout=90_000)
    pdf, title = previews[0]
    with demo_db.read() as s:
        archived = render.invoice_pdf(s, invoice.id)
    assert pdf == archived  # as archived at issue, nothing added
    assert pages(pdf) == pages(archived) == 1
    assert title == f"Facture {invoice.number}"
    # The duplex postal batch still starts each document on a new sheet.
    with demo_db.read() as s:
        assert pages(printing.postal_batch(s, [invoice.id])) == 2


def test_a_draft_has_nothing_to_print_from_its_viewer(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    with demo_db.write() as s:
        article = s.scalar(select(Article.id).order_by(Article.id))
        draft = create_draft_invoice(
            s, 1, [DraftLine(article_id=article, quantity="2")], issue_date=dt.date(2026, 9, 1)
        )
        draft_id = draft.id
    viewer = InvoiceViewer(window.ctx, draft_id, window)
    qtbot.addWidget(viewer)
    assert not viewer.actions.isEnabled()


def test_invoice_list_saves_the_selection_as_one_pdf_and_sends_it(
    qtbot: QtBot,
    demo_db: Database,
    inbox: Mailbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    tab.pages.setCurrentIndex(1)
    tab.f_period.set_period("2026-08")
    with demo_db.read() as s:
        by_mail = {
            i.id
            for i in s.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.ISSUED))
            if invoice_email(s.get(Client, i.client_id))
        }
    rows = [r for r in tab.invoices.loaded_rows() if r.id in by_mail and r.kind == "invoice"][:2]
    assert len(rows) == 2
    view = tab.invoices.view
    for row in rows:
        index = tab.invoices.loaded_rows().index(row)
        view.selectionModel().select(
            tab.invoices.model.index(index, 0),
            view.selectionModel().SelectionFlag.Select | view.selectionModel().SelectionFlag.Rows,
        )
    target = tmp_path / "choix.pdf"
    monkeypatch.setattr(
        "ui.documents.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), "PDF (*.pdf)")
    )
    tab.document_actions.pdf_button.click()
    qtbot.waitUntil(target.exists, timeout=90_000)
    text = text_of(target.read_bytes(), tmp_path)
    assert rows[0].number in text and rows[1].number in text
    assert pages(target.read_bytes()) == 2  # two one-page invoices, no blank verso

    # « Envoyer… »: the confirmation says what goes where; refused, nothing is sent.
    seen: list[str] = []
    answer(REJECT, seen=seen)
    tab.document_actions.send_button.click()
    assert "2 documents seront envoyés par e-mail :" in seen[0]
    assert all(f"– {r.number} à {r.client} <" in seen[0] for r in rows)
    assert inbox.messages == []
    # Accepted: both go, and the report says so.
    answer(ACCEPT)
    tab.document_actions.send_button.click()
    report: list[str] = []
    answer(ACCEPT, seen=report, tries=9000, only=QMessageBox)
    qtbot.waitUntil(lambda: bool(report), timeout=90_000)
    assert "Envoi par e-mail : 2 envoyés, 0 échec." in report[0]
    subjects = " ".join(str(m["Subject"]) for m in inbox.messages)
    assert len(inbox.messages) == 2 and all(r.number in subjects for r in rows)


def test_client_account_prints_its_statement(
    qtbot: QtBot, demo_db: Database, previews: list[Any], tmp_path: Path
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    clients = window.tab("Clients")
    client = clients.list.current()
    panel = clients.findChild(LedgerPanel)
    clients.editor.panels.setCurrentWidget(panel)  # « Compte »
    assert panel.client_id == client.id  # the account of the client shown
    panel.statement.print_button.click()
    qtbot.waitUntil(lambda: bool(previews), timeout=90_000)
    pdf, title = previews[0]
    assert title == "Relevé de compte"
    assert client.name in text_of(pdf, tmp_path)


def test_quote_list_prints_the_quote(
    qtbot: QtBot, demo_db: Database, previews: list[Any], tmp_path: Path
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    quotes = window.tab("Devis")
    row = quotes.list.current()
    quotes.buttons["print"].click()
    assert previews and previews[0][1] == "Devis"
    assert row.client in text_of(previews[0][0], tmp_path)


def test_client_account_prints_the_invoice_and_credit_note_of_its_rows(
    qtbot: QtBot,
    demo_db: Database,
    previews: list[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From the ledger row of an invoice or a credit note: its PDF as archived at issue
    (« PDF… », « Imprimer… », double-click); a payment row has no document."""
    with demo_db.read() as s:
        credit = s.scalar(
            select(Invoice)
            .where(Invoice.status == InvoiceStatus.ISSUED, Invoice.kind == "credit_note")
            .order_by(Invoice.number)
            .limit(1)
        )
        credit_id, credit_number, client_id = credit.id, credit.number, credit.client_id
        archived_credit = render.invoice_pdf(s, credit_id)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    clients = window.tab("Clients")
    clients.open_client(client_id)
    panel = clients.findChild(LedgerPanel)
    clients.editor.panels.setCurrentWidget(panel)
    assert panel.client_id == client_id
    rows = panel.list.visible_rows()
    invoice_row = next(r for r in rows if r.kind == "invoice" and r.document_id)
    credit_row = next(r for r in rows if r.reference == credit_number)
    assert credit_row.document_id == credit_id and credit_row.kind_label == "Avoir"
    assert all(r.document_id is None for r in rows if r.kind == "payment")
    with demo_db.read() as s:
        archived_invoice = render.invoice_pdf(s, invoice_row.document_id)

    def choose(row: Any) -> None:
        panel.list.view.clearSelection()
        panel.list.view.selectRow(rows.index(row))

    # « PDF… » on the credit note's row: the file is the archived PDF, named by its number.
    choose(credit_row)
    target = tmp_path / "avoir.pdf"
    names: list[str] = []

    def save_as(_parent: Any, _title: str, name: str, _filter: str) -> tuple[str, str]:
        names.append(name)
        return str(target), "PDF (*.pdf)"

    monkeypatch.setattr("ui.documents.QFileDialog.getSaveFileName", save_as)
    panel.documents.pdf_button.click()
    qtbot.waitUntil(target.exists, timeout=90_000)
    assert names == [f"{credit_number}.pdf"]
    assert target.read_bytes() == archived_credit
    assert "AVOIR" in text_of(archived_credit, tmp_path).upper()
    # « Imprimer… » on the invoice's row: its archived PDF, one page, in the preview.
    choose(invoice_row)
    panel.documents.print_button.click()
    qtbot.waitUntil(lambda: bool(previews), timeout=90_000)
    assert previews[0] == (archived_invoice, "Factures et avoirs")
    assert pages(archived_invoice) == 1
    # Double-click on the credit note's row: its preview.
    choose(credit_row)
    index = panel.list.proxy.index(rows.index(credit_row), 0)
    panel.list.view.doubleClicked.emit(index)
    qtbot.waitUntil(lambda: len(previews) == 2, timeout=90_000)
    assert previews[1][0] == archived_credit
    # A payment row chosen alone: nothing to print, said in French.
    payment = next(r for r in rows if r.kind == "payment")
    choose(payment)
    seen: list[str] = []
    answer(ACCEPT, seen=seen)
    panel.documents.print_button.click()
    assert "Sélectionnez un ou plusieurs documents émis." in seen[0]
    assert len(previews) == 2
