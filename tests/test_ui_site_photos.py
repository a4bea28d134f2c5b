"""Site photos in the Chantiers tab: thumbnails, drag-and-drop, the large viewer with
previous/next, removal after confirmation; quote photos shown but removed from the quote."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.errors import StateError
from app.history import client_history
from app.site_photos import remove_site_photo_entry, site_photos
from models.clients import Site
from models.quotes import QuotePhoto
from ui.main_window import MainWindow


def _image(path: Path, color: tuple[int, int, int], size: tuple[int, int]) -> str:
    Image.new("RGB", size, color).save(path, "JPEG")
    return str(path)


def _site_without_photos(db: Database) -> tuple[int, int]:
    with db.read() as s:
        with_photos = set(s.scalars(select(QuotePhoto.site_id)))
        site = s.scalar(select(Site).where(Site.id.not_in(with_photos)).order_by(Site.code))
        assert site is not None
        return site.id, site.client_id


def test_site_photos_viewer_and_removal(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id, client_id = _site_without_photos(demo_db)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Chantiers")
    tab.open_site(site_id)
    assert tab.photos.count() == 0

    # Two photos: one through the button's path, one dropped on the thumbnails.
    assert tab.add_photos([_image(tmp_path / "hall.jpg", (200, 40, 40), (640, 480))], "before")
    tab.photo_tag.setCurrentIndex(tab.photo_tag.findData("after"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(_image(tmp_path / "escalier.jpg", (40, 40, 200), (300, 600)))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    tab.photos.dropEvent(drop)

    assert tab.photos.count() == 2
    assert [tab.photos.item(i).text() for i in range(2)] == [
        "Avant — hall.jpg",
        "Après — escalier.jpg",
    ]
    for i in range(2):
        assert not tab.photos.item(i).icon().isNull()  # thumbnail shown
    rows = tab.photo_rows
    assert all(Path(r.thumb_path).is_file() and "/thumbs/" in r.thumb_path for r in rows)

    # A file that is not an image is refused, nothing added.
    fake = tmp_path / "faux.jpg"
    fake.write_bytes(b"\xff\xd8\xff not a jpeg")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    assert tab.add_photos([str(fake)]) == 0
    assert "faux.jpg" in shown[0] and tab.photos.count() == 2

    # Double-click on the second thumbnail opens it large.
    window.show()
    qtbot.waitUntil(lambda: tab.photos.isVisible())
    rect = tab.photos.visualItemRect(tab.photos.item(1))
    assert rect.isValid()
    qtbot.mouseClick(tab.photos.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.photos.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    viewer = tab.viewer
    assert viewer is not None and viewer.isVisible()
    qtbot.addWidget(viewer)
    assert viewer.index == 1
    assert (viewer.pixmap.width(), viewer.pixmap.height()) == (300, 600)  # the full image
    assert "Après — escalier.jpg" in viewer.caption.text()
    assert viewer.position.text() == "Photo 2 sur 2"
    assert not viewer.next_button.isEnabled() and viewer.previous_button.isEnabled()
    shown_pixmap = viewer.image.pixmap()
    assert shown_pixmap.height() <= viewer.image.height()  # scaled to fit
    viewer.previous_button.click()
    assert viewer.index == 0 and (viewer.pixmap.width(), viewer.pixmap.height()) == (640, 480)
    assert "Avant — hall.jpg" in viewer.caption.text()
    viewer.close()

    # Removal asks first; « Non » keeps the photo, « Oui » removes it.
    asked: list[str] = []

    def answer(reply: QMessageBox.StandardButton):  # type: ignore[no-untyped-def]
        def question(_parent, _title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
            asked.append(text)
            return reply

        return question

    tab.photos.setCurrentRow(0)
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    tab.remove_photo_button.click()
    assert asked == ["Retirer la photo « Avant — hall.jpg » de ce chantier ?"]
    assert tab.photos.count() == 2
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    tab.remove_photo_button.click()
    assert tab.photos.count() == 1
    assert tab.photos.item(0).text() == "Après — escalier.jpg"

    with demo_db.read() as s:
        summaries = [e.summary for e in client_history(s, client_id)]
    assert any("« hall.jpg »" in x and "ajoutée" in x for x in summaries)
    assert any("« hall.jpg » retirée du chantier" in x for x in summaries)


def test_quote_photos_show_on_the_site_but_stay_with_the_quote(demo_db: Database) -> None:
    with demo_db.read() as s:
        photo = s.scalar(select(QuotePhoto).where(QuotePhoto.quote_id.is_not(None)))
        assert photo is not None and photo.site_id is not None
        site_id = photo.site_id
        rows = site_photos(s, site_id)
    [row] = [r for r in rows if r.key == f"photo:{photo.id}"]
    assert row.quote_reference and not row.removable
    assert f"devis {row.quote_reference}" in row.title
    with pytest.raises(StateError, match="retirez-la depuis le devis"), demo_db.write() as s:
        remove_site_photo_entry(s, site_id, row.key)
