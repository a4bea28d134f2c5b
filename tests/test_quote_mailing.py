"""A quote reminder e-mailed through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import email
import io
import socket
from collections.abc import Iterator
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader
from sqlalchemy import select

from app.db import Database
from app.errors import StateError
from app.quotes.mailing import email_quote
from models.documents import DocumentSending
from models.quotes import Quote


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, f"127.0.0.1:{port}"
    controller.stop()


def test_reminder_email_with_pdf_counts_as_reminder(
    demo_db: Database, inbox: tuple[Inbox, str]
) -> None:
    handler, server = inbox
    with demo_db.read() as s:
        quote = s.scalar(select(Quote).where(Quote.number == "DE2026-00006"))
        quote_id, before = quote.id, quote.reminder_count
    day = dt.date(2026, 9, 2)
    with demo_db.read() as s:
        outcome = email_quote(s, quote_id, day, reminder=True, override=server, retry_delay=0)
    assert outcome.ok, outcome.error
    [(rcpt, message)] = handler.messages
    assert message["Subject"].startswith("Relance : notre devis n° DE2026-00006")
    assert "Bon pour accord" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "Devis DE2026-00006.pdf"
    text = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert "DEVIS N° DE2026-00006" in text
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote.reminder_count == before + 1 and quote.last_reminder_date == day
        log = s.scalar(select(DocumentSending).where(DocumentSending.number == "DE2026-00006"))
        assert log.doc_type == "quote" and log.status == "sent" and log.recipient == rcpt[0]


def test_unreachable_server_is_logged_and_not_a_reminder(demo_db: Database) -> None:
    with demo_db.read() as s:
        quote = s.scalar(select(Quote).where(Quote.number == "DE2026-00006"))
        quote_id, before = quote.id, quote.reminder_count
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{sock.getsockname()[1]}"
    with demo_db.read() as s:
        outcome = email_quote(
            s, quote_id, dt.date(2026, 9, 2), reminder=True, override=dead, retry_delay=0
        )
    assert not outcome.ok and "injoignable" in outcome.error
    with demo_db.read() as s:
        assert s.get(Quote, quote_id).reminder_count == before
    with demo_db.read() as s:
        accepted = s.scalar(select(Quote).where(Quote.number == "DE2026-00008"))
        with pytest.raises(StateError):
            email_quote(s, accepted.id, dt.date(2026, 9, 2), override=dead)
