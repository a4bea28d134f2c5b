"""Éditions → « Envoyer par e-mail » through the real widgets and a real SMTP server on
loopback (aiosmtpd). Seen: each click re-sent every document of the month (44 mails for 22
invoices) and one document could not be sent alone. Now: the selection alone, or the
month's « e-mail » documents not yet sent; the confirmation says how many and to whom."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.db import Database
from tests.dialogs import ACCEPT, REJECT, answer
from tests.practical import Mailbox, firm_smtp_server
from ui.documents import DocumentsTab
from ui.main_window import MainWindow

PERIOD = "2026-08"


@pytest.fixture
def inbox(demo_db: Database) -> Iterator[Mailbox]:
    with firm_smtp_server(demo_db) as box:
        yield box


def _tab(qtbot: QtBot, db: Database) -> DocumentsTab:
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = DocumentsTab(window.ctx)
    qtbot.addWidget(tab)
    tab.period.set_period(PERIOD)
    tab.refresh()
    return tab


def _subjects(inbox: Mailbox) -> list[str]:
    return [str(message["Subject"]) for message in inbox.messages]


def test_one_document_alone_then_the_rest_never_twice(
    qtbot: QtBot, demo_db: Database, inbox: Mailbox
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
    qtbot.waitUntil(lambda: "1 envoyé, 0 échec." in tab.report.text(), timeout=60_000)
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
    qtbot.waitUntil(lambda: f"{rest} envoyés, 0 échec." in tab.report.text(), timeout=120_000)
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
