"""Éditions → « Envoyer par e-mail » through the real widgets and a real SMTP server on
loopback (aiosmtpd). Seen: each click re-sent every document of the month (44 mails for 22
invoices) and one document could not be sent alone. Now: the selection alone, or the
month's « e-mail » documents not yet sent; the confirmation says how many and to whom."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.db import Database
from app.documents.email import get_settings
from tests.dialogs import ACCEPT, REJECT, answer
from ui.documents import DocumentsTab
from ui.main_window import MainWindow

PERIOD = "2026-08"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def inbox(demo_db: Database) -> Iterator[Inbox]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    with demo_db.write() as s:
        settings = get_settings(s)
        settings.host, settings.port, settings.security = "127.0.0.1", port, "none"
        s.add(settings)
    yield handler
    controller.stop()


def _tab(qtbot: QtBot, db: Database) -> DocumentsTab:
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = DocumentsTab(window.ctx)
    qtbot.addWidget(tab)
    tab.period.setText(PERIOD)
    tab.refresh()
    return tab


def _subjects(inbox: Inbox) -> list[str]:
    return [str(message["Subject"]) for _rcpt, message in inbox.messages]


def test_one_document_alone_then_the_rest_never_twice(
    qtbot: QtBot, demo_db: Database, inbox: Inbox
) -> None:
    tab = _tab(qtbot, demo_db)
    by_mail = [r for r in tab.list.visible_rows() if r.sending_mode == "E-mail"]
    assert len(by_mail) >= 3
    send = tab.buttons["Envoyer par e-mail"]

    # One document alone: the selected one.
    one = by_mail[0]
    tab.list.view.selectRow(tab.list.visible_rows().index(one))
    seen: list[str] = []
    answer(ACCEPT, seen=seen)
    send.click()
    assert "1 document sera envoyé par e-mail" in seen[0]
    assert f"{one.number} à {one.client} <" in seen[0]
    qtbot.waitUntil(lambda: "1 envoyé(s), 0 échec(s)" in tab.report.text(), timeout=60_000)
    assert len(inbox.messages) == 1 and one.number in _subjects(inbox)[0]

    # Without selection: the month's « e-mail » documents, the one already sent left out.
    tab.refresh()
    tab.list.view.clearSelection()
    seen.clear()
    answer(ACCEPT, seen=seen)
    send.click()
    rest = len(by_mail) - 1
    assert f"{rest} documents seront envoyés par e-mail" in seen[0]
    assert f"1 document déjà envoyé est laissé de côté ({one.number})" in seen[0]
    qtbot.waitUntil(lambda: f"{rest} envoyé(s), 0 échec(s)" in tab.report.text(), timeout=120_000)
    assert len(inbox.messages) == len(by_mail)
    subjects = _subjects(inbox)
    assert all(sum(r.number in s for s in subjects) == 1 for r in by_mail)

    # A second click sends nothing unless asked: cancelled, no mail.
    tab.refresh()
    tab.list.view.clearSelection()
    seen.clear()
    answer(REJECT, seen=seen)
    send.click()
    assert "Aucun document à envoyer." in seen[0]
    assert f"{len(by_mail)} documents déjà envoyés sont laissés de côté" in seen[0]
    qtbot.wait(300)
    assert len(inbox.messages) == len(by_mail)

    # Asked for explicitly (the button sending the already-sent ones too): sent again.
    answer(QMessageBox.ButtonRole.ActionRole)
    send.click()
    qtbot.waitUntil(lambda: len(inbox.messages) == 2 * len(by_mail), timeout=120_000)
