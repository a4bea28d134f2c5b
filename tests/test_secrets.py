"""The SMTP password lives in the system keyring only: never in the database file (nor its
WAL), nor in a backup, nor in the logs, nor in the sending log or the history."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from app.backups import make_backup
from app.db import Database
from app.documents.email import SendingError, send_test_email
from app.documents.smtp_settings import SmtpForm, config_from, load_password, save_settings
from tests.test_email import Inbox, free_port

SECRET = "Zx9-Mot2Passe-Ultra€Secret"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]


def _leaks(paths: list[Path]) -> list[str]:
    needles = [SECRET.encode(), SECRET.encode("utf-16-le"), SECRET.encode("latin-1", "ignore")]
    found = []
    for path in paths:
        data = path.read_bytes()
        if any(n in data for n in needles):
            found.append(str(path))
    return found


@pytest.mark.sqlite_only
def test_smtp_password_never_in_database_backup_or_logs(
    demo_db: Database,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from aiosmtpd.controller import Controller

    caplog.set_level(logging.DEBUG)
    log_file = tmp_path / "propreo.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    port = free_port()
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with demo_db.write() as session:
            save_settings(
                session,
                SmtpForm(
                    host="127.0.0.1",
                    port=str(port),
                    security="none",
                    username="envoi@lumiere-proprete.fr",
                    sender_email="envoi@lumiere-proprete.fr",
                    password=SECRET,
                ),
            )
        # The keyring holds it and the sending code gets it back from there...
        assert SECRET in memory_keyring.store.values()
        assert load_password("127.0.0.1", "envoi@lumiere-proprete.fr") == SECRET
        with demo_db.read() as session:
            assert config_from(session).password == SECRET
            # ... and a sending attempt (the server offers no AUTH: it fails) logs no secret.
            with pytest.raises(SendingError) as failed:
                send_test_email(session, "moi@lumiere-proprete.fr")
        assert "AUTH" in str(failed.value) and SECRET not in str(failed.value)
    finally:
        controller.stop()
        logging.getLogger().removeHandler(handler)
        handler.close()
    backup = make_backup(demo_db)
    assert demo_db.path is not None
    db_files = [p for p in demo_db.path.parent.glob(demo_db.path.name + "*") if p.is_file()]
    assert demo_db.path in db_files
    assert _leaks(db_files) == []
    assert _leaks(_files_under(backup.parent)) == []
    assert _leaks([log_file]) == []
    assert SECRET not in caplog.text
