"""« Relance de devis »: the printable reminder letter of a sent quote (PDF and Word),
counted as a reminder in the client's history like the reminder e-mail."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.errors import StateError
from app.history import client_history
from app.money import format_amount
from app.quotes.reminder_letter import (
    record_letter_reminder,
    reminder_letter,
    reminder_letter_docx,
    reminder_letter_pdf,
)
from models.quotes import Quote, QuoteStatus
from reports.quote_reminder import QuoteReminderLetter, reminder_texts
from ui.main_window import MainWindow

DAY = dt.date(2026, 9, 2)


def test_reminder_letter_texts() -> None:
    letter = QuoteReminderLetter(
        reference="DE2026-00012 v2",
        title="Remise en état {hall}",
        sent_date=dt.date(2026, 8, 20),
        validity_date=dt.date(2026, 9, 19),
        total_ht=Decimal("1250.00"),
        total_ttc=Decimal("1500.00"),
        recipient_lines=("SDC Les Tilleuls", "c/o Régie Foncière"),
        on=DAY,
        site="Résidence Les Tilleuls (Lyon)",
        phone="04 78 00 00 00",
    )
    subject, paragraphs, closing = reminder_texts(letter)
    assert subject == "Relance — notre devis n° DE2026-00012 v2 — Remise en état {hall}"
    assert paragraphs[1] == (
        "Le 20/08/2026, nous vous avons adressé notre devis n° DE2026-00012 v2 pour le "
        "chantier Résidence Les Tilleuls (Lyon), d'un montant de 1\u202f500,00\xa0€ TTC "
        "(1\u202f250,00\xa0€ HT)."
    )
    assert "valable jusqu'au 19/09/2026" in paragraphs[2]
    assert "« Bon pour accord »" in paragraphs[3]
    assert paragraphs[4].startswith("Nous restons à votre disposition au 04 78 00 00 00 pour")
    assert closing.startswith("Nous vous prions d'agréer")


def _norm(text: str) -> str:
    """Spaces as extracted from a PDF: any run of (narrow, no-break) spaces is one space."""
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def _sent_quote(db: Database) -> tuple[int, int, int]:
    with db.read() as s:
        quote = s.scalar(select(Quote).where(Quote.number == "DE2026-00006"))
        assert quote is not None and quote.status == QuoteStatus.SENT
        return quote.id, quote.client_id, quote.reminder_count


def test_reminder_letter_pdf_docx_and_history(demo_db: Database) -> None:
    quote_id, client_id, before = _sent_quote(demo_db)
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None
        ttc, ht = format_amount(quote.total_ttc), format_amount(quote.total_ht)
        sent = f"{quote.sent_date or quote.quote_date:%d/%m/%Y}"
        validity = f"{quote.validity_date:%d/%m/%Y}"
        letter = reminder_letter(s, quote_id, DAY)
        pdf = reminder_letter_pdf(s, quote_id, DAY)
        docx = reminder_letter_docx(s, quote_id, DAY)

    reader = PdfReader(io.BytesIO(pdf))
    text = _norm(" ".join(p.extract_text() for p in reader.pages))
    for expected in (
        "Objet : Relance — notre devis n° DE2026-00006",
        f"Le {sent}, nous vous avons adressé notre devis n° DE2026-00006",
        f"d'un montant de {ttc} TTC ({ht} HT)",
        f"valable jusqu'au {validity}",
        "Bon pour accord",
        "le 2 septembre 2026",
        letter.recipient_lines[0],
    ):
        assert _norm(expected) in text, expected
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all(f.startswith("DejaVuSans") for f in fonts), fonts

    paragraphs = [p.text for p in Document(io.BytesIO(docx)).paragraphs]
    body = "\n".join(paragraphs)
    assert "Relance — notre devis n° DE2026-00006" in body
    assert f"d'un montant de {ttc} TTC ({ht} HT)" in body
    assert f"valable jusqu'au {validity}" in body

    with demo_db.write() as s:
        record_letter_reminder(s, quote_id, DAY)
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None
        assert quote.reminder_count == before + 1 and quote.last_reminder_date == DAY
        summaries = [e.summary for e in client_history(s, client_id)]
    assert f"Relance n° {before + 1} du devis DE2026-00006 (lettre)" in summaries


def test_only_a_sent_quote_still_valid_gets_a_reminder_letter(demo_db: Database) -> None:
    quote_id, _client_id, _count = _sent_quote(demo_db)
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None
        late = quote.validity_date + dt.timedelta(days=1)
        with pytest.raises(StateError, match="n'est plus valable depuis le"):
            reminder_letter_pdf(s, quote_id, late)
        draft = s.scalar(select(Quote).where(Quote.status == QuoteStatus.DRAFT))
        assert draft is not None
        with pytest.raises(StateError, match="ne se relance pas"):
            reminder_letter_pdf(s, draft.id, DAY)


def test_reminder_letter_from_the_quote_list(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quote_id, _client_id, before = _sent_quote(demo_db)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Devis")
    tab.today = lambda: DAY
    rows = tab.list.visible_rows()
    tab.list.view.selectRow(next(i for i, r in enumerate(rows) if r.id == quote_id))
    assert tab.buttons["letter"].isEnabled()
    target = tmp_path / "relance.docx"
    assert tab.reminder_letter(quote_id, str(target)) is not None
    assert "DE2026-00006" in "\n".join(p.text for p in Document(str(target)).paragraphs)
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None and quote.reminder_count == before + 1
    assert next(r for r in tab.list.visible_rows() if r.id == quote_id).reminder_count == (
        before + 1
    )

    # From the quote editor: the button asks where to save, saves the PDF and opens it.
    editor = tab.open_quote(quote_id)
    qtbot.addWidget(editor)
    assert editor.letter_button.isVisibleTo(editor)
    pdf_path = tmp_path / "relance.pdf"
    opened: list[str] = []
    monkeypatch.setattr(
        "ui.quotes.QFileDialog.getSaveFileName", lambda *a, **k: (str(pdf_path), "PDF (*.pdf)")
    )
    monkeypatch.setattr(
        "ui.quotes.QDesktopServices.openUrl", lambda url: opened.append(url.toLocalFile())
    )
    editor.letter_button.click()
    assert opened == [str(pdf_path)]
    assert "DE2026-00006" in PdfReader(str(pdf_path)).pages[0].extract_text()
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None and quote.reminder_count == before + 2

    draft = tab.new_quote()
    qtbot.addWidget(draft)
    assert not draft.letter_button.isVisibleTo(draft)
