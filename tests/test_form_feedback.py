"""Forms speak French and follow the user: rates in the settings shown « 12,15 » (not
« 12.15 »), and a field's error message goes as soon as the field is corrected."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from models.catalog import VatRate
from models.company import CompanySettings
from tests import billing_fixtures as bf
from ui.main_window import MainWindow
from ui.settings_dialog import CompanyDialog
from ui.settings_master import vat_editor


def test_settings_show_rates_in_french_and_save_them_unchanged(qtbot: QtBot, db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        before = s.get(CompanySettings, 1)
        stored = (before.late_penalty_rate, before.ecb_rate)
        reduced = s.scalar(select(VatRate).where(VatRate.rate == Decimal("5.5")))
        reduced_id = reduced.id
    window = MainWindow(db)
    qtbot.addWidget(window)
    dialog = CompanyDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    assert stored == (Decimal("12.15"), Decimal("2.15"))
    assert dialog.form.value("late_penalty_rate") == "12,15"
    assert dialog.form.value("ecb_rate") == "2,15"
    dialog.save()
    with db.read() as s:
        after = s.get(CompanySettings, 1)
        assert (after.late_penalty_rate, after.ecb_rate) == stored
    vat = vat_editor(window.ctx)
    qtbot.addWidget(vat)
    vat.select_id(reduced_id)
    assert vat.form.value("rate") == "5,5"


def test_an_error_goes_when_its_field_is_corrected(qtbot: QtBot, db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
    window = MainWindow(db)
    qtbot.addWidget(window)
    editor = window.tab("Clients").editor  # type: ignore[attr-defined]
    editor.new()
    editor.form.set_value("kind", "person")
    qtbot.keyClicks(editor.form.widget("name"), "Mme Durand")
    qtbot.keyClicks(editor.form.widget("postcode"), "6900")
    assert not editor.save()
    assert editor.form.error_text("postcode") != ""
    assert editor.form.error_text("city") != ""
    qtbot.keyClick(editor.form.widget("postcode"), Qt.Key.Key_2)
    assert editor.form.error_text("postcode") == ""  # corrected: its message is gone
    assert editor.form.error_text("city") != ""  # not yet: still shown
    assert editor.form.widget("postcode").styleSheet() == ""
