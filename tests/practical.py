"""Helpers of the practical cases (tests/test_practical_cases*.py): confirmations answered as
a user would, PDF text, a real local SMTP server."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from pypdf import PdfReader
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QMessageBox


def pdf_text(data: bytes) -> str:
    """The text of every page, spaces normalised (French thin spaces in amounts)."""
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


@dataclass
class Confirmations:
    """Every modal question the screens ask is answered « Oui » / OK, and its text kept
    (tests assert the confirmation said what will happen)."""

    texts: list[str] = field(default_factory=list)
    refuse: bool = False

    def _answer(self) -> None:
        widget = QApplication.activeModalWidget()
        if widget is None:
            return
        if isinstance(widget, QMessageBox):
            self.texts.append(f"{widget.text()}\n{widget.informativeText()}")
            # The button of the action asked (« Émettre 3 documents », « Envoyer… »), by role.
            roles = (
                (QMessageBox.ButtonRole.RejectRole, QMessageBox.ButtonRole.NoRole)
                if self.refuse
                else (
                    QMessageBox.ButtonRole.AcceptRole,
                    QMessageBox.ButtonRole.YesRole,
                    QMessageBox.ButtonRole.ActionRole,
                )
            )
            for role in roles:
                for button in widget.buttons():
                    if widget.buttonRole(button) == role:
                        button.click()
                        return
            wanted = (
                (QMessageBox.StandardButton.No, QMessageBox.StandardButton.Cancel)
                if self.refuse
                else (QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Ok)
            )
            for which in wanted:
                button = widget.button(which)
                if button is not None:
                    button.click()
                    return
            widget.done(0 if self.refuse else 1)
        elif isinstance(widget, QDialog):
            self.texts.append(widget.windowTitle())
            box = widget.findChild(QDialogButtonBox)
            if box is not None and not self.refuse:
                widget.accept()
            else:
                widget.done(0 if self.refuse else 1)


@contextmanager
def answering(refuse: bool = False) -> Iterator[Confirmations]:
    """Answer any modal dialog opened while inside the block."""
    answers = Confirmations(refuse=refuse)
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(answers._answer)
    timer.start()
    try:
        yield answers
    finally:
        timer.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    """Messages received by the local SMTP server."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on localhost (aiosmtpd), no TLS, no authentication."""
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            box.messages.append(
                message_from_bytes(
                    envelope.original_content or envelope.content, policy=policy.default
                )
            )
            return "250 OK"

    controller = Controller(Handler(), hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def attachments(message: Message) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in message.walk():
        name = part.get_filename()
        if name:
            found[name] = part.get_payload(decode=True)  # type: ignore[assignment]
    return found


@contextmanager
def firm_smtp_server(db: Any) -> Iterator[Mailbox]:
    """A real SMTP server on localhost, set as the firm's mail server (no TLS, no login)."""
    from app.documents.smtp_settings import get_settings

    with smtp_server() as box:
        with db.write() as s:
            settings = get_settings(s)
            settings.host, settings.port, settings.security = box.host, box.port, "none"
            s.add(settings)
        yield box
