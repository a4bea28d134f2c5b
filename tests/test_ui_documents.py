"""« Éditions » tab: lists the month's documents, prints the archived PDF through the
preview (pages rendered by QtPdf), e-mail settings dialog with field errors."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.db import Database
from tests.documents_samples import issue_samples
from ui.documents import DocumentsTab, EmailSettingsDialog, PdfPrinter
from ui.main_window import MainWindow


def test_tab_lists_documents_and_renders_the_archived_pdf(qtbot: QtBot, demo_db: Database) -> None:
    with demo_db.write() as session:
        issue_samples(session)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = DocumentsTab(window.ctx)
    qtbot.addWidget(tab)
    tab.period.set_period("2026-10")
    tab.refresh()
    rows = tab.list.visible_rows()
    numbers = {r.number for r in rows}
    assert {"FA2026-00001", "AV2026-00001"} <= numbers or len(numbers) >= 8
    assert all(r.archived == "" for r in rows)
    tab.list.view.selectRow(0)
    done: dict[str, bytes] = {}
    from app.documents import printing

    ids = tab._ids()
    window.ctx.run(
        tab,
        "test",
        lambda s, p: printing.postal_batch(s, ids, p),
        write=False,
        on_done=lambda pdf: done.setdefault("pdf", pdf),
        on_error=lambda exc: done.setdefault("error", exc),
    )
    qtbot.waitUntil(lambda: bool(done), timeout=90000)
    assert "error" not in done, done.get("error")
    printer = PdfPrinter(done["pdf"])
    assert printer.page_count == 2  # the document and its blank verso
    image = printer.document.render(0, printer.document.pagePointSize(0).toSize())
    assert image.width() > 500 and not image.isNull()
    tab.refresh()
    assert tab.list.visible_rows()[0].archived  # archived at first print


def test_email_settings_dialog_shows_errors_under_fields(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    dialog = EmailSettingsDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    dialog.form.set_value("host", "smtp.exemple.fr")
    dialog.form.set_value("port", "587")
    dialog.form.set_value("subject_template", "Facture {numero}")
    dialog.save()
    assert "{numero}" in dialog.form.error_text("subject_template")
    dialog.form.set_value("subject_template", "Facture {number}")
    dialog.save()
    assert dialog.result() == 1
