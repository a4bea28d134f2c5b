"""E-mailing a run through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text

from app.db import Database
from app.documents.email import failed_documents, send_invoices, send_test_email
from app.documents.smtp_settings import SmtpForm, save_settings
from app.errors import ValidationError
from models.clients import Client
from models.documents import DocumentSending, SendStatus
from models.invoices import Invoice
from reports.facturx import extract_xml
from tests.documents_samples import issue_samples


class Inbox:
    def __init__(self, fail_first: int = 0) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.fail_first = fail_first

    async def handle_DATA(self, server, session, envelope):
        if self.fail_first:
            self.fail_first -= 1
            return "451 4.3.0 Try again later"
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, f"127.0.0.1:{port}"
    controller.stop()


def test_a_run_is_received_with_its_facturx_pdf_and_logged(
    demo_db: Database, inbox: tuple[Inbox, str]
) -> None:
    handler, server = inbox
    with demo_db.write() as session:
        ids = issue_samples(session)
        company = session.get(Invoice, ids["company"]).client_id
        client = session.get(Client, company)
        client.invoice_email = "compta@client.example"
        # Hostile client data: a name trying to smuggle a header (the forms and the flush
        # guard refuse it since issue T; written behind them, as an older version could).
        session.flush()
        session.execute(
            text("UPDATE clients SET name = :n WHERE id = :i"),
            {"n": "Cabinet Piège\r\nBcc: pirate@evil.example", "i": client.id},
        )
        session.expire(client)
        run = [ids["company"], ids["multi_rate"], ids["credit_note"]]
    with demo_db.read() as session:
        report = send_invoices(session, run, override=server)
    assert len(report.sent) == 3, [o.error for o in report.failed]
    assert len(handler.messages) == 3
    numbers = []
    for rcpt, message in handler.messages:
        assert rcpt == ["compta@client.example"]
        assert message["Bcc"] is None
        assert "\n" not in str(message["To"])
        assert "pirate@evil.example" not in str(message["To"]).split("<")[-1]
        assert message["From"].addresses[0].addr_spec == "facturation@lumiere-proprete.fr"
        attachments = list(message.iter_attachments())
        assert len(attachments) == 1
        part = attachments[0]
        assert part.get_content_type() == "application/pdf"
        number = part.get_filename().removesuffix(".pdf")
        numbers.append(number)
        assert str(message["Subject"]).startswith(("Facture n° " + number, "Avoir n° " + number))
        assert number.encode() in extract_xml(part.get_content())
        body = message.get_body(("plain",)).get_content()
        assert number in body and "Factur-X" in body
    with demo_db.read() as session:
        log = list(session.scalars(select(DocumentSending).order_by(DocumentSending.id)))
        assert [r.status for r in log] == [SendStatus.SENT] * 3
        assert sorted(r.number for r in log) == sorted(numbers)
        received_ids = {str(m["Message-ID"]) for _, m in handler.messages}
        assert {r.message_id for r in log} == received_ids
        assert all(r.sent_at is not None and r.recipient == "compta@client.example" for r in log)


def test_temporary_refusal_is_retried(demo_db: Database, inbox: tuple[Inbox, str]) -> None:
    handler, server = inbox
    handler.fail_first = 1
    with demo_db.write() as session:
        ids = issue_samples(session)
        session.get(
            Client, session.get(Invoice, ids["company"]).client_id
        ).invoice_email = "a@b.example"
    with demo_db.read() as session:
        report = send_invoices(session, [ids["company"]], override=server, retry_delay=0)
    assert len(report.sent) == 1 and len(handler.messages) == 1


def test_failures_are_logged_then_resent(demo_db: Database, inbox: tuple[Inbox, str]) -> None:
    _handler, server = inbox
    dead = f"127.0.0.1:{free_port()}"
    with demo_db.write() as session:
        ids = issue_samples(session)
        session.get(
            Client, session.get(Invoice, ids["company"]).client_id
        ).invoice_email = "a@b.example"
    with demo_db.read() as session:
        report = send_invoices(session, [ids["company"]], override=dead, retry_delay=0)
    assert len(report.failed) == 1
    assert "injoignable" in report.failed[0].error
    with demo_db.read() as session:
        retry = failed_documents(session)
        assert retry == [ids["company"]]
        report = send_invoices(session, retry, override=server, retry_delay=0)
    assert len(report.sent) == 1
    with demo_db.read() as session:
        statuses = [
            r.status for r in session.scalars(select(DocumentSending).order_by(DocumentSending.id))
        ]
        assert statuses == [SendStatus.FAILED, SendStatus.SENT]
        assert failed_documents(session) == []


def test_test_email_and_settings_validation(demo_db: Database, inbox: tuple[Inbox, str]) -> None:
    handler, server = inbox
    host, port = server.split(":")
    with demo_db.write() as session:
        with pytest.raises(ValidationError) as info:
            save_settings(
                session,
                SmtpForm(
                    host=host,
                    port=port,
                    security="none",
                    sender_email="x@y.example",
                    subject_template="{numero}",
                ),
            )
        assert info.value.field == "Objet"
        with pytest.raises(ValidationError) as info:
            save_settings(
                session,
                SmtpForm(
                    host=host,
                    port=port,
                    security="none",
                    sender_email="x@y.example\r\nBcc: z@z.example",
                ),
            )
        assert info.value.field == "Adresse de l'expéditeur"
        save_settings(
            session,
            SmtpForm(
                host=host,
                port=port,
                security="none",
                sender_email="envoi@lumiere-proprete.fr",
                sender_name="Lumière Propreté",
            ),
        )
    with demo_db.read() as session:
        outcome = send_test_email(session, "moi@lumiere-proprete.fr")
    assert outcome.ok
    rcpt, message = handler.messages[-1]
    assert rcpt == ["moi@lumiere-proprete.fr"]
    assert message["Subject"] == "Propreo – e-mail de test"
    assert message["From"].addresses[0].display_name == "Lumière Propreté"


def test_invalid_document_is_not_sent(
    demo_db: Database, inbox: tuple[Inbox, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.billing import issuing

    handler, server = inbox
    # Issued as the product did before drafts were validated: numbering checked nothing.
    monkeypatch.setattr(issuing, "confirm_checked", lambda *_: None)
    with demo_db.write() as session:
        from models.company import CompanySettings

        session.get(CompanySettings, 1).siren = "81234"  # frozen wrong in the seller snapshot
        ids = issue_samples(session)
        session.get(
            Client, session.get(Invoice, ids["company"]).client_id
        ).invoice_email = "a@b.example"
    monkeypatch.undo()
    with demo_db.read() as session:
        report = send_invoices(session, [ids["company"]], override=server)
    assert handler.messages == []
    assert len(report.failed) == 1
    error = report.failed[0].error
    assert "envoi bloqué" in error and "BR-FR-10" in error and "SIREN du vendeur" in error
    with demo_db.read() as session:
        row = session.scalars(select(DocumentSending)).one()
        assert row.status == SendStatus.FAILED and "BR-FR-10" in row.error and row.sent_at is None
