from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from app.db import Database
from ui.main_window import MainWindow
from ui.settings_dialog import CompanyDialog
from ui.table import Column, RecordTableModel


def test_main_window_opens_on_the_demo(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    assert "Propreo" in window.windowTitle()
    if demo_db.is_sqlite:
        assert str(demo_db.path) in window.db_label.text()
        assert "WAL" in window.db_label.text()
    else:
        assert demo_db.url in window.db_label.text()
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[:2] == ["&Fichier", "&Paramètres"]
    home = window.tab("Accueil")
    assert "Lumière Propreté Services" in home.label.text()


def test_company_dialog_refuses_a_bad_siret_naming_the_field(
    qtbot: QtBot, demo_db: Database
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    dialog = CompanyDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    original = dialog.form.value("siret")
    dialog.form.widget("siret").setText("12345678901234")
    dialog.save()
    assert "SIRET" in dialog.form.error_text("siret")
    assert dialog.result() == 0  # still open
    dialog.form.widget("siret").setText(original)
    dialog.save()
    assert dialog.form.error_text("siret") == ""


def test_operation_runs_off_the_gui_thread_and_refreshes(qtbot: QtBot, demo_db: Database) -> None:
    import threading

    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    seen: dict[str, object] = {}

    def work(session, progress):  # type: ignore[no-untyped-def]
        seen["thread"] = threading.current_thread()
        for i in range(3):
            progress.step(i + 1, 3, "étape")
        return 42

    with qtbot.waitSignal(window.bus.changed, timeout=5000):
        window.ctx.run(window, "Test", work, on_done=lambda r: seen.setdefault("result", r))
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen["result"] == 42
    assert seen["thread"] is not threading.main_thread()


def test_cancel_stops_the_operation_and_writes_nothing(qtbot: QtBot, demo_db: Database) -> None:
    from app.users import create_user

    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    errors: list[BaseException] = []

    def work(session, progress):  # type: ignore[no-untyped-def]
        create_user(session, "fantome", "Utilisateur Fantôme")
        progress.token.cancel()  # as the Annuler button would
        progress.step(1, 2, "")
        return None

    window.ctx.run(window, "Test", work, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert "annulée" in str(errors[0])
    from app.users import active_users

    assert "fantome" not in [u.login for u in window.ctx.query(active_users)]


def test_table_model_returning_none_for_unhandled_roles_does_not_crash(qtbot: QtBot) -> None:
    """PySide6 6.12.0 died with 'none_dealloc' here; keep the pin < 6.12 honest."""
    model = RecordTableModel([Column("A", lambda r: r), Column("B", lambda r: None)])
    model.set_rows(list(range(2000)))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    for _ in range(3):
        view.viewport().repaint()
        QApplication.processEvents()
    for row in range(0, 2000, 7):
        for role in (Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole, 999):
            assert model.data(model.index(row, 1), role) is None
    assert model.data(QModelIndex()) is None
    assert model.data(model.index(5, 0)) == "5"
