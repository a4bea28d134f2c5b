"""Global search (issue P §6): numbers, names, cities and amounts find clients, sites,
contracts, quotes and invoices whatever the accents; Ctrl+K or the box by the menus, Entrée
opens the record on its screen."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.search import amount_of, search
from models.invoices import Invoice, InvoiceStatus
from ui.main_window import MainWindow


def test_search_by_name_city_number_and_amount(demo_db: Database) -> None:
    with demo_db.read() as session:
        hits = search(session, "tilleul")
        assert [(h.kind, h.title) for h in hits] == [
            ("client", "Résidence Les Tilleuls"),
            ("site", "Résidence Les Tilleuls — parties communes"),
            ("contract", "CT00014"),
        ]
        # Without accents, several words in any order, each must be there.
        names = [h.title for h in search(session, "brotteaux RESIDENCE") if h.kind == "client"]
        assert names == ["Résidence Le Parc des Brotteaux"]
        assert all(
            h.detail.endswith("Villeurbanne")
            for h in search(session, "villeurbanne")
            if h.kind == "client"
        )
        assert [h.title for h in search(session, "DE2026-00003")] == ["DE2026-00003 v2"]
        invoice = session.scalars(
            select(Invoice).where(Invoice.status == InvoiceStatus.ISSUED).order_by(Invoice.id)
        ).first()
        assert [h.id for h in search(session, invoice.number)] == [invoice.id]
        # An amount finds the issued invoices of that total (HT or TTC), typed the French way.
        total = invoice.total_ttc
        same = session.scalars(
            select(Invoice.id)
            .where(
                Invoice.status == InvoiceStatus.ISSUED,
                (Invoice.total_ttc == total) | (Invoice.total_ht == total),
            )
            .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
            .limit(10)
        ).all()
        typed = f"{total:,.2f}".replace(",", " ").replace(".", ",") + " €"
        assert [h.id for h in search(session, typed) if h.kind == "invoice"] == list(same)
        assert invoice.id in same or len(same) == 10
        assert search(session, "x") == []
        assert search(session, "zzzz introuvable") == []
    assert amount_of("1 234,56 €") == Decimal("1234.56")
    assert amount_of("FA2026") is None
    assert amount_of("12,345") is None


def test_ctrl_k_then_enter_opens_the_record(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=15000)
    qtbot.keyClick(window.tabs, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    dialog = window.search_dialog
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.edit, "CT00004")
    qtbot.waitUntil(lambda: dialog.results() != [])
    assert dialog.results()[0].startswith("Contrat — CT00004")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    contracts = window.current_screen().inner  # the screen now in front
    assert type(contracts).__name__ == "ContractsTab"
    assert contracts.contract_id == 4

    # The box by the menus: type, Entrée shows the results, ↓ then Entrée opens the second.
    window.search_box.setFocus()
    qtbot.keyClicks(window.search_box, "tilleuls")
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    dialog = window.search_dialog
    assert [r.split(" — ")[0] for r in dialog.results()] == ["Client", "Chantier", "Contrat"]
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    sites = window.current_screen().inner
    assert type(sites).__name__ == "SitesTab"
    assert sites.site_id == 22


def test_nothing_found_says_so(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    dialog = window.open_search("zzzz")
    assert dialog.results() == []
    assert dialog.status.text() == "Aucun résultat pour « zzzz »."
    assert dialog.open_current() is None
    dialog.close()
