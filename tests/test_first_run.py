"""The first-start wizard, driven as a new user would: new company database, errors shown
on the page naming the field, and an empty company database that ``propreo check`` accepts."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from app.cli import main as cli_main
from app.company import get_company
from app.db import open_database
from app.demo.identity import fr_vat, make_siren, make_siret
from app.documents import smtp_settings
from app.errors import ValidationError, ValidationErrors
from app.logo import prepare_logo
from app.numbering import next_number
from app.numbering_settings import list_series, set_series_patterns
from models.audit import AuditEvent
from ui import first_run, first_run_pages
from ui.first_run import (
    PAGE_BANK,
    PAGE_COMPANY,
    PAGE_DONE,
    PAGE_LOCATION,
    PAGE_LOGO,
    PAGE_NUMBERING,
    PAGE_SMTP,
    FirstRunWizard,
)

SIREN = make_siren("73282932")

IDENTITY = {
    "name": "Net'Azur Propreté",
    "legal_form": "SARL",
    "share_capital": "8000",
    "street": "5 avenue Jean Médecin",
    "postcode": "06000",
    "city": "Nice",
    "siren": SIREN,
    "siret": make_siret(SIREN, 21),
    "rcs_city": "Nice",
    "vat_number": fr_vat(SIREN),
    "naf_code": "81.21Z",
    "email": "contact@netazur.fr",
}


def _png(width: int, height: int, mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (20, 120, 160)).save(out, format="PNG")
    return out.getvalue()


def _wizard(qtbot: QtBot, tmp_path: Path) -> FirstRunWizard:
    wizard = FirstRunWizard(tmp_path / "data" / "propreo.db", tmp_path / "data" / "demo.db")
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _fill(page: first_run_pages._CompanyFormPage, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.form.set_value(name, value)


def test_new_company_database_from_the_wizard(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _wizard(qtbot, tmp_path)
    choice = wizard.page(first_run.PAGE_CHOICE)
    assert choice.new.isChecked()
    wizard.next()
    assert wizard.currentId() == PAGE_LOCATION
    location = wizard.currentPage()
    # The local place is the user's data folder; the shared-folder caveats appear on demand.
    assert location.path.text() == str(tmp_path / "data" / "propreo.db")
    assert location.caveats.isHidden()
    location.shared.setChecked(True)
    assert not location.caveats.isHidden()
    assert "quelques postes" in location.caveats.text()
    assert "PostgreSQL" in location.caveats.text()
    assert "rollback journal" in location.caveats.text()
    location.path.setText(str(tmp_path / "partage" / "Société"))
    wizard.next()
    assert wizard.currentId() == PAGE_COMPANY
    target = tmp_path / "partage" / "Société.db"
    assert target.is_file()
    assert wizard.database_path == str(target)

    # A wrong SIRET is refused on the page, under the field, in French; nothing saved.
    company_page = wizard.currentPage()
    _fill(company_page, {**IDENTITY, "siret": "12345678901234"})
    wizard.next()
    assert wizard.currentId() == PAGE_COMPANY
    assert "SIRET" in company_page.form.error_text("siret")
    assert company_page.form.error_text("name") == ""
    db = open_database(target)
    with db.read() as session, pytest.raises(Exception, match="Société"):
        get_company(session)
    db.dispose()

    company_page.form.set_value("siret", IDENTITY["siret"])
    wizard.next()
    assert wizard.currentId() == PAGE_BANK
    bank = wizard.currentPage()
    _fill(bank, {"iban": "FR76 3000 4001 2300 0123 4567 843", "bic": "BNPAFRPPXXX"})
    bank.form.set_value("bank_name", "BNP Paribas Nice")
    wizard.next()
    assert wizard.currentId() == PAGE_LOGO
    logo = wizard.currentPage()
    bad = tmp_path / "logo.gif"
    Image.new("RGB", (10, 10)).save(bad, format="GIF")
    assert not logo.load_file(bad)
    assert "PNG ou JPEG" in logo.error.text()
    big = tmp_path / "logo.png"
    big.write_bytes(_png(2400, 800))
    assert logo.load_file(big)
    wizard.next()
    assert wizard.currentId() == PAGE_NUMBERING
    numbering = wizard.currentPage()
    # A yearly series without the year is refused under its row.
    numbering.edits["invoice"].setText("F-{seq:04}")
    assert "année" in numbering.errors["invoice"].text()
    wizard.next()
    assert wizard.currentId() == PAGE_NUMBERING
    assert "année" in numbering.errors["invoice"].text()
    numbering.edits["invoice"].setText("F{YY}{MM}-{seq:04}")
    assert numbering.examples["invoice"].text().endswith("-0001")
    wizard.next()
    assert wizard.currentId() == PAGE_SMTP
    smtp = wizard.currentPage()
    # Prefilled from the identity; a bad sender address is refused naming the field.
    assert smtp.form.value("sender_name") == "Net'Azur Propreté"
    assert smtp.form.value("sender_email") == "contact@netazur.fr"
    smtp.form.set_value("host", "smtp.netazur.fr")
    smtp.form.set_value("sender_email", "contact netazur.fr")
    wizard.next()
    assert wizard.currentId() == PAGE_SMTP
    assert "contact netazur.fr" in smtp.form.error_text("sender_email")
    smtp.form.set_value("sender_email", "factures@netazur.fr")
    wizard.next()
    assert wizard.currentId() == PAGE_DONE
    assert "Net'Azur Propreté" in wizard.currentPage().summary.text()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert wizard.db is None  # closed for the main window to reopen

    db = open_database(target)
    with db.read() as session:
        company = get_company(session)
        assert company.name == "Net'Azur Propreté"
        assert company.siret == IDENTITY["siret"]
        assert company.vat_number == IDENTITY["vat_number"]
        assert company.iban == "FR7630004001230001234567843"
        assert company.bank_name == "BNP Paribas Nice"
        assert company.share_capital == Decimal("8000.00")
        with Image.open(io.BytesIO(company.logo_png)) as image:
            assert image.format == "PNG"
            assert image.size == (600, 200)
        smtp = smtp_settings.get_settings(session)
        assert (smtp.host, smtp.port, smtp.sender_email) == (
            "smtp.netazur.fr",
            587,
            "factures@netazur.fr",
        )
        series = {row.code: row for row in list_series(session)}
        assert series["invoice"].pattern == "F{YY}{MM}-{seq:04}"
        assert series["credit_note"].pattern == "AV{YYYY}-{seq:05}"
        actions = [e.summary for e in session.query(AuditEvent).order_by(AuditEvent.id)]
        assert "Identité de la société créée" in actions
        assert any("Factures" in a and "F{YY}{MM}-{seq:04}" in a for a in actions)
    db.dispose()
    # The new database is empty but consistent: `propreo check` accepts it.
    assert cli_main(["--db", str(target), "check"]) == 0


def test_cancelling_before_the_identity_leaves_no_file(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _wizard(qtbot, tmp_path)
    wizard.next()
    wizard.next()
    target = tmp_path / "data" / "propreo.db"
    assert wizard.currentId() == PAGE_COMPANY and target.is_file()
    wizard.reject()
    assert not target.exists()
    assert wizard.database_path is None


def test_existing_file_is_not_overwritten(qtbot: QtBot, tmp_path: Path) -> None:
    target = tmp_path / "data" / "propreo.db"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"")
    wizard = _wizard(qtbot, tmp_path)
    wizard.next()
    wizard.next()
    assert wizard.currentId() == PAGE_LOCATION
    assert "existe déjà" in wizard.currentPage().error.text()


def test_open_existing_database(qtbot: QtBot, tmp_path: Path, empty_db_file: Path) -> None:
    wizard = _wizard(qtbot, tmp_path)
    wizard.page(first_run.PAGE_CHOICE).open.setChecked(True)
    wizard.next()
    page = wizard.currentPage()
    page.path.setText(str(tmp_path / "absent.db"))
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert "n'existe pas" in page.error.text()
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("ceci n'est pas une base " * 100)
    page.path.setText(str(not_a_db))
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert not page.error.isHidden() and wizard.result() != QWizard.DialogCode.Accepted
    page.path.setText(str(empty_db_file))
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert wizard.database_path == str(empty_db_file)


def test_series_pattern_frozen_once_a_number_was_issued(db) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    with db.write() as session:
        next_number(session, "invoice", dt.date(2026, 9, 30))
    with db.write() as session, pytest.raises(ValidationErrors) as caught:
        set_series_patterns(session, {"invoice": "FC{YYYY}-{seq:05}", "quote": "D{seq:05}"})
    messages = [str(e) for e in caught.value.errors]
    assert caught.value.fields == ["Factures", "Devis"]
    assert "déjà attribué 1 numéro" in messages[0]
    assert "année" in messages[1]
    with db.write() as session, pytest.raises(ValidationErrors, match="Avoirs"):
        set_series_patterns(session, {"quote": "AV{YYYY}-{seq:05}"})
    with db.read() as session:
        assert {r.code: r.pattern for r in list_series(session)}["invoice"] == "FA{YYYY}-{seq:05}"


def test_logo_is_shrunk_and_kept_as_png() -> None:
    out = prepare_logo(_png(300, 1200, "RGB"))
    with Image.open(io.BytesIO(out)) as image:
        assert image.format == "PNG" and image.size == (75, 300)
    jpeg = io.BytesIO()
    Image.new("RGB", (100, 50), "white").save(jpeg, format="JPEG")
    with Image.open(io.BytesIO(prepare_logo(jpeg.getvalue()))) as image:
        assert image.size == (100, 50)
    with pytest.raises(ValidationError, match="image"):
        prepare_logo(b"not an image")


def test_first_start_shows_the_wizard_then_opens_its_database(
    qtbot: QtBot, tmp_path: Path, empty_db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from ui import app as ui_app
    from ui.main_window import recent_files, settings

    settings().setValue("recent_files", [])
    default = tmp_path / "data" / "propreo.db"
    shown: list[Path] = []
    monkeypatch.setattr(first_run, "run_first_run", lambda p: shown.append(p))
    # Cancelled wizard: nothing is created, the program ends quietly. (start_gui is
    # run_gui without the event loop: app.exec() must not run inside the test process.)
    assert ui_app.start_gui(str(default)) is None
    assert shown == [default] and not default.exists()

    chosen = shutil.copyfile(empty_db_file, tmp_path / "société.db")
    monkeypatch.setattr(first_run, "run_first_run", lambda p: str(chosen))
    window = ui_app.start_gui(str(default))
    assert window is not None and window.isVisible()
    qtbot.addWidget(window)
    assert recent_files()[0] == str(chosen)
    # Next start without a named database: the last one is reopened, no wizard.
    monkeypatch.setattr(first_run, "run_first_run", lambda p: pytest.fail("wizard shown"))
    again = ui_app.start_gui(str(default))
    assert again is not None and again.db.path == Path(chosen)
    qtbot.addWidget(again)
    settings().setValue("recent_files", [])


def _migrations_with_a_newer_revision(tmp_path: Path) -> Path:
    """A copy of the migrations plus a revision after head (what a software update brings)."""
    import shutil

    from app import migrate

    folder = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    head = migrate.head_revision()
    (folder / "versions" / "9999_update.py").write_text(
        f'''"""A later release adds a table."""
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("release_notes", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("release_notes")
''',
        encoding="utf-8",
    )
    return folder


def test_older_schema_asks_backs_up_then_migrates(
    qtbot: QtBot, tmp_path: Path, demo_db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from PySide6.QtWidgets import QMessageBox, QWidget

    from app import migrate
    from ui.app import open_for_gui

    target = shutil.copyfile(demo_db_file, tmp_path / "ancienne.db")
    old_head = migrate.head_revision()
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", _migrations_with_a_newer_revision(tmp_path))
    asked: list[str] = []
    answer = QMessageBox.StandardButton.No

    def question(parent, title, text):  # type: ignore[no-untyped-def]
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    informed: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda p, t, text: informed.append(text))
    parent = QWidget()
    qtbot.addWidget(parent)
    # Refused: nothing touched, no backup.
    assert open_for_gui(str(target), parent) is None
    assert "sauvegarde" in asked[0].lower()
    assert list(tmp_path.glob("ancienne.avant-migration-*")) == []
    db = open_database(target)
    assert migrate.current_revision(db) == old_head
    db.dispose()

    answer = QMessageBox.StandardButton.Yes
    db = open_for_gui(str(target), parent)
    assert db is not None and len(asked) == 2
    assert migrate.current_revision(db) == "9999"
    with db.read() as session:
        assert get_company(session).name == "Lumière Propreté Services"
    db.dispose()
    backups = list(tmp_path.glob(f"ancienne.avant-migration-{old_head}-*.db"))
    assert len(backups) == 1
    assert informed == [f"Base mise à jour. Sauvegarde de la version précédente :\n{backups[0]}"]
    backup = open_database(backups[0])
    assert migrate.current_revision(backup) == old_head
    with backup.read() as session:
        assert get_company(session).name == "Lumière Propreté Services"
    backup.dispose()


def test_about_dialog_names_version_database_schema_and_licences(qtbot: QtBot, db) -> None:  # type: ignore[no-untyped-def]
    from app import __version__, migrate
    from ui.about import AboutDialog

    dialog = AboutDialog(db)
    qtbot.addWidget(dialog)
    values = " | ".join(dialog.info.values())
    assert (str(db.path) if db.path else db.url) in values
    assert f"{migrate.head_revision()} (à jour)" in values
    comps = {c.name: c for c in dialog.components}
    assert comps["PySide6"].licence.startswith("LGPL-3.0")
    assert comps["saxonche"].licence == "MPL-2.0"
    assert comps["python-stdnum"].licence.startswith("LGPL")
    assert comps["SQLAlchemy"].version  # read from the installed distribution
    assert dialog.table.rowCount() == len(comps) >= 25
    from PySide6.QtWidgets import QLabel

    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any(f"Propreo {__version__}" in t for t in texts)
