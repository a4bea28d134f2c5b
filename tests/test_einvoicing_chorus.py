"""Chorus Pro for public bodies: after the deposit report, the invoice's processing
statuses (« statut de traitement ») are read back and become life-cycle statuses; the
settings tell the PISTE qualification (sandbox) from production."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.einvoicing import connector
from app.einvoicing.outgoing import send_invoices
from app.einvoicing.settings import read_settings
from app.einvoicing.status import history, invoice_states
from app.einvoicing.sync import sync
from models.invoices import Invoice
from tests.einvoicing_platform import configure, file_keyring, platform_process, sessions
from ui.einvoicing import PlatformSettingsDialog
from ui.main_window import MainWindow

TOWN_HALL = "FA2026-00140"  # the demo's August invoice to the town hall (organisme public)
SCENARIO = {
    "chorus_lifecycle": {
        TOWN_HALL: [
            "MISE_A_DISPOSITION",
            "SUSPENDUE:Bon de commande manquant",
            "MANDATEE",
            "MISE_EN_PAIEMENT",
        ]
    }
}


def test_processing_statuses_are_read_back_once_and_shown(
    demo_db: Database, tmp_path: Path
) -> None:
    with file_keyring(tmp_path / "k.json"), platform_process(tmp_path, SCENARIO) as url:
        configure(demo_db, url)
        with demo_db.read() as session:
            invoice_id = session.scalar(select(Invoice.id).where(Invoice.number == TOWN_HALL))
        assert invoice_id is not None
        platform, chorus = sessions(demo_db)
        (sent,) = send_invoices(demo_db, [invoice_id], platform, chorus).outcomes
        assert (sent.channel, sent.error) == ("B2G", "")

        report = sync(demo_db, platform, chorus)
        assert report.errors == []
        assert [s for s in report.statuses if s[0] == TOWN_HALL] == [
            (TOWN_HALL, "200", "Chorus Pro : déposée"),
            (TOWN_HALL, "203", "Chorus Pro : mise à disposition du destinataire"),
            (TOWN_HALL, "208", "Chorus Pro : suspendue — Bon de commande manquant"),
            (TOWN_HALL, "205", "Chorus Pro : mandatée"),
            (TOWN_HALL, "211", "Chorus Pro : mise en paiement"),
        ]
        # « Mise en paiement » ends the processing: the next sync asks Chorus Pro nothing.
        assert [s for s in sync(demo_db, platform, chorus).statuses if s[0] == TOWN_HALL] == []

    with demo_db.read() as session:
        stored = history(session, invoice_id)
        assert [(h.code, h.source, h.flow_id) for h in stored] == [
            (code, "chorus", sent.flow_id) for code in ("200", "203", "208", "205", "211")
        ]
        (state,) = [s for s in invoice_states(session) if s.number == TOWN_HALL]
    assert state.label.startswith("Paiement transmis le ")
    assert state.label.endswith("(Chorus Pro : mise en paiement)")


def test_qualification_and_production_have_their_own_addresses() -> None:
    assert connector.chorus_environment("https://sandbox-api.piste.gouv.fr/") == "qualification"
    assert connector.chorus_token_url("https://sandbox-api.piste.gouv.fr") == (
        "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
    )
    assert connector.chorus_environment("https://api.piste.gouv.fr") == "production"
    assert connector.chorus_token_url("https://api.piste.gouv.fr") == (
        "https://oauth.piste.gouv.fr/api/oauth/token"
    )
    assert connector.chorus_environment("http://127.0.0.1:8800") == "autre"
    assert connector.chorus_token_url("http://127.0.0.1:8800") == (
        "http://127.0.0.1:8800/api/oauth/token"
    )


def test_settings_dialog_switches_between_qualification_and_production(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    with file_keyring(tmp_path / "k.json"):
        window = MainWindow(db)
        qtbot.addWidget(window)
        dialog = PlatformSettingsDialog(window.ctx, window)
        qtbot.addWidget(dialog)
        assert dialog.chorus_env.currentData() == "autre" and not dialog.chorus_url.isReadOnly()
        dialog.chorus_env.setCurrentIndex(dialog.chorus_env.findData("qualification"))
        assert dialog.chorus_url.text() == "https://sandbox-api.piste.gouv.fr"
        assert dialog.chorus_url.isReadOnly()
        dialog.chorus_env.setCurrentIndex(dialog.chorus_env.findData("production"))
        assert dialog.chorus_url.text() == "https://api.piste.gouv.fr"
        dialog.save()
        with db.read() as session:
            assert read_settings(session).chorus_url == "https://api.piste.gouv.fr"
        again = PlatformSettingsDialog(window.ctx, window)
        qtbot.addWidget(again)
        assert again.chorus_env.currentData() == "production"
