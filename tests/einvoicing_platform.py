"""Helpers of the e-invoicing tests: the reference platform run as a separate process
(``propreo pa serve``), a file keyring configured explicitly, the demo firm configured to
use both."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import requests

from app.db import Database
from tests.file_keyring import FileKeyring

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID, SECRET = "propreo-demo", "demo-secret"
CHORUS_LOGIN, CHORUS_PASSWORD = "TECH_PROPREO@cpro.fr", "chorus-demo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(keyring_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHON_KEYRING_BACKEND"] = "tests.file_keyring.FileKeyring"
    env["PROPREO_TEST_KEYRING"] = str(keyring_file)
    return env


@contextlib.contextmanager
def platform_process(tmp: Path, scenario: dict[str, Any]) -> Iterator[str]:
    """``propreo pa serve`` on a free port with ``scenario``; yields its URL."""
    port = free_port()
    scenario_file = tmp / "scenario.json"
    scenario_file.write_text(json.dumps(scenario), encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "pa",
            "serve",
            "--port",
            str(port),
            "--scenario",
            str(scenario_file),
        ],
        cwd=ROOT,
        env=child_env(tmp / "unused-keyring.json"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/flow/v1/healthcheck", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"reference platform did not start: {proc.stderr.read()!r}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def file_keyring(path: Path) -> Iterator[Path]:
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring(path))
    try:
        yield path
    finally:
        keyring.set_keyring(previous)


def configure(db: Database, url: str) -> None:
    from app.einvoicing.settings import PlatformForm, save_settings

    with db.write() as session:
        save_settings(
            session,
            PlatformForm(
                base_url=url,
                client_id=CLIENT_ID,
                client_secret=SECRET,
                chorus_url=url,
                chorus_client_id=CLIENT_ID,
                chorus_secret=SECRET,
                chorus_login=CHORUS_LOGIN,
                chorus_password=CHORUS_PASSWORD,
            ),
        )


def sessions(db: Database, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    from app.einvoicing.settings import chorus_session, platform_session

    with db.read() as session:
        platform = platform_session(session)
        platform.timeout = timeout

    def chorus():  # type: ignore[no-untyped-def]
        with db.read() as session:
            return chorus_session(session)

    return platform, chorus


def server_flows(url: str, where: dict[str, Any]) -> list[dict[str, Any]]:
    """What the platform holds, read through the spec's own search (a second client)."""
    from app.einvoicing.connector import Credentials, Session

    return Session(Credentials(url, CLIENT_ID, SECRET)).search(where, limit=500)
