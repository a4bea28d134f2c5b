"""The window works on a 1366×768 laptop: modules grouped on two rows of tabs, no cut header,
accented capitals kept on tabs (issue P §4)."""

from __future__ import annotations

from PySide6.QtCore import QDate, QSize
from PySide6.QtWidgets import (
    QApplication,
    QDateEdit,
    QHeaderView,
    QLineEdit,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.db import Database
from ui.main_window import MainWindow
from ui.month_picker import MonthPicker
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
    assert sum(len(screens) for _g, screens in GROUPS) == len(TABS) >= 15


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


def test_lists_open_on_their_first_record(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    clients = window.tab("Clients")
    first = clients.list.visible_rows()[0]
    assert clients.list.current() == first
    assert clients.editor.form.value("name") == first.name  # not a blank « Nouveau client »
    sites = window.tab("Chantiers")
    assert sites.list.current() == sites.list.visible_rows()[0]
    assert sites.form.value("name")
    contracts = window.tab("Contrats")
    assert contracts.contract_id == contracts.list.visible_rows()[0].id
    articles = window.tab("Articles").editor
    assert articles.current_id == articles.list.visible_rows()[0].id
    for title, path in (
        ("Devis", "list"),
        ("Règlements", "list"),
        ("Cahier de liaison", "entries"),
    ):
        listed = getattr(window.tab(title), path)
        listed = getattr(listed, "list", listed)
        assert listed.current() == listed.visible_rows()[0], title


def test_the_draft_list_has_the_room_of_the_facturation_screen(
    qtbot: QtBot, demo_db: Database
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.resize(LAPTOP)
    window.show()
    tab = window.tab("Facturation")
    tab.set_period("2026-09")
    QApplication.processEvents()
    view = tab.drafts.view
    rows_shown = view.viewport().height() // view.verticalHeader().defaultSectionSize()
    assert rows_shown >= 7  # was 4, under the warnings and the control tables
    assert view.height() > 1.5 * tab.warnings.height()
    # A warning brings its page forward and counts itself.
    tab.checks.setCurrentIndex(1)
    tab.warnings.addItem("Client bloqué : Boulangerie Pâtisserie Lenoir")
    assert tab.checks.currentIndex() == 0
    assert tab.checks.tabText(0) == "Avertissements (1)"


def test_one_month_picker_everywhere(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    for title, _m, _c in TABS:
        screen = window.tab(title)
        for edit in screen.findChildren(QDateEdit):
            if "dd" not in edit.displayFormat():  # a month: only inside the picker
                assert isinstance(edit.parent(), MonthPicker), title
        for line in screen.findChildren(QLineEdit):
            assert "AAAA-MM" not in line.placeholderText() + line.toolTip(), title

    billing = window.tab("Facturation")
    billing.f_period.set_period("2026-07")
    assert billing.f_period.edit.text() == "juillet 2026"
    billing.pages.setCurrentIndex(1)
    billing.f_period.next.click()  # « ▶ »: the list follows
    assert billing.f_period.period() == "2026-08"
    rows = billing.invoices.visible_rows()
    assert rows and {r.issue_date.strftime("%Y-%m") for r in rows if r.issue_date} == {"2026-08"}
    billing.f_period.set_period("")
    assert billing.f_period.edit.text() == "Tous les mois"
    assert billing.f_period.period() == ""
    billing.f_period.edit.setDate(QDate(2026, 9, 17))  # a day chosen in the calendar
    assert billing.f_period.period() == "2026-09"
    assert billing.f_period.edit.date() == QDate(2026, 9, 1)
