"""Fiscal year in the GUI: « Clôture de l'exercice » in the company settings (error under the
field), and « Export FEC… » offering the firm's exercises (1 July – 30 June here)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.db import Database
from app.fiscal import FiscalCalendar
from models.company import CompanySettings
from ui.documents import DocumentsTab
from ui.main_window import MainWindow
from ui.settings_dialog import CompanyDialog


def test_closing_setting_and_fec_export_by_exercise(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    dialog = CompanyDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    assert dialog.form.value("fiscal_closing") == "31/12"
    dialog.form.set_value("fiscal_closing", "31/06")
    dialog.save()
    assert "31/06 n'existe pas" in dialog.form.error_text("fiscal_closing")
    assert dialog.result() == 0
    dialog.form.set_value("fiscal_closing", "30/06")
    dialog.save()
    assert dialog.form.error_text("fiscal_closing") == "" and dialog.result() == 1
    with demo_db.read() as session:
        company = session.get(CompanySettings, 1)
        assert company is not None
        assert (company.fiscal_close_day, company.fiscal_close_month) == (30, 6)
        siren = company.siren
    again = CompanyDialog(window.ctx, window)
    qtbot.addWidget(again)
    assert again.form.value("fiscal_closing") == "30/06"

    offered: dict[str, Any] = {}

    def choose(_parent: object, _title: str, _label: str, items: list[str], current: int, _e: bool):  # type: ignore[no-untyped-def]
        offered["items"], offered["current"] = list(items), current
        return items[current], True

    shown: list[str] = []
    monkeypatch.setattr("ui.documents.QInputDialog.getItem", choose)
    monkeypatch.setattr(
        "ui.documents.QFileDialog.getExistingDirectory", lambda *_a, **_k: str(tmp_path)
    )
    monkeypatch.setattr(
        "ui.documents.QMessageBox.information", lambda _p, _t, text: shown.append(text)
    )
    tab = DocumentsTab(window.ctx)
    qtbot.addWidget(tab)
    tab.export_fec()
    recent = FiscalCalendar(6, 30).recent(dt.date.today(), 8)
    assert offered["items"] == [e.label for e in recent]
    assert offered["items"][0].endswith(f"au 30/06/{recent[0].end.year}")
    assert offered["current"] == 1  # the last closed exercise
    qtbot.waitUntil(lambda: bool(shown), timeout=60000)
    closing = recent[1].end
    name = f"{siren}FEC{closing:%Y%m%d}.txt"
    assert (tmp_path / name).exists()
    assert name in shown[0] and "écritures équilibrées" in shown[0]
    sales = tmp_path / f"ventes-{closing.year - 1}-07_{closing.year}-06.csv"
    assert sales.name in shown[0]
    dates = [r.split(";")[0] for r in sales.read_text("utf-8-sig").splitlines()[1:]]
    assert dates and {d[3:] for d in dates} <= {
        f"{m:02d}/{closing.year - (m >= 7)}" for m in range(1, 13)
    }
