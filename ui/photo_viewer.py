"""A photo shown large: scaled to fit the window, previous / next, caption and date."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _


class ViewablePhoto(Protocol):
    """What the viewer needs from a photo row (e.g. ``app.site_photos.SitePhoto``)."""

    @property
    def path(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def original_name(self) -> str: ...

    @property
    def added_on(self) -> Any: ...


class PhotoViewer(QDialog):
    """Browse a list of photos one at a time; the image is rescaled whenever the window is."""

    def __init__(
        self, photos: list[ViewablePhoto], index: int = 0, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.photos = list(photos)
        self.index = 0
        self.pixmap = QPixmap()
        self.resize(900, 680)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(200, 150)
        # Ignored: the label never grows to the pixmap's size, the pixmap follows the label.
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image.setStyleSheet("background: #202020; color: #f0f0f0;")
        self.caption = QLabel(self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.position = QLabel(self)
        self.previous_button = QPushButton(_("◀ Précédente"), self)
        self.previous_button.clicked.connect(lambda: self.show_photo(self.index - 1))
        self.next_button = QPushButton(_("Suivante ▶"), self)
        self.next_button.clicked.connect(lambda: self.show_photo(self.index + 1))
        close = QPushButton(_("Fermer"), self)
        close.clicked.connect(self.accept)
        QShortcut(QKeySequence(Qt.Key.Key_Left), self, lambda: self.show_photo(self.index - 1))
        QShortcut(QKeySequence(Qt.Key.Key_Right), self, lambda: self.show_photo(self.index + 1))
        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.position, 1, Qt.AlignmentFlag.AlignCenter)
        buttons.addWidget(self.next_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
        layout.addLayout(buttons)
        self.show_photo(index)

    def current(self) -> ViewablePhoto | None:
        return self.photos[self.index] if self.photos else None

    def show_photo(self, index: int) -> None:
        if not self.photos or not 0 <= index < len(self.photos):
            return
        self.index = index
        photo = self.photos[index]
        self.pixmap = QPixmap(photo.path)
        day = f"{photo.added_on:%d/%m/%Y}" if photo.added_on else ""
        details = " — ".join(x for x in (photo.original_name, day) if x)
        self.caption.setText(f"<b>{_escape(photo.title)}</b><br/>{_escape(details)}")
        self.position.setText(
            _("Photo {n} sur {total}").format(n=index + 1, total=len(self.photos))
        )
        self.setWindowTitle(photo.title or photo.original_name)
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self.photos) - 1)
        self._rescale()

    def _rescale(self) -> None:
        if self.pixmap.isNull():
            self.image.setPixmap(QPixmap())
            self.image.setText(_("Image illisible ou introuvable"))
            return
        self.image.setPixmap(
            self.pixmap.scaled(
                self.image.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
