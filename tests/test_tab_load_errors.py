"""Chantiers on a base whose surfaces were stored as typed text (``init --demo --contracts``
before the fix), and any tab that fails to load: an error in the tab, never a blank tab."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.db import Database
from tests import billing_fixtures as bf
from ui.main_window import MainWindow
from ui.sites import SitesTab
from ui.tabs import TABS, place


def test_sites_stored_as_typed_text_are_listed_and_opened(qtbot: QtBot, db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        site = bf.site(s, bf.client(s))
        site_id = site.id
        s.execute(
            text("UPDATE sites SET surfaces = 'Bureaux : 450' WHERE id = :id"), {"id": site_id}
        )
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Chantiers")
    assert isinstance(tab, SitesTab)
    tab.list.filter_combo.setCurrentIndex(1)  # Tous
    rows = tab.list.visible_rows()
    assert [(r.code, r.surface) for r in rows] == [("S-DUP", Decimal("450"))]
    tab.open_site(site_id)
    assert tab.form.value("surfaces") == "Bureaux : 450"


def test_a_tab_that_cannot_load_says_so(
    qtbot: QtBot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: SitesTab) -> None:
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    monkeypatch.setattr(SitesTab, "refresh", broken)
    window = MainWindow(db)
    qtbot.addWidget(window)
    group, index = place("Chantiers")
    window.group_tabs[group].setCurrentIndex(index)  # as clicks on the tabs do
    window.tabs.setCurrentIndex(group)
    lazy = window.lazy_tabs[[t for t, _m, _c in TABS].index("Chantiers")]
    assert lazy.inner is None and lazy.failure is not None and not lazy.failure.isHidden()
    assert lazy.failure.text().startswith("Cet onglet n'a pas pu être affiché : ValueError")
    # The other tabs still work.
    window.tab("Articles")
