"""Backing up the closing key and installing it on another computer (issue T §6).

Without a way to carry the key, a new computer signs the next closings with a new key and
``check`` reports every earlier closing « signée par une autre clé ». The key travels in a
passphrase-encrypted file; a wrong passphrase installs nothing; another key already
installed is only replaced knowingly.
"""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import select

from app.cli import main
from app.closings import key_file, verify_closings
from app.db import Database, open_database
from models.closings import MonthClosing

pytestmark = pytest.mark.sqlite_only
PHRASE = "quatre chats gris au soleil"


@pytest.fixture
def base(demo_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # the key goes to the 0600 file
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "premier-poste"))
    path = Path(shutil.copyfile(demo_db_file, tmp_path / "demo.db"))
    shutil.copytree(demo_db_file.with_name("demo.db.files"), tmp_path / "demo.db.files")
    yield path
    keyring.set_keyring(previous)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _keys(path: Path) -> set[str]:
    db: Database = open_database(path)
    try:
        with db.read() as s:
            return set(s.scalars(select(MonthClosing.public_key)))
    finally:
        db.dispose()


def _problems(path: Path) -> list[str]:
    db = open_database(path)
    try:
        with db.read() as s:
            return verify_closings(s)
    finally:
        db.dispose()


def test_the_key_follows_the_firm_to_a_new_computer(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(base)
    monkeypatch.setenv("PROPREO_PHRASE_CLE", PHRASE)
    assert _cli(capsys, "--db", db, "cloture", "--period", "2026-07")[0] == 0
    secret = key_file().read_text().strip()
    saved = tmp_path / "cle-usb" / "propreo-cle.pem"
    code, out, _ = _cli(capsys, "cloture", "cle", "--exporter", str(saved))
    assert code == 0 and "exportée dans" in out and "(chiffrée)" in out
    data = saved.read_text()
    assert data.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----") and secret not in data
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    # The new computer: no key yet. A wrong passphrase installs nothing.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nouveau-poste"))
    assert not key_file().exists()
    monkeypatch.setenv("PROPREO_PHRASE_CLE", "pas la bonne phrase")
    code, _, err = _cli(capsys, "cloture", "cle", "--importer", str(saved))
    assert code == 2
    assert err.strip() == (
        f"Erreur : Phrase de passe : elle ne correspond pas à « {saved} », ou ce fichier "
        "n'est pas une clé de clôture Propreo."
    )
    assert not key_file().exists()
    monkeypatch.setenv("PROPREO_PHRASE_CLE", PHRASE)
    code, out, _ = _cli(capsys, "cloture", "cle", "--importer", str(saved))
    assert code == 0 and "installée sur cet ordinateur" in out
    assert key_file().read_text().strip() == secret
    assert stat.S_IMODE(key_file().stat().st_mode) == 0o600
    # The next closing is signed by the same key: check stays quiet.
    assert _cli(capsys, "--db", db, "cloture", "--period", "2026-08")[0] == 0
    assert len(_keys(base)) == 1 and _problems(base) == []
    code, out, _ = _cli(capsys, "cloture", "cle", "--importer", str(saved))
    assert code == 0 and "a déjà la clé de clôture" in out


def test_another_key_is_replaced_only_knowingly(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROPREO_PHRASE_CLE", PHRASE)
    code, _, err = _cli(capsys, "cloture", "cle", "--exporter", str(tmp_path / "rien.pem"))
    assert code == 2 and "n'a pas encore de clé de clôture" in err
    assert not (tmp_path / "rien.pem").exists()
    assert _cli(capsys, "--db", str(base), "cloture", "--period", "2026-07")[0] == 0
    monkeypatch.setenv("PROPREO_PHRASE_CLE", "court")
    code, _, err = _cli(capsys, "cloture", "cle", "--exporter", str(tmp_path / "a.pem"))
    assert code == 2 and "Phrase de passe : 12 caractères au moins." in err
    monkeypatch.setenv("PROPREO_PHRASE_CLE", PHRASE)
    assert _cli(capsys, "cloture", "cle", "--exporter", str(tmp_path / "a.pem"))[0] == 0
    first = key_file().read_text()

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "autre-poste"))
    other = tmp_path / "autre.db"
    shutil.copyfile(base, other)
    shutil.copytree(f"{base}.files", f"{other}.files")
    assert _cli(capsys, "--db", str(other), "cloture", "--period", "2026-08")[0] == 0
    assert key_file().read_text() != first  # this computer made its own key
    code, _, err = _cli(capsys, "cloture", "cle", "--importer", str(tmp_path / "a.pem"))
    assert code == 2 and "a déjà une autre clé de clôture" in err and "--remplacer" in err
    assert key_file().read_text() != first
    code, out, _ = _cli(
        capsys, "cloture", "cle", "--importer", str(tmp_path / "a.pem"), "--remplacer"
    )
    assert code == 0 and "installée" in out and key_file().read_text() == first
    assert _problems(base) == []
    assert any("signée par une autre clé" in p for p in _problems(other))
