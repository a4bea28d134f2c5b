"""The import assistant through its real widgets: Fichier › Importer depuis un autre
logiciel…, the file, the columns (remembered), a preview that writes nothing and shows
every refused row in French, a confirmation, then the rows in the base and the report."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.db import Database
from app.imports.templates import template_path
from models.clients import Client
from tests.dialogs import ACCEPT, REJECT, answer
from ui.import_wizard import ImportWizard, open_import_wizard
from ui.main_window import MainWindow


def _wizard(qtbot: QtBot, db: Database, kind: str, path: Path) -> ImportWizard:
    window = MainWindow(db)
    qtbot.addWidget(window)
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "Importer depuis un autre logiciel…" in texts
    wizard = open_import_wizard(window.ctx, window)
    page = wizard.file_page
    page.kind.setCurrentIndex(page.kind.findData(kind))
    page.path.setText(str(path))
    return wizard


def _clients(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count(Client.id))) or 0)


def _preview(qtbot: QtBot, wizard: ImportWizard) -> None:
    wizard.next()  # → columns
    assert wizard.currentPage() is wizard.mapping_page
    wizard.next()  # → preview (a dry run in a worker)
    qtbot.waitUntil(lambda: wizard.preview is not None, timeout=20_000)


def test_template_previewed_confirmed_then_imported(qtbot: QtBot, db: Database) -> None:
    wizard = _wizard(qtbot, db, "clients", template_path("clients"))
    clients_tab = wizard.parentWidget().tab("Clients")  # open before: it must reload
    assert clients_tab.list.model.rowCount() == 0
    wizard.next()
    combo = wizard.mapping_page.combos["name"]
    assert combo.currentText() == "Nom / raison sociale"
    assert wizard.mapping_page.combos["manager_code"].currentText() == "Code syndic"
    wizard.next()
    qtbot.waitUntil(lambda: wizard.preview is not None, timeout=20_000)
    table = wizard.preview_page.rows
    assert table.rowCount() == 5
    assert {table.item(i, 1).text() for i in range(5)} == {"Acceptée"}
    assert table.item(1, 2).text() == "GEST001 — Cabinet Gestimmo"
    assert _clients(db) == 0  # a preview writes nothing
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    assert commit.text() == "Importer" and commit.isEnabled()
    answer(REJECT)  # the user changes their mind: nothing written
    commit.click()
    assert _clients(db) == 0 and wizard.currentPage() is wizard.preview_page
    seen: list[str] = []
    answer(ACCEPT, seen=seen)
    commit.click()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.report_page, timeout=20_000)
    assert "Importer 5 lignes de « Clients (syndics et copropriétés compris) »" in seen[0]
    assert wizard.report_page.summary.text() == "5 lignes importées."
    assert wizard.report_page.rows.item(0, 1).text() == "Importée"
    assert _clients(db) == 5
    qtbot.waitUntil(lambda: clients_tab.list.model.rowCount() == 5, timeout=5_000)


def test_a_broken_file_shows_each_refused_row_and_cannot_be_imported(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    lines = template_path("clients").read_text("utf-8-sig").splitlines()
    lines[4] = lines[4].replace("33000", "330000")  # Mme Dubois' postcode
    path = tmp_path / "clients.csv"
    path.write_text("\n".join(lines), "cp1252")
    wizard = _wizard(qtbot, db, "clients", path)
    _preview(qtbot, wizard)
    table = wizard.preview_page.rows
    refused = [
        (table.item(i, 0).text(), table.item(i, 2).text())
        for i in range(table.rowCount())
        if table.item(i, 1).text() == "Refusée"
    ]
    assert refused == [("5", "Le Code postal « 330000 » doit comporter 5 chiffres.")]
    assert "1 ligne refusée sur 5" in wizard.preview_page.summary.text()
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    assert _clients(db) == 0


def test_unreadable_file_is_said_on_the_first_page(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "ancien.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    wizard = _wizard(qtbot, db, "clients", path)
    wizard.next()
    assert wizard.currentPage() is wizard.file_page
    assert "Excel 97-2003 (.xls)" in wizard.file_page.error.text()


def test_column_choices_are_remembered(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "tiers.csv"
    path.write_text(
        "Réf tiers;Intitulé du tiers;Adresse;CP;Ville;Type\n"
        "DURA001;M. Pierre Durand;4 rue Haute;44000;Nantes;Particulier\n",
        "utf-8",
    )
    wizard = _wizard(qtbot, db, "clients", path)
    wizard.next()
    page = wizard.mapping_page
    assert page.combos["name"].currentText() == "(ne pas importer)"
    wizard.next()
    assert wizard.currentPage() is page
    assert page.error.text() == "Choisissez la colonne de : Nom / raison sociale."
    page.combos["name"].setCurrentIndex(page.combos["name"].findText("Intitulé du tiers"))
    page.combos["code"].setCurrentIndex(page.combos["code"].findText("Réf tiers"))
    wizard.next()
    qtbot.waitUntil(lambda: wizard.preview is not None, timeout=20_000)
    answer(ACCEPT)
    wizard.button(QWizard.WizardButton.CommitButton).click()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.report_page, timeout=20_000)
    assert _clients(db) == 1
    again = _wizard(qtbot, db, "clients", path)
    again.next()
    assert again.mapping_page.combos["name"].currentText() == "Intitulé du tiers"
    assert again.mapping_page.combos["code"].currentText() == "Réf tiers"
