"""Statuses while Propreo is open: webhooks registered with the platform as the AFNOR
Flow Service describes them (``POST /webhooks``, callbacks ``{"flowInfo": Flow}``) when
the platform can reach this workstation, periodic polling otherwise — against the
reference platform run as a separate process, through the use case, the command line and
the window."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.einvoicing import webhooks
from app.einvoicing.outgoing import invoices_of_period, send_invoices
from app.einvoicing.status import invoice_states
from app.einvoicing.watch import POLLING, WEBHOOK, Watch
from models.einvoicing import InvoiceLifecycle
from tests.einvoicing_platform import (
    CLIENT_ID,
    ROOT,
    SECRET,
    child_env,
    configure,
    file_keyring,
    platform_process,
    sessions,
)
from tests.pg import target_of
from tests.practical import answering
from ui.einvoicing import EInvoicingTab
from ui.main_window import MainWindow

SCENARIO = {
    "lifecycle": {"FA2026-00142": ["202", "210:Prestation non réalisée en août"]},
    "default_lifecycle": ["202", "205"],
}


def _token(url: str) -> str:
    answer = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET},
        timeout=10,
    )
    return str(answer.json()["access_token"])


def _hooks(url: str) -> list[dict]:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {_token(url)}"}
    return list(requests.get(f"{url}/flow/v1/webhooks", headers=headers, timeout=10).json())


def _send_august(db: Database) -> None:
    platform, chorus = sessions(db)
    with db.read() as session:
        ids = invoices_of_period(session, "2026-08")
    assert send_invoices(db, ids, platform, chorus).failed == []


def _wait(condition, seconds: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_callback_host_only_when_the_platform_can_reach_this_machine() -> None:
    assert webhooks.callback_host("http://127.0.0.1:8800") == "127.0.0.1"
    assert webhooks.callback_host("http://localhost:8800") == "127.0.0.1"
    assert webhooks.callback_host("https://8.8.8.8") is None  # on the internet: polling
    assert webhooks.callback_host("pas une adresse") is None


def test_webhooks_bring_the_statuses_and_are_removed_at_the_end(
    demo_db: Database, tmp_path: Path
) -> None:
    with file_keyring(tmp_path / "k.json"), platform_process(tmp_path, SCENARIO) as url:
        configure(demo_db, url)
        watch = Watch(demo_db)
        assert watch.start() == WEBHOOK
        assert watch.listener is not None
        hooks = _hooks(url)
        assert sorted(h["metadata"]["flowType"] for h in hooks) == [
            "CustomerInvoiceLC",
            "SupplierInvoice",
        ]
        assert {h["callback"]["url"] for h in hooks} == {watch.listener.url}

        # Nobody else can feed the listener: a call without the token, or not a callback.
        forged = {"flowInfo": {"flowId": "LC-999999", "flowType": "CustomerInvoiceLC"}}
        assert requests.post(watch.listener.url, json=forged, timeout=5).status_code == 401
        token = {webhooks.TOKEN_HEADER: watch.listener.token}
        assert (
            requests.post(watch.listener.url, json={"x": 1}, headers=token, timeout=5).status_code
            == 400
        )
        assert watch.pending.empty()

        _send_august(demo_db)
        # 10 invoices × (200 + the 2 scripted statuses) announced, no search made.
        _wait(lambda: watch.listener is not None and watch.listener.received >= 30)
        report = watch.receive()
        assert report.errors == []
        assert ("FA2026-00142", "210", "Prestation non réalisée en août") in report.statuses
        with demo_db.read() as session:
            states = {s.number: s for s in invoice_states(session)}
            stored = session.scalars(select(InvoiceLifecycle)).all()
        assert states["FA2026-00139"].label.startswith("Approuvée le ")
        assert states["FA2026-00142"].action == "refusée par le client : établissez un avoir"
        assert len(stored) == 30
        watch.close()
        assert _hooks(url) == []


def test_a_platform_without_webhooks_is_polled(demo_db: Database, tmp_path: Path) -> None:
    scenario = {**SCENARIO, "webhooks": False}
    with file_keyring(tmp_path / "k.json"), platform_process(tmp_path, scenario) as url:
        configure(demo_db, url)
        watch = Watch(demo_db)
        assert watch.start() == POLLING
        assert watch.listener is None
        assert watch.describe().startswith(
            "Statuts interrogés toutes les 5 minutes tant que Propreo est ouvert (La "
            "plateforme a répondu HTTP 404"
        )
        _send_august(demo_db)
        report = watch.poll()
        assert ("FA2026-00142", "210", "Prestation non réalisée en août") in report.statuses
        watch.close()


def test_pa_watch_prints_the_statuses_the_webhooks_bring(demo_db: Database, tmp_path: Path) -> None:
    keyring_file = tmp_path / "k.json"
    with file_keyring(keyring_file), platform_process(tmp_path, SCENARIO) as url:
        configure(demo_db, url)
        demo_db.dispose()
        cmd = [sys.executable, "-m", "app", "--db", target_of(demo_db), "pa", "watch"]
        child = subprocess.Popen(
            [*cmd, "--minutes", "3"],
            cwd=ROOT,
            env=child_env(keyring_file),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            first = child.stdout.readline()
            assert first.startswith("Statuts reçus en direct de la plateforme (webhook vers http")
            _wait(lambda: len(_hooks(url)) == 2)
            _send_august(demo_db)
            lines: list[str] = []
            while "FA2026-00142 : Refusée (Prestation non réalisée en août)\n" not in lines:
                line = child.stdout.readline()
                assert line, child.stderr.read() if child.stderr else ""
                lines.append(line)
        finally:
            child.terminate()
            child.wait(timeout=30)
        assert "FA2026-00139 : Approuvée\n" in lines


def _window_on(db: Database, qtbot: QtBot) -> tuple[MainWindow, EInvoicingTab]:
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation électronique")
    assert isinstance(tab, EInvoicingTab)
    tab.month.set_period("2026-08")
    return window, tab


def _send_from_the_screen(qtbot: QtBot, tab: EInvoicingTab) -> None:
    with answering():
        tab.send()
        qtbot.waitUntil(lambda: "déposées" in tab.status.text(), timeout=240_000)


def _label(tab: EInvoicingTab, number: str) -> str:
    rows = {r.number: r for r in tab.sent.visible_rows()}
    return rows[number].label if number in rows else ""


def test_the_window_receives_statuses_by_webhook_without_being_asked(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    with file_keyring(tmp_path / "k.json"), platform_process(tmp_path, SCENARIO) as url:
        configure(demo_db, url)
        window, tab = _window_on(demo_db, qtbot)
        watcher = window.einvoicing_watch
        qtbot.waitUntil(lambda: watcher.mode == WEBHOOK and not watcher.busy, timeout=60_000)
        assert tab.watch_label.text().startswith("Statuts reçus en direct de la plateforme")
        assert len(_hooks(url)) == 2
        _send_from_the_screen(qtbot, tab)
        # No « Synchroniser » pressed: the callbacks bring the statuses into the list.
        qtbot.waitUntil(
            lambda: _label(tab, "FA2026-00142").startswith("Refusée le "), timeout=120_000
        )
        qtbot.waitUntil(
            lambda: _label(tab, "FA2026-00139").startswith("Approuvée le "), timeout=60_000
        )
        assert "Dernière lecture à " in tab.watch_label.text()
        assert QApplication.activeModalWidget() is None
        window.close()
        assert _hooks(url) == []  # removed when the window closes


def test_the_window_polls_a_platform_it_cannot_be_called_back_by(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    scenario = {**SCENARIO, "webhooks": False}
    with file_keyring(tmp_path / "k.json"), platform_process(tmp_path, scenario) as url:
        configure(demo_db, url)
        window, tab = _window_on(demo_db, qtbot)
        watcher = window.einvoicing_watch
        qtbot.waitUntil(lambda: watcher.mode == POLLING and not watcher.busy, timeout=60_000)
        assert watcher.timer.isActive() and watcher.timer.interval() == 5 * 60_000
        assert tab.watch_label.text().startswith(
            "Statuts interrogés toutes les 5 minutes tant que Propreo est ouvert"
        )
        _send_from_the_screen(qtbot, tab)
        assert _label(tab, "FA2026-00142") == "Accepté par la plateforme"
        watcher.timer.setInterval(300)  # the next poll comes now rather than in 5 minutes
        qtbot.waitUntil(
            lambda: _label(tab, "FA2026-00142").startswith("Refusée le "), timeout=120_000
        )
        assert QApplication.activeModalWidget() is None
        assert "Dernière lecture à " in tab.watch_label.text()
        window.close()


def test_an_error_value_named_message_is_shown_not_a_type_error() -> None:
    from app.einvoicing.connector import PlatformError
    from app.errors import PropreoError, ValidationError

    error = PlatformError("La plateforme a répondu : {message}", message="Not Found")
    assert str(error) == "La plateforme a répondu : Not Found"
    assert str(PropreoError("{message}", message="x")) == "x"
    assert str(ValidationError("Secret", "{field} : {message}", message="vide")) == "Secret : vide"
