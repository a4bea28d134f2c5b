"""In-app help: Aide → Guide d'utilisation and F1 on each tab open the user guide (PDF).

The guide is built by ``make guide`` (app/help/guide_pdf.py) into resources/guide/; next to the PDF,
chapters.json maps each chapter anchor (the ``help_chapter`` of the tabs) to its page, so F1 opens
the in-app viewer (QtPdf) directly at the tab's chapter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QDialog, QMessageBox, QVBoxLayout, QWidget

from app.i18n import _

GUIDE_DIR = Path(__file__).resolve().parent.parent / "resources" / "guide"
GUIDE_PDF = GUIDE_DIR / "propreo-guide.pdf"
CHAPTERS_JSON = GUIDE_DIR / "chapters.json"


def chapter_pages() -> dict[str, int]:
    """Anchor → 1-based page number of the shipped guide (empty when the guide is missing)."""
    try:
        return {str(k): int(v) for k, v in json.loads(CHAPTERS_JSON.read_text("utf-8")).items()}
    except (OSError, ValueError):
        return {}


def page_for(chapter: str) -> int:
    """The guide page (1-based) of a chapter; the first page when unknown."""
    return chapter_pages().get(chapter, 1)


class GuideViewer(QDialog):
    """The guide in a window of its own, scrolled to the requested page."""

    def __init__(self, page: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guide_viewer")
        self.setWindowTitle(_("Guide d'utilisation — Propreo"))
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.document = QPdfDocument(self)
        self.document.load(str(GUIDE_PDF))
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.resize(900, 1000)
        self.page = page

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        # Jump once the view has its size: before that, the multi-page layout is not known.
        QTimer.singleShot(0, lambda: self.go_to(self.page))

    def go_to(self, page: int) -> None:
        self.page = page
        index = max(0, min(page - 1, self.document.pageCount() - 1))
        self.view.pageNavigator().jump(index, QPointF(0, 0), 0)

    @property
    def current_page(self) -> int:
        """1-based page shown at the top of the viewer."""
        return int(self.view.pageNavigator().currentPage()) + 1


def open_guide(parent: QWidget | None, chapter: str = "", external: bool = False) -> Any:
    """Open the guide at a chapter: in-app viewer (default) or the system's PDF reader."""
    if not GUIDE_PDF.exists():
        QMessageBox.warning(
            parent,
            "Propreo",
            _("Le guide d'utilisation est introuvable : {path}").format(path=GUIDE_PDF),
        )
        return None
    if external:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(GUIDE_PDF)))
        return None
    viewer = GuideViewer(page_for(chapter) if chapter else 1, parent)
    viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    viewer.show()
    if parent is not None:
        parent.guide_viewer = viewer  # type: ignore[attr-defined]  # kept alive; tests look at it
    return viewer


def current_chapter(window: Any) -> str:
    """help_chapter of the tab shown in the main window ("" when it has none)."""
    screen = window.current_screen()
    if screen is None:
        return ""
    return str(getattr(screen.ensure(), "help_chapter", "") or "")


def install_help(window: Any) -> None:
    """Add Aide → Guide d'utilisation (and the external-reader variant) and F1 to the window."""
    menu = window.help_menu
    first = menu.actions()[0] if menu.actions() else None
    guide = QAction(_("Guide d'utilisation"), window)
    guide.setObjectName("action_guide")
    guide.triggered.connect(lambda _checked=False: open_guide(window))
    external = QAction(_("Guide d'utilisation (lecteur PDF)"), window)
    external.triggered.connect(lambda _checked=False: open_guide(window, external=True))
    tab_help = QAction(_("Aide sur l'onglet"), window)
    tab_help.setObjectName("action_tab_help")
    tab_help.setShortcut(QKeySequence(Qt.Key.Key_F1))
    tab_help.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    tab_help.triggered.connect(lambda _checked=False: open_guide(window, current_chapter(window)))
    menu.insertActions(first, [guide, external, tab_help])
    if first is not None:
        menu.insertSeparator(first)
    window.addAction(tab_help)
