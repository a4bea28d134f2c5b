"""SEPA dialogs clicked through offscreen: earliest collection date, invoices left out with
their reason, a batch cancelled, the mandate form saved as a PDF from the mandates dialog."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from pytestqt.qtbot import QtBot

from app.db import Database
from app.payments.sepa import MandateForm, save_mandate
from app.payments.sepa_rules import earliest_collection_date, first_target_day_from
from tests.test_payments import issue_invoice, make_client
from ui.main_window import MainWindow
from ui.payments_dialogs import MandatesDialog, SepaDialog


def _firm(db: Database) -> int:
    from app.billing.invoices import DraftLine, create_draft_invoice
    from app.billing.issuing import issue_invoices
    from app.demo import DemoContext
    from app.demo import company as demo_company

    today = dt.date.today()
    with db.write() as s:
        demo_company.load(s, DemoContext())
        s.flush()
        client = make_client(s, "TILL", "SDC Les Tilleuls")
        client.payment_means = "direct_debit"
        save_mandate(
            s,
            None,
            MandateForm(
                client_id=client.id, rum="RUM-TILL-001", signature_date=today - dt.timedelta(days=90),
                signature_place="Lyon", iban="FR7630006000011234567890189", bic="AGRIFRPPXXX",
            ),
        )  # fmt: skip
        issue_invoice(s, client, "480.00", today - dt.timedelta(days=60))
        client.payment_term_kind, client.payment_term_days = "on_receipt", 0
        draft = create_draft_invoice(
            s, client.id, [DraftLine(description="Vitrerie", quantity="1", unit_price="100")],
            issue_date=today - dt.timedelta(days=2),
        )  # fmt: skip
        issue_invoices(s, [draft.id])
        return client.id


def test_sepa_dialog_dates_reasons_and_cancel(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    _firm(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    dialog = SepaDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    earliest = earliest_collection_date(dt.date.today())
    assert dialog.collection_date() == earliest
    assert earliest.strftime("%d/%m/%Y") in dialog.rule.text()
    assert "préavis 14 jours" in dialog.rule.text()
    rows = {str(r.amount): r for r in dialog.candidates.visible_rows()}
    # The 480,00 invoice announced a date now past: it waits for a new pre-notification.
    assert {k: (r.sequence, r.problem[:30]) for k, r in rows.items()} == {
        "480.00": ("", "prélèvement annoncé au client "),
        "120.00": ("", "préavis insuffisant : facture "),
    }
    day = first_target_day_from(dt.date.today() + dt.timedelta(days=14))
    dialog.date.setDate(day)
    asked: list[str] = []

    def answer(_parent, _title, text):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    assert dialog.renotify(str(tmp_path / "avis.txt")) == 1
    assert asked == [
        f"Enregistrer une nouvelle pré-notification de 1 facture pour le {day:%d/%m/%Y} ? "
        "Le texte à envoyer à chaque client sera enregistré dans un fichier."
    ]
    assert f"sera prélevée le {day:%d/%m/%Y}" in (tmp_path / "avis.txt").read_text("utf-8")
    rows = {str(r.amount): r for r in dialog.candidates.visible_rows()}
    assert (rows["480.00"].sequence, rows["480.00"].problem) == ("FRST", "")

    assert len(dialog.create(str(tmp_path / "lot.xml"))) == 1
    batch = dialog.batches.visible_rows()[0]
    dialog.select_batch(batch.id)
    dialog.cancel_batch("Fichier jamais transmis")
    assert dialog.batches.visible_rows()[0].status == "cancelled"
    # (The 120,00 invoice joins the batch when its own announced date is that day too.)
    assert {line.status_label for line in dialog.lines.visible_rows()} == {
        "Lot annulé : Fichier jamais transmis"
    }
    # The invoice is proposed again, still as the mandate's first debit.
    rows = {str(r.amount): r for r in dialog.candidates.visible_rows()}
    assert (rows["480.00"].sequence, rows["480.00"].problem) == ("FRST", "")


def test_mandate_form_pdf_from_the_dialog(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    client_id = _firm(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    dialog = MandatesDialog(window.ctx, client_id, window)
    qtbot.addWidget(dialog)
    dialog.list.view.setCurrentIndex(dialog.list.proxy.index(0, 0))
    path = dialog.print_form(str(tmp_path / "mandat.pdf"))
    reader = PdfReader(io.BytesIO(Path(path).read_bytes()))
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Mandat de prélèvement SEPA" in text and "RUM-TILL-001" in text
    assert "FR76 3000 6000 0112 3456 7890 189" in text
    dialog.grab().save(str(tmp_path / "mandates.png"))
