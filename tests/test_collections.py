"""Aged balance, dunning levels, penalties and indemnity, reminders and letters."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.collections.aging import OpenItem, age, aged_balance, bucket_of
from app.collections.dunning import (
    LevelRule,
    dunning_run,
    indemnity,
    late_penalty,
    letter_docx,
    letter_email,
    letter_pdf,
    next_level,
    propose,
    record_reminders,
    reminder_history,
    set_level_delays,
)
from app.db import Database
from app.errors import ValidationError
from app.money import ZERO
from app.receivables import allocated_by_invoice, credited_by_invoice
from models.audit import AuditEvent
from models.clients import Client, ClientKind
from models.collections import DunningLevel, Reminder
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from tests.pg import target_of

D = dt.date
RULES = [
    LevelRule(1, "relance_1", "Relance 1", 15),
    LevelRule(2, "relance_2", "Relance 2", 30),
    LevelRule(3, "mise_en_demeure", "Mise en demeure", 45),
]


def _docx_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_buckets_at_their_boundaries() -> None:
    on = D(2026, 9, 30)
    days = [0, 1, 30, 31, 60, 61, 90, 91, -5]
    items = [
        OpenItem(1, n, f"F{n}", D(2026, 1, 1), on - dt.timedelta(days=d), Decimal("100.00"))
        for n, d in enumerate(days)
    ]
    items.append(OpenItem(2, 99, "AV1", D(2026, 9, 1), D(2026, 9, 1), Decimal("-30.00")))
    items.append(OpenItem(2, 98, "F98", D(2026, 5, 1), D(2026, 6, 1), Decimal("250.50")))
    result = age(items, {1: "Dupont", 2: "Alpha"}, on)
    assert [r.client for r in result.rows] == ["Alpha", "Dupont"]
    alpha, dupont = result.rows
    assert dupont.buckets == {
        "not_due": Decimal("200.00"),
        "d1_30": Decimal("200.00"),
        "d31_60": Decimal("200.00"),
        "d61_90": Decimal("200.00"),
        "over_90": Decimal("100.00"),
    }
    assert alpha.buckets["not_due"] == Decimal("-30.00")
    assert alpha.buckets["over_90"] == Decimal("250.50")  # 121 days late
    assert alpha.total == Decimal("220.50") and alpha.overdue == Decimal("250.50")
    assert result.total.total == Decimal("1120.50")
    assert [bucket_of(d) for d in (0, 1, 30, 31, 60, 61, 90, 91)] == [
        "not_due",
        "d1_30",
        "d1_30",
        "d31_60",
        "d31_60",
        "d61_90",
        "d61_90",
        "over_90",
    ]


def test_penalty_and_indemnity_exact() -> None:
    # 1 200 × 12,15 % × 30 / 365 = 11,9835… → 11,98
    assert late_penalty(Decimal("1200.00"), Decimal("12.15"), 30) == Decimal("11.98")
    # 1 936,80 × 12,15 % × 63 / 365 = 40,6163… → 40,62
    assert late_penalty(Decimal("1936.80"), Decimal("12.15"), 63) == Decimal("40.62")
    assert late_penalty(Decimal("500.00"), Decimal("12.15"), 0) == Decimal("0")
    assert indemnity(True, 3) == Decimal("120.00")
    assert indemnity(False, 3) == Decimal("0")


@pytest.mark.parametrize(
    ("kind", "claimed"),
    [
        (ClientKind.COMPANY, Decimal("80.00")),
        (ClientKind.PUBLIC, Decimal("80.00")),
        (ClientKind.CONDOMINIUM, Decimal("0")),
        (ClientKind.PERSON, Decimal("0")),
    ],
)
def test_no_indemnity_from_a_copropriete_or_a_private_person(kind: str, claimed: Decimal) -> None:
    on = D(2026, 9, 30)
    client = Client(id=7, code="X", name="Client X", kind=kind)
    items = [
        OpenItem(7, 1, "FA1", D(2026, 7, 31), D(2026, 8, 15), Decimal("1200.00")),  # 46 days
        OpenItem(7, 2, "FA2", D(2026, 8, 31), D(2026, 9, 10), Decimal("600.00")),  # 20 days
    ]
    reached = {1: (2, D(2026, 9, 10))}
    p = propose(client, items, RULES, reached, Decimal("12.15"), on)
    assert p is not None
    assert (p.level, p.label) == (3, "Mise en demeure")
    assert p.indemnity == claimed
    # 1 200 × 12,15 % × 46 / 365 = 18,37 ; 600 × 12,15 % × 20 / 365 = 3,99
    assert [i.penalty for i in p.items] == [Decimal("18.37"), Decimal("3.99")]
    assert p.penalty == Decimal("22.36")
    assert p.total_claimed == Decimal("1822.36") + claimed


def test_levels_follow_each_other() -> None:
    on = D(2026, 9, 30)
    assert next_level(RULES, 10, None, on) is None
    assert next_level(RULES, 80, None, on).label == "Relance 1"  # no level skipped
    assert next_level(RULES, 80, (1, D(2026, 9, 25)), on) is None  # 5 days after relance 1
    assert next_level(RULES, 80, (1, D(2026, 9, 15)), on).label == "Relance 2"
    assert next_level(RULES, 80, (3, D(2026, 8, 1)), on) is None


def test_level_delays_are_configurable(db: Database) -> None:
    with db.write() as s:
        set_level_delays(s, {"relance_1": 10, "relance_2": 25, "mise_en_demeure": 40})
    with db.read() as s:
        assert [
            lv.days_after_due for lv in s.scalars(select(DunningLevel).order_by(DunningLevel.level))
        ] == [10, 25, 40]
    with db.write() as s, pytest.raises(ValidationError, match="Délai Relance 2"):
        set_level_delays(s, {"relance_2": 5})


def overdue(session: Session, client_id: int, on: dt.date) -> Decimal:
    """Open amount of the client's invoices due before ``on``, invoice by invoice (the
    aged balance is computed another way: this is its independent check)."""
    invoices = list(
        session.scalars(
            select(Invoice).where(
                Invoice.client_id == client_id,
                Invoice.status.in_(InvoiceStatus.RECEIVABLE),
                Invoice.kind != InvoiceKind.CREDIT_NOTE,
                Invoice.due_date < on,
            )
        )
    )
    ids = [i.id for i in invoices]
    paid = allocated_by_invoice(session, ids)
    credited = credited_by_invoice(session, ids, on=on)  # a credit note settles its invoice
    return sum(
        (
            max(i.amount_due - paid.get(i.id, ZERO) - credited.get(i.id, ZERO), ZERO)
            for i in invoices
        ),
        ZERO,
    )


def test_demo_aged_balance_agrees_with_client_overdue(demo_db: Database) -> None:
    on = D(2026, 9, 1)
    with demo_db.read() as s:
        result = aged_balance(s, on)
        assert result.rows
        for row in result.rows:
            assert row.overdue == overdue(s, row.client_id, on), row.client
        assert result.total.total == sum((r.total for r in result.rows), Decimal(0))
        assert result.total.overdue > 0


def test_demo_dunning_letters_read_right(demo_db: Database) -> None:
    with demo_db.read() as s:
        history = reminder_history(s)
        kinds = {r.id: s.get(Client, r.client_id).kind for r in history}
        formal = [r for r in history if r.label == "Mise en demeure"]
        pro = next(r for r in formal if kinds[r.id] == ClientKind.COMPANY)
        copro = next(r for r in formal if kinds[r.id] == ClientKind.CONDOMINIUM)
        first = next(r for r in history if r.label == "Relance 1")
        pro_docx = _docx_text(letter_docx(s, pro.id))
        copro_docx = _docx_text(letter_docx(s, copro.id))
        first_docx = _docx_text(letter_docx(s, first.id))
        pdf = letter_pdf(s, pro.id)
        subject, body = letter_email(s, copro.id)
    assert pro.indemnity == Decimal("40.00") * len(pro.invoices.split(", "))
    assert copro.indemnity == Decimal("0.00")
    assert "Objet : Mise en demeure de payer" in pro_docx
    assert "nous vous mettons en demeure" in pro_docx
    for number in pro.invoices.split(", "):
        assert f"Facture n° {number}" in pro_docx
    assert "article D441-5" in pro_docx and "L441-10" in pro_docx
    assert "indemnités forfaitaires" in pro_docx
    # A copropriété: penalties under the terms, never the 40 € indemnity nor B2B articles.
    assert "nous vous mettons en demeure" in copro_docx
    assert "40 €" not in copro_docx and "indemnit" not in copro_docx
    assert "L441-10" not in copro_docx
    assert "Sauf erreur ou omission" in first_docx and "pénalités" not in first_docx
    assert "Mise en demeure" in subject and "indemnit" not in body
    assert pdf.startswith(b"%PDF")
    import subprocess

    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "MISE EN DEMEURE" in text.upper() and "D441-5" in text
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True).stdout.decode()
    assert "Helvetica" not in fonts


def test_dunning_run_records_history_and_skips_litigation(demo_db: Database) -> None:
    on = D(2026, 9, 1)
    with demo_db.read() as s:
        run = dunning_run(s, on)
        assert run.proposals and all(p.level == 1 for p in run.proposals)
        target = run.proposals[0]
        other = run.proposals[1]
    with demo_db.write() as s:
        s.get(Client, other.client_id).in_litigation = True
        done = record_reminders(s, on)
        assert other.client_id not in {r.client_id for r in done}
        assert target.client_id in {r.client_id for r in done}
    with demo_db.read() as s:
        again = dunning_run(s, on)
        assert {p.client_id for p in again.proposals} == set()  # sent today: nothing more due
        assert any("client en litige" in w for w in again.skipped)
        reminder = s.scalar(
            select(Reminder).where(Reminder.client_id == target.client_id, Reminder.sent_on == on)
        )
        assert reminder.total_due == target.total_due
        events = s.scalars(
            select(AuditEvent).where(
                AuditEvent.client_id == target.client_id, AuditEvent.entity_type == "reminder"
            )
        ).all()
        assert any("Relance 1" in e.summary and e.entity_id == reminder.id for e in events)
        assert reminder_history(s, target.client_id)[0].label == "Relance 1"


def test_reminder_sent_by_email_with_its_pdf(demo_db: Database) -> None:
    import email
    import socket
    from email import policy

    from aiosmtpd.controller import Controller

    from app.collections.mailing import send_reminder_emails
    from models.documents import DocumentSending

    received: list[email.message.EmailMessage] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(
                email.message_from_bytes(envelope.original_content, policy=policy.default)
            )
            return "250 OK"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with demo_db.read() as s:
            formal = next(r for r in reminder_history(s) if r.label == "Mise en demeure")
            client = s.get(Client, formal.client_id)
            address = client.invoice_email or client.email
            report = send_reminder_emails(s, [formal.id], override=f"127.0.0.1:{port}")
    finally:
        controller.stop()
    assert len(report.sent) == 1, [o.error for o in report.failed]
    message = received[0]
    assert address in str(message["To"])
    assert "Mise en demeure" in str(message["Subject"])
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "nous vous mettons en demeure" in body
    attachment = next(message.iter_attachments())
    assert attachment.get_content()[:4] == b"%PDF"
    with demo_db.read() as s:
        log = s.scalars(select(DocumentSending).where(DocumentSending.doc_type == "reminder")).all()
        assert [row.client_id for row in log] == [formal.client_id]


def test_cli_balance_and_dunning_run(demo_db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from app.cli import main

    path = target_of(demo_db)
    demo_db.dispose()
    assert main(["--db", path, "relances", "balance", "--on", "2026-09-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    total = data["rows"][-1]
    assert total["client"] == "Total"
    assert Decimal(total["total"]) == sum(
        (Decimal(r["total"]) for r in data["rows"][:-1]), Decimal(0)
    )
    assert main(["--db", path, "relances", "run", "--on", "2026-09-01", "--record", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["recorded"] == len(data["letters"]) > 0
    assert {x["level"] for x in data["letters"]} == {"relance_1"}
    assert main(["--db", path, "relances", "run", "--on", "2026-09-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["letters"] == []


def test_check_flags_an_indemnity_claimed_from_a_copropriete(demo_db: Database) -> None:
    from app.collections.checks import check_reminders

    with demo_db.read() as s:
        assert check_reminders(s) == []
    with demo_db.write() as s:
        copro = next(
            r
            for r in s.scalars(select(Reminder).where(Reminder.level == 3))
            if s.get(Client, r.client_id).kind == ClientKind.CONDOMINIUM
        )
        copro.indemnity = Decimal("40.00") * len(copro.items)
        copro.total_due += Decimal("1.00")
    with demo_db.read() as s:
        problems = check_reminders(s)
    assert len(problems) == 2
    assert "indemnité de 40 € réclamée à un débiteur non professionnel" in problems[1]
    assert "principal" in problems[0]


@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),
            st.integers(-40, 400),
            st.decimals(min_value=Decimal("-500"), max_value=Decimal("5000"), places=2),
        ),
        max_size=40,
    )
)
def test_aged_balance_keeps_every_cent(rows: list[tuple[int, int, Decimal]]) -> None:
    on = D(2026, 9, 30)
    items = [
        OpenItem(c, n, f"F{n}", D(2026, 1, 1), on - dt.timedelta(days=late), amount)
        for n, (c, late, amount) in enumerate(rows)
    ]
    result = age(items, {}, on)
    assert result.total.total == sum((i.amount for i in items), Decimal(0))
    assert result.total.total == sum((r.total for r in result.rows), Decimal(0))
    for key in result.total.buckets:
        assert result.total.buckets[key] == sum((r.buckets[key] for r in result.rows), Decimal(0))
    late_positive = sum((i.amount for i in items if i.amount > 0 and i.due_date < on), Decimal(0))
    assert result.total.overdue == late_positive
