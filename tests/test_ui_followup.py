"""« Suivi des contrats » clicked through the real widgets (offscreen): a revision due is
listed with its coefficient, applied from the tab, its notice produced; index values are
imported from a CSV; a clause with a + Σ b ≠ 1 is refused naming the problem."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

from PySide6.QtCore import QDate, QItemSelectionModel
from pytestqt.qtbot import QtBot

from app.db import Database
from tests.test_revisions import _contract, _index_with_values
from ui.main_window import MainWindow


def _prepare(db: Database) -> int:
    from app.demo import DemoContext
    from app.demo import company as demo_company
    from app.revisions import clauses

    with db.write() as session:
        demo_company.load(session, DemoContext())
        session.flush()
        contract_id, _m, _w = _contract(session)
        index_id = _index_with_values(session)
        clauses.save_clause(
            session,
            contract_id,
            clauses.ClauseForm(
                fixed_part=D("0.15"),
                terms=[clauses.TermForm(index_id, D("0.85"), reference_month=dt.date(2025, 6, 1))],
                next_revision=dt.date(2026, 9, 1),
            ),
        )
    return contract_id


def _tab(qtbot: QtBot, db: Database):  # type: ignore[no-untyped-def]
    from ui.followup import FollowUpTab

    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = FollowUpTab(window.ctx)
    qtbot.addWidget(tab)
    tab.today.setDate(QDate(2026, 9, 1))
    tab.revision_until.setDate(QDate(2026, 9, 30))
    tab.projection_start.set_period("2026-09")
    return window, tab


def _select_all(records) -> None:  # type: ignore[no-untyped-def]
    view = records.view
    view.selectAll()
    assert view.selectionModel().selectedRows()


def test_apply_revision_and_produce_notice_from_the_tab(qtbot: QtBot, db: Database) -> None:
    contract_id = _prepare(db)
    window, tab = _tab(qtbot, db)
    [row] = tab.revision_list.visible_rows()
    assert (row.contract_code, row.coefficient, row.gain) == ("CT-T1", D("1.065223"), D("1103.56"))
    # The projection (computed off the GUI thread when its page is shown) already shows the
    # effect of the revision due.
    tab.pages.setCurrentIndex(tab.PROJECTION_PAGE)
    qtbot.waitUntil(lambda: bool(tab.projection_list.visible_rows()), timeout=10000)
    [item] = tab.projection_list.visible_rows()
    # Over September 2026 – August 2027 with quarters spread by days: 12 × 81,53 for the
    # monthly line + 125,21 for the windows (Sept. part of Q3, Q4–Q2, July–Aug. of Q3 2027).
    assert item.revision_effect == D("1103.57")
    assert "CA 16\u202f920,00" in tab.projection_total.text()
    assert tab.chart.series()

    _select_all(tab.revision_list)
    with qtbot.waitSignal(window.bus.changed, timeout=10000):
        tab.apply_selected()
    qtbot.waitUntil(lambda: not tab.revision_list.visible_rows(), timeout=10000)
    [todo] = tab.notice_list.visible_rows()
    assert todo.kind_label == "Avis de révision" and todo.contract_code == "CT-T1"

    _select_all(tab.notice_list)
    with qtbot.waitSignal(window.bus.changed, timeout=10000):
        tab.produce_selected()
    qtbot.waitUntil(lambda: len(tab.sent_list.visible_rows()) == 1, timeout=10000)
    [sent] = tab.sent_list.visible_rows()
    assert (db.files_dir / sent.docx_path).exists() and (db.files_dir / sent.pdf_path).exists()
    assert tab.notice_list.visible_rows() == []
    from app.revisions.clauses import get_clause

    with db.read() as session:
        assert get_clause(session, contract_id).next_revision == dt.date(2027, 9, 1)


def test_index_csv_import_and_clause_refused(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    from ui.followup_dialogs import ClauseDialog, IndexEditor

    contract_id = _prepare(db)
    window, tab = _tab(qtbot, db)
    editor = IndexEditor(window.ctx, tab)
    qtbot.addWidget(editor)
    rows = editor.index_list.visible_rows()
    assert [r.name for r in rows] == ["ICHTrev-TS section N"]
    editor.index_list.view.selectionModel().setCurrentIndex(
        editor.index_list.proxy.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    csv_file = tmp_path / "ichtrev.csv"
    csv_file.write_text("Mois;Valeur\n2026-07;131,1\n2026-08;131,6\n", encoding="utf-8")
    editor.import_file(str(csv_file))
    assert editor.message.text() == "2 valeurs ajoutées, 0 modifiée, 0 inchangée."
    values = {r.month: r.value for r in editor.values.visible_rows()}
    assert (values[dt.date(2026, 7, 1)], values[dt.date(2026, 8, 1)]) == (D("131.1"), D("131.6"))
    csv_file.write_text("2026-09;abc\n", encoding="utf-8")
    editor.import_file(str(csv_file))
    assert "Ligne 1 : « abc » n'est pas une valeur d'indice valide" in editor.message.text()

    dialog = ClauseDialog(window.ctx, contract_id, tab)
    qtbot.addWidget(dialog)
    assert dialog.fixed.text() == "0,15"
    dialog.term_widgets[0][1].setText("0,80")
    dialog.save()
    assert "a + Σ b = 0,95" in dialog.errors.text()
    dialog.term_widgets[0][1].setText("0,85")
    dialog.term_widgets[0][2].setText("121,2")
    dialog.cap.setText("1,05")
    dialog.save()
    assert dialog.errors.text() == ""
    tab.refresh()
    [row] = tab.revision_list.visible_rows()
    assert (row.coefficient, row.limited_by) == (D("1.050000"), "plafond appliqué")
