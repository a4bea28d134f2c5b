"""The window works on a 1366×768 laptop: modules grouped on two rows of tabs, no cut header,
accented capitals kept on tabs (issue P §4)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QHeaderView, QTabWidget, QWidget
from pytestqt.qtbot import QtBot

from app.db import Database
from ui.main_window import MainWindow
from ui.tabs import GROUPS, TABS

LAPTOP = QSize(1366, 768 - 40)  # the screen less a task bar


def cut_headers(root: QWidget) -> list[str]:
    """Every visible column header of ``root`` narrower than its title: « Date de révisior »."""
    cut = []
    for header in root.findChildren(QHeaderView):
        if not header.isVisible() or header.orientation().name != "Horizontal":
            continue
        model = header.model()
        for i in range(header.count()):
            if header.isSectionHidden(i):
                continue
            if header.sectionSize(i) < header.sectionSizeHint(i):
                title = model.headerData(i, header.orientation())
                cut.append(f"{title} ({header.sectionSize(i)} < {header.sectionSizeHint(i)})")
    return cut


def test_modules_are_grouped_and_every_screen_fits_a_laptop(
    qtbot: QtBot, demo_db: Database
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.resize(LAPTOP)
    window.show()
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Accueil",
        "Relation client (6)",  # the liaison book's late alerts, seen from every screen
        "Commercial",
        "Contrats",
        "Facturation",
        "Règlements",
    ]
    assert window.tabs.tabBar().sizeHint().width() < LAPTOP.width() // 2
    problems = {}
    for title, _m, _c in TABS:
        screen = window.tab(title)
        for _ in range(3):
            QApplication.processEvents()
        assert window.current_screen().inner is screen
        assert window.size() == LAPTOP, title  # nothing forced the window wider or taller
        if cut := cut_headers(screen):
            problems[title] = cut
    assert problems == {}
    assert sum(len(screens) for _g, screens in GROUPS) == len(TABS) == 15


def test_an_unselected_tab_keeps_the_accent_of_its_capital(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    window.tab("Facturation")
    bar = next(t for t in window.group_tabs if t and t.tabText(2) == "Éditions").tabBar()
    assert bar.currentIndex() != 2

    def label() -> object:
        QApplication.processEvents()
        return bar.grab(bar.tabRect(2)).toImage()

    accented = label()
    bar.setTabText(2, "Editions")
    assert label() != accented  # the accent is drawn, not clipped away


def test_a_group_shows_its_screens_on_a_second_row(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.tab("Relances")
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Règlements"
    inner = window.tabs.currentWidget()
    assert isinstance(inner, QTabWidget)
    assert [inner.tabText(i) for i in range(inner.count())] == ["Règlements", "Relances"]
    assert inner.currentIndex() == 1
