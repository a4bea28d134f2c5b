"""Closing a month from the window (issue T §6): « Fichier › Clôtures mensuelles… »
lists the closings, asks before closing with what the closing seals, refuses in French."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.closings import verify_closings
from app.db import Database, open_database
from models.closings import MonthClosing
from models.invoices import Invoice, InvoiceStatus
from tests.dialogs import ACCEPT, REJECT, answer
from ui.closings import ClosingsDialog
from ui.main_window import MainWindow

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def demo(demo_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = shutil.copyfile(demo_db_file, tmp_path / "demo.db")
    shutil.copytree(demo_db_file.with_name("demo.db.files"), tmp_path / "demo.db.files")
    db = open_database(path)
    yield db
    db.dispose()
    keyring.set_keyring(previous)


def _closings(db: Database) -> list[tuple[str, int]]:
    with db.read() as s:
        return [(c.period, c.chain_count) for c in s.scalars(select(MonthClosing))]


def test_close_a_month_from_the_window(qtbot: QtBot, demo: Database) -> None:
    with demo.read() as s:
        july = s.scalars(
            select(Invoice.number)
            .where(
                Invoice.status == InvoiceStatus.ISSUED,
                Invoice.issue_date.between("2026-07-01", "2026-07-31"),
            )
            .order_by(Invoice.chain_index)
        ).all()
        rank = s.scalar(
            select(Invoice.chain_index)
            .where(Invoice.chain_index.is_not(None), Invoice.issue_date <= "2026-07-31")
            .order_by(Invoice.chain_index.desc())
            .limit(1)
        )
    window = MainWindow(demo)
    qtbot.addWidget(window)
    dialog = ClosingsDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    assert dialog.list.visible_rows() == []
    dialog.period.set_period("2026-07")

    seen: list[str] = []
    answer(REJECT, seen=seen)  # « Annuler »: nothing signed
    assert dialog.close_period() is False
    assert _closings(demo) == []
    assert (
        f"Clôturer 2026-07 scelle {len(july)} documents émis ce mois-là ({july[0]} à "
        f"{july[-1]}) et toute la chaîne jusqu'au document de rang {rank}" in seen[0]
    )
    assert "la clôture est définitive" in seen[0]

    answer(ACCEPT)
    assert dialog.close_period() is True
    assert _closings(demo) == [("2026-07", rank)]
    [row] = dialog.list.visible_rows()
    assert row[0].period == "2026-07" and dialog.message.text().startswith(
        f"Mois 2026-07 clôturé : {rank} documents dans la chaîne, empreinte {row[1]}."
    )
    with demo.read() as s:
        assert verify_closings(s) == []

    # Closed already, or a month not over: said in French, nothing asked, nothing signed.
    for period, said in (
        ("2026-07", "Le mois 2026-07 est déjà clôturé."),
        ("2099-01", "Le mois 2099-01 n'est pas terminé."),
    ):
        seen = []
        answer(ACCEPT, seen=seen)
        dialog.period.set_period(period)
        assert dialog.close_period() is False
        assert said in seen[0] and "Clôturer" not in seen[0].split("\n", 1)[1]
    assert _closings(demo) == [("2026-07", rank)]


def test_the_file_menu_opens_it(qtbot: QtBot, demo: Database) -> None:
    window = MainWindow(demo)
    qtbot.addWidget(window)
    [action] = [
        a
        for a in window.menuBar().actions()[0].menu().actions()
        if a.text() == "Clôtures mensuelles…"
    ]
    seen: list[str] = []
    answer(REJECT, seen=seen)
    action.trigger()
    assert seen and seen[0].startswith("Clôtures mensuelles")
