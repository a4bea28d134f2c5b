"""Practical case « Création d'un devis TC », clicked through the real widgets: a TC quote
on a demo site with photos before/after and a technical sheet, priced with the builder,
sent, accepted, planned, done and invoiced from the quote."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from PIL import Image
from pypdf import PdfReader
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.money import format_amount
from app.quotes import builder
from app.quotes.followup import reminders_due
from app.quotes.schedules import schedule_rows
from models.clients import Site
from models.invoices import Invoice
from models.quotes import PlannedJob, Quote
from tests.dialogs import answer
from ui.main_window import MainWindow
from ui.quote_lines import PRICE

DAY = dt.date(2026, 9, 2)


def _jpeg(path: Path, color: tuple[int, int, int]) -> str:
    Image.new("RGB", (400, 300), color).save(path, "JPEG")
    return str(path)


def _sheet(path: Path) -> str:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.drawString(80, 760, "FICHE TECHNIQUE MONOBROSSE")
    c.save()
    return str(path)


def test_tc_quote_practical_case(qtbot: QtBot, demo_db: Database, tmp_path: Path) -> None:
    with demo_db.read() as s:
        site = s.scalar(select(Site).where(Site.code == "ARNA001-01"))
        assert site is not None
        site_id, client_id = site.id, site.client_id
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Devis")
    tab.today = lambda: DAY

    # 1. Create the quote on the demo site.
    editor = tab.new_quote()
    qtbot.addWidget(editor)
    editor.form.set_value("kind", "extra_work")
    editor.form.set_value("client_id", client_id)
    editor.form.set_value("site_id", site_id)
    editor.form.set_value("title", "Remise en état des bureaux après déménagement")
    editor.form.set_value("quote_date", DAY)
    editor.form.set_value("validity_date", DAY + dt.timedelta(days=30))
    editor.form.set_value("cadence", "Samedi 8 h – 16 h")
    editor.add_line("Évacuation des cartons", "1", "forfait", "150", "T20", "service")
    assert editor.save(), editor.form.general_error.text()
    quote_id = editor.quote_id
    assert quote_id is not None

    # 2. Two photos: one through the file path, one dropped on the list.
    assert editor.add_photos([_jpeg(tmp_path / "avant.jpg", (120, 90, 60))], "before", "Avant")
    editor.new_tag.setCurrentIndex(editor.new_tag.findData("after"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(_jpeg(tmp_path / "après.jpg", (230, 230, 225)))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    editor.photo_list.dropEvent(drop)
    assert editor.photo_list.count() == 2
    labels = sorted(editor.photo_list.item(i).text() for i in range(2))
    assert labels[0].startswith("Après") and labels[1].startswith("Avant")
    assert not editor.photo_list.item(0).icon().isNull()  # thumbnail shown

    # 3. A technical sheet, attached and selected.
    assert editor.add_sheet(_sheet(tmp_path / "monobrosse.pdf"), "Monobrosse 430 mm", "equipment")
    assert editor.save()

    # 4. Price it with the builder (site cadencier × loaded hourly costs at the quote date).
    editor.tabs.setCurrentIndex(1)
    panel = editor.builder
    assert panel.tasks.rowCount() == 5
    panel.products.setText("30")
    panel.equipment.setText("20")
    panel.overheads.setText("10")
    panel.margin.setText("25")
    first = panel.result
    # Choose another qualification for the first task: its loaded cost is used at once.
    panel.tasks.cellWidget(0, 7).setCurrentText("AQS")
    assert panel.result.labour > first.labour
    assert panel.tasks.item(0, 9).text() == format_amount(panel.costs["AQS"])
    expected = builder.compute(panel.builder_input())
    assert panel.result == expected
    assert expected.margin_percent == Decimal("25.00")
    assert "25 %" in panel.summary.text()
    assert panel.save_schedule()  # the edited cadencier becomes the site's
    with demo_db.read() as s:
        assert next(r.qualification for r in schedule_rows(s, site_id)) == "AQS"
    assert editor.apply_builder()
    assert editor.lines.rowCount() == 2
    assert editor.lines.item(0, PRICE).text() == str(expected.selling_price).replace(".", ",")
    editor.close()

    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote.total_ht == expected.selling_price + Decimal("150.00")
        assert len(quote.photos) == 2 and len(quote.sheets) == 1
        assert '"one_off": true' in quote.builder_snapshot

    # 5. Send it and accept it: a planned job appears.
    tab.refresh()
    tab.open_documents = False
    answer(QMessageBox.ButtonRole.ActionRole)  # numbered, then printed (no mail server)
    tab.send(quote_id, DAY)
    tab.accept(quote_id, DAY + dt.timedelta(days=3), plan_date=dt.date(2026, 9, 12))
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        number = quote.number
        assert quote.status == "accepted" and number.startswith("DE2026-")
        job = s.scalar(select(PlannedJob).where(PlannedJob.quote_id == quote_id))
        job_id = job.id
        quote_lines = [(li.label, li.quantity, li.unit_price) for li in quote.lines]
    pdf = tmp_path / "devis.pdf"
    tab.export_pdf(quote_id, str(pdf))
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    text = "".join(p.extract_text() for p in reader.pages)
    assert f"DEVIS N° {number}" in text and "Bon pour accord" in text
    assert "FICHE TECHNIQUE MONOBROSSE" in reader.pages[-1].extract_text()

    # 6. Plan it, mark it done, invoice it from the Planning tab.
    planning = window.tab("Planning")
    planning.today = lambda: dt.date(2026, 9, 12)
    planning.show_week(dt.date(2026, 9, 12))
    assert number in planning.grid.item(0, 5).text()  # Saturday column
    planning.mark_done(job_id, dt.date(2026, 9, 12))
    invoice = planning.invoice(job_id, dt.date(2026, 9, 14))
    assert invoice is not None
    with demo_db.read() as s:
        inv = s.get(Invoice, invoice.id)
        assert inv.status == "draft" and inv.client_id == client_id
        assert number in inv.title and number in inv.notes
        assert [(li.description, li.quantity, li.unit_price) for li in inv.lines] == quote_lines
        assert inv.total_ht == quote.total_ht
    rows = {r.id: r for r in planning.list.visible_rows()}
    assert rows[job_id].invoiced_percent == 100

    # 7. The forecast view opens on the demo with its table and chart.
    forecast = window.tab("Prévisionnel")
    assert forecast.table.rowCount() >= 1
    assert forecast.pipeline.model.rowCount() >= 1


def test_reminders_filter_and_noted_reminder(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Devis")
    tab.today = lambda: dt.date(2026, 9, 1)
    tab.refresh()
    with demo_db.read() as s:
        count = len(reminders_due(s, dt.date(2026, 9, 1)))
    assert count >= 3
    assert f"{count} devis à relancer aujourd'hui." in tab.summary.text()
    tab.list.filter_combo.setCurrentIndex(2)  # « À relancer aujourd'hui »
    due = {r.reference for r in tab.list.visible_rows()}
    assert "DE2026-00006" in due and all(not ref.startswith("Brouillon") for ref in due)
    row = next(r for r in tab.list.visible_rows() if r.reference == "DE2026-00006")
    tab.remind(row.id, dt.date(2026, 9, 1), by_email=False)
    with demo_db.read() as s:
        quote = s.get(Quote, row.id)
        assert quote.reminder_count == 2 and quote.next_reminder_date == dt.date(2026, 9, 11)
    assert f"{count - 1} devis à relancer aujourd'hui." in tab.summary.text()
