"""The demo firm pointed at the reference platform ``make run`` starts (``propreo pa
demo``): addresses and identifiers in the base, secrets in the keyring when one works.
Without a keyring (CI, a server without a desktop session: keyring's « fail » backend)
nothing secret is written anywhere: the message and the settings say what to type, a
secret typed in the window lives in memory until it closes, the command line reads
``PROPREO_PA_SECRET``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from pytestqt.qtbot import QtBot

from app.db import Database
from app.einvoicing import connector
from app.einvoicing.settings import configure_demo, platform_session, read_settings
from tests.einvoicing_platform import ROOT, SECRET, child_env, platform_process
from tests.pg import target_of
from ui.einvoicing import PlatformSettingsDialog
from ui.main_window import MainWindow


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(connector, "_MEMORY", {})
    yield
    keyring.set_keyring(previous)


def _pa(db: Database, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "--db", target_of(db), "pa", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _no_keyring_env(tmp: Path) -> dict[str, str]:
    env = child_env(tmp / "unused.json")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.pop("PROPREO_PA_SECRET", None)
    return env


def test_without_a_keyring_the_demo_says_what_to_type_and_stores_no_secret(
    demo_db: Database, tmp_path: Path
) -> None:
    with platform_process(tmp_path, {}) as url:
        demo_db.dispose()
        env = _no_keyring_env(tmp_path)
        done = _pa(demo_db, env, "demo", "--url", url)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(
            f"Plateforme de référence configurée : {url}, identifiant propreo-demo. "
            "Trousseau du système indisponible : dans Facturation électronique › Paramètres, "
            "saisissez le secret « demo-secret »"
        )
        assert "PROPREO_PA_SECRET" in done.stdout
        with demo_db.read() as session:
            row = read_settings(session)
            assert (row.base_url, row.client_id, row.chorus_url) == (url, "propreo-demo", url)
            assert row.chorus_login == "TECH_PROPREO@cpro.fr"

        refused = _pa(demo_db, env, "test")
        assert refused.returncode != 0
        assert "Identifiant ou secret de la plateforme manquant" in refused.stderr
        assert "Traceback" not in refused.stderr

        env["PROPREO_PA_SECRET"] = SECRET
        tested = _pa(demo_db, env, "test")
        assert tested.returncode == 0, tested.stderr
        assert tested.stdout.strip() == (
            f"Connexion réussie à {url} (services Flux et Annuaire, jeton obtenu)."
        )
    if demo_db.path is not None:
        assert SECRET.encode() not in demo_db.path.read_bytes()


def test_with_a_keyring_the_demo_is_ready_to_use(demo_db: Database, tmp_path: Path) -> None:
    with platform_process(tmp_path, {}) as url:
        demo_db.dispose()
        env = child_env(tmp_path / "keyring.json")
        env.pop("PROPREO_PA_SECRET", None)
        done = _pa(demo_db, env, "demo", "--url", url)
        assert done.stdout.strip() == (
            f"Plateforme de référence configurée : {url}, identifiant propreo-demo ; "
            "secrets enregistrés dans le trousseau du système."
        )
        tested = _pa(demo_db, env, "test")
        assert tested.returncode == 0, tested.stderr
    assert SECRET in (tmp_path / "keyring.json").read_text()


def test_without_a_keyring_the_window_keeps_a_typed_secret_for_the_session(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, no_keyring: None
) -> None:
    with platform_process(tmp_path, {"webhooks": False}) as url:
        with demo_db.write() as session:
            configure_demo(session, url)
        connector._MEMORY.clear()  # ``pa demo`` ran in another process: nothing kept here
        window = MainWindow(demo_db)
        qtbot.addWidget(window)
        dialog = PlatformSettingsDialog(window.ctx, window)
        qtbot.addWidget(dialog)
        assert dialog.keyring_note.text().startswith(
            "Le trousseau du système n'est pas disponible : les secrets saisis sont gardés "
            "en mémoire jusqu'à la fermeture de Propreo (jamais dans la base)"
        )
        assert dialog.secret.placeholderText() == "à saisir à chaque lancement (pas de trousseau)"
        dialog.test()
        assert "Identifiant ou secret de la plateforme manquant" in dialog.result.text()
        dialog.secret.setText(SECRET)
        dialog.test()
        assert dialog.result.text() == (
            f"Connexion réussie à {url} (services Flux et Annuaire, jeton obtenu)."
        )
        with demo_db.read() as session:
            assert platform_session(session).credentials.client_secret == SECRET
        qtbot.waitUntil(lambda: not window.einvoicing_watch.busy, timeout=60_000)
        window.close()
    assert "PROPREO_PA_SECRET" not in os.environ
