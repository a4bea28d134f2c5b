"""Technical sheets added from the quote editor carry their kind (product or equipment)
and norms (programme module 3: « fiche technique du matériel proposé / produit (normes) »)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from models.quotes import Quote, QuoteStatus, TechnicalSheet
from ui.main_window import MainWindow
from ui.quote_editor import SheetDialog


def _pdf(path: Path) -> str:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.drawString(80, 760, "AUTOLAVEUSE 50 CM")
    c.save()
    return str(path)


def test_sheet_kind_and_norms_from_the_editor(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo_db.read() as s:
        draft = s.scalar(select(Quote.id).where(Quote.status == QuoteStatus.DRAFT))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    editor = window.tab("Devis").open_quote(draft)
    qtbot.addWidget(editor)
    path = _pdf(tmp_path / "autolaveuse.pdf")
    monkeypatch.setattr("ui.quote_editor.QFileDialog.getOpenFileName", lambda *a, **k: (path, ""))

    def fill(dialog: SheetDialog) -> SheetDialog.DialogCode:
        assert dialog.title.text() == "autolaveuse"
        dialog.title.setText("Autolaveuse 50 cm")
        dialog.kind.setCurrentIndex(dialog.kind.findData("equipment"))
        dialog.norms.setText("EN 60335-2-72")
        return SheetDialog.DialogCode.Accepted

    monkeypatch.setattr(SheetDialog, "exec", fill)
    editor._choose_sheet()

    labels = [editor.sheet_list.item(i).text() for i in range(editor.sheet_list.count())]
    assert "Autolaveuse 50 cm (Fiche matériel, 1 p.)" in labels
    with demo_db.read() as s:
        sheet = s.scalar(select(TechnicalSheet).where(TechnicalSheet.title == "Autolaveuse 50 cm"))
        assert sheet is not None
        assert (sheet.kind, sheet.norms, sheet.pages) == ("equipment", "EN 60335-2-72", 1)


def test_removing_a_quote_photo_asks_first(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image
    from PySide6.QtWidgets import QMessageBox

    with demo_db.read() as s:
        draft = s.scalar(select(Quote.id).where(Quote.status == QuoteStatus.DRAFT))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    editor = window.tab("Devis").open_quote(draft)
    qtbot.addWidget(editor)
    Image.new("RGB", (200, 150), (10, 120, 10)).save(tmp_path / "pelouse.jpg", "JPEG")
    assert editor.add_photos([str(tmp_path / "pelouse.jpg")], "before", "Pelouse")
    editor.photo_list.setCurrentRow(0)
    asked: list[str] = []
    for reply, left in ((QMessageBox.StandardButton.No, 1), (QMessageBox.StandardButton.Yes, 0)):
        monkeypatch.setattr(
            QMessageBox, "question", lambda _p, _t, text, r=reply: asked.append(text) or r
        )
        editor.photo_list.setCurrentRow(0)
        editor._remove_photo()
        assert editor.photo_list.count() == left
    assert asked[0] == "Retirer la photo « Avant — Pelouse » de ce devis ?"


def test_quote_photo_opens_large(qtbot: QtBot, demo_db: Database, tmp_path: Path) -> None:
    from PIL import Image
    from PySide6.QtCore import Qt

    with demo_db.read() as s:
        draft = s.scalar(select(Quote.id).where(Quote.status == QuoteStatus.DRAFT))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    editor = window.tab("Devis").open_quote(draft)
    qtbot.addWidget(editor)
    Image.new("RGB", (640, 480), (90, 90, 90)).save(tmp_path / "avant.jpg", "JPEG")
    Image.new("RGB", (480, 640), (240, 240, 240)).save(tmp_path / "apres.jpg", "JPEG")
    assert editor.add_photos([str(tmp_path / "avant.jpg")], "before", "Hall sale")
    assert editor.add_photos([str(tmp_path / "apres.jpg")], "after", "Hall propre")
    editor.tabs.setCurrentIndex(2)
    qtbot.waitUntil(editor.photo_list.isVisible)
    rect = editor.photo_list.visualItemRect(editor.photo_list.item(1))
    qtbot.mouseClick(editor.photo_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(editor.photo_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    viewer = editor.viewer
    assert viewer is not None and viewer.isVisible()
    qtbot.addWidget(viewer)
    assert viewer.index == 1 and (viewer.pixmap.width(), viewer.pixmap.height()) == (480, 640)
    assert "Après — Hall propre" in viewer.caption.text()
    viewer.previous_button.click()
    assert "Avant — Hall sale" in viewer.caption.text()
