"""Sending the demo firm's August invoices through the reference platform run as a
separate process (``propreo pa serve``): directory, deposit, statuses, retries."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import Database
from app.einvoicing import cdar
from app.einvoicing.outgoing import invoices_of_period, send_invoices
from app.einvoicing.status import invoice_states
from app.einvoicing.sync import sync
from models.clients import Client
from models.einvoicing import DirectoryEntry, FlowKind, FlowState, PlatformFlow
from models.invoices import Invoice
from tests.einvoicing_platform import (
    CLIENT_ID,
    ROOT,
    SECRET,
    child_env,
    configure,
    file_keyring,
    platform_process,
    server_flows,
    sessions,
)
from tests.pg import target_of

B2B_AUGUST = [
    "FA2026-00139", "FA2026-00141", "FA2026-00142", "FA2026-00143", "FA2026-00144",
    "FA2026-00147", "FA2026-00150", "FA2026-00151", "FA2026-00153", "FA2026-00156",
]  # fmt: skip
SCENARIO = {
    "lifecycle": {
        "FA2026-00142": ["202", "210:Prestation non réalisée en août"],
        "FA2026-00143": ["202", "207:Quantités contestées"],
        "FA2026-00147": ["213:Adresse de facturation invalide"],
    },
    "default_lifecycle": ["202", "203", "205"],
}


@pytest.fixture
def platform_db(demo_db: Database, tmp_path: Path):  # type: ignore[no-untyped-def]
    with file_keyring(tmp_path / "keyring.json"), platform_process(tmp_path, SCENARIO) as url:
        configure(demo_db, url)
        yield demo_db, url


def _send_august(db: Database, **kw):  # type: ignore[no-untyped-def]
    platform, chorus = sessions(db, **kw)
    with db.read() as session:
        ids = invoices_of_period(session, "2026-08")
    return send_invoices(db, ids, platform, chorus)


def test_month_sent_once_statuses_stored_and_acted_on(platform_db) -> None:  # type: ignore[no-untyped-def]
    db, url = platform_db
    report = _send_august(db)
    assert report.failed == []
    by_number = {o.number: o for o in report.outcomes}
    assert sorted(n for n, o in by_number.items() if o.channel == "B2B") == B2B_AUGUST
    assert by_number["FA2026-00140"].channel == "B2G"  # the town hall goes to Chorus Pro
    # Private persons and copropriétés without SIREN do not leave as e-invoices.
    assert "FA2026-00154" not in by_number and "FA2026-00145" not in by_number

    deposited = server_flows(url, {"flowDirection": ["Out"], "flowType": ["CustomerInvoice"]})
    assert sorted(f["name"] for f in deposited) == [f"{n}.pdf" for n in B2B_AUGUST]
    with db.read() as session:
        rows = session.scalars(
            select(PlatformFlow).where(PlatformFlow.kind == FlowKind.INVOICE)
        ).all()
        for row in rows:  # the platform holds exactly the archived, validated file
            assert row.sha256 == next(f for f in deposited if f["flowId"] == row.flow_id)["sha256"]
        assert {r.state for r in rows} == {FlowState.ACCEPTED}

    assert _send_august(db).outcomes == []  # nothing left to send for August
    assert len(server_flows(url, {"flowType": ["CustomerInvoice"]})) == 10

    report = sync(db, *sessions(db))
    assert report.errors == []
    with db.read() as session:
        states = {s.number: s for s in invoice_states(session)}
    assert states["FA2026-00139"].label.startswith("Approuvée le ")
    assert states["FA2026-00142"].label.startswith("Refusée le ")
    assert "Prestation non réalisée en août" in states["FA2026-00142"].label
    assert states["FA2026-00142"].action == "refusée par le client : établissez un avoir"
    assert states["FA2026-00143"].action == "en litige : contactez le client"
    assert states["FA2026-00147"].reason == "Adresse de facturation invalide"
    assert states["FA2026-00147"].action.startswith("rejetée par la plateforme")
    assert states["FA2026-00140"].label.startswith("Mise à disposition le ")  # Chorus Pro

    again = sync(db, *sessions(db))  # statuses already read are not stored twice
    assert again.statuses == []

    # Shown in the invoice list and in the client's account.
    from app.billing.invoice_list import list_invoices
    from app.ledger import client_ledger

    with db.read() as session:
        listed = {r.number: r for r in list_invoices(session, period="2026-08")}
        assert listed["FA2026-00142"].einvoicing.startswith("Refusée le ")
        assert listed["FA2026-00142"].einvoicing.endswith("(Prestation non réalisée en août)")
        assert listed["FA2026-00154"].einvoicing == ""  # a private person: e-reporting
        refused = session.scalar(select(Invoice).where(Invoice.number == "FA2026-00142"))
        assert refused is not None
        ledger = [
            r for r in client_ledger(session, refused.client_id) if r.reference == "FA2026-00142"
        ]
        assert ledger[0].platform_status == listed["FA2026-00142"].einvoicing


def test_buyer_missing_from_directory_is_not_sent_and_says_why(
    demo_db: Database, tmp_path: Path
) -> None:
    with demo_db.read() as session:
        invoice = session.scalar(select(Invoice).where(Invoice.number == "FA2026-00144"))
        assert invoice is not None
        client = session.get(Client, invoice.client_id)
        assert client is not None
        siren, client_id = client.siren, client.id
    scenario = {"unknown_sirens": [siren]}
    with file_keyring(tmp_path / "k.json"), platform_process(tmp_path, scenario) as url:
        configure(demo_db, url)
        outcome = next(o for o in _send_august(demo_db).outcomes if o.number == "FA2026-00144")
        assert outcome.flow_id == ""
        assert outcome.error == (
            f"Destinataire introuvable dans l'annuaire (SIREN {siren}) : "
            "Aucune ligne d'annuaire : destinataire non inscrit"
        )
        assert server_flows(url, {"trackingId": f"FA2026-00144.{'0' * 16}"}) == []
        names = [f["name"] for f in server_flows(url, {"flowType": ["CustomerInvoice"]})]
        assert "FA2026-00144.pdf" not in names and len(names) == 9
    with demo_db.read() as session:
        entry = session.scalar(select(DirectoryEntry).where(DirectoryEntry.client_id == client_id))
        assert entry is not None and entry.found is False and siren in entry.reason


def test_timeout_then_retry_deposits_nothing_twice(demo_db: Database, tmp_path: Path) -> None:
    # The first answer is held 30 s; the client gives up after 10 s (every other deposit,
    # Factur-X checks included, answers well within that even on a loaded machine).
    scenario = {"ack_delay": 30, "ack_delay_count": 1}
    with file_keyring(tmp_path / "k.json"), platform_process(tmp_path, scenario) as url:
        configure(demo_db, url)
        first = _send_august(demo_db, timeout=10)
        timed_out = [o for o in first.outcomes if o.error]
        assert [o.number for o in timed_out] == ["FA2026-00139"]
        assert "n'a pas répondu à temps" in timed_out[0].error
        second = _send_august(demo_db)
        assert [(o.number, o.error) for o in second.outcomes] == [("FA2026-00139", "")]
        flows = server_flows(url, {"flowType": ["CustomerInvoice"]})
        assert sorted(f["name"] for f in flows) == [f"{n}.pdf" for n in B2B_AUGUST]


def test_crash_between_send_and_acknowledgement_leaves_no_double_deposit(
    demo_db: Database, tmp_path: Path
) -> None:
    """``propreo pa send`` is killed while the platform holds its answer to the first
    deposit; the next ``pa send`` finds that flow by its tracking id."""
    keyring_file = tmp_path / "k.json"
    scenario = {"ack_delay": 30, "ack_delay_count": 1}
    with file_keyring(keyring_file), platform_process(tmp_path, scenario) as url:
        configure(demo_db, url)
        demo_db.dispose()
        cmd = [
            sys.executable,
            "-m",
            "app",
            "--db",
            target_of(demo_db),
            "pa",
            "send",
            "--period",
            "2026-08",
        ]
        child = subprocess.Popen(cmd, cwd=ROOT, env=child_env(keyring_file), stdout=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not server_flows(url, {"flowType": ["CustomerInvoice"]}):
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.3)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        with demo_db.read() as session:
            pending = session.scalars(select(PlatformFlow)).all()
            assert [(p.file_name, p.flow_id, p.state) for p in pending] == [
                ("FA2026-00139.pdf", "", FlowState.PENDING)
            ]
        rerun = subprocess.run(
            [*cmd, "--json"], cwd=ROOT, env=child_env(keyring_file), capture_output=True, text=True
        )
        assert rerun.returncode == 0, rerun.stderr
        sent = json.loads(rerun.stdout)
        first = next(o for o in sent if o["numero"] == "FA2026-00139")
        flows = server_flows(url, {"flowType": ["CustomerInvoice"]})
        assert sorted(f["name"] for f in flows) == [f"{n}.pdf" for n in B2B_AUGUST]
        original = next(f for f in flows if f["name"] == "FA2026-00139.pdf")
        assert first["flux"] == original["flowId"]  # adopted, not deposited again


def test_cashed_status_sent_once_when_a_service_invoice_is_paid(platform_db) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from app.payments.allocation_rules import AllocationLine
    from app.payments.entry import PaymentForm, record_payment

    db, url = platform_db
    _send_august(db)
    sync(db, *sessions(db))
    with db.write() as session:
        invoice = session.scalar(select(Invoice).where(Invoice.number == "FA2026-00139"))
        assert invoice is not None
        record_payment(
            session,
            PaymentForm(client_id=invoice.client_id, date=dt.date(2026, 9, 10), amount="1800,00"),
            [AllocationLine(invoice.id, Decimal("1800.00"))],
        )
    report = sync(db, *sessions(db))
    assert "FA2026-00139" in report.cashed
    assert sync(db, *sessions(db)).cashed == []  # sent once
    sent = server_flows(url, {"flowDirection": ["Out"], "flowType": ["CustomerInvoiceLC"]})
    messages = [cdar.parse(_original(url, f["flowId"])) for f in sent]
    paid = [m for m in messages if m.invoice_number == "FA2026-00139"]
    assert [(m.code, m.amount, m.at.date()) for m in paid] == [
        ("212", Decimal("1800.00"), dt.date(2026, 9, 10))
    ]
    with db.read() as session:
        states = {s.number: s for s in invoice_states(session)}
    assert states["FA2026-00139"].label.startswith("Encaissée le 10/09/2026")


def _original(url: str, flow_id: str) -> bytes:
    from app.einvoicing.connector import Credentials, Session

    return Session(Credentials(url, CLIENT_ID, SECRET)).original(flow_id)


@pytest.mark.sqlite_only  # reads the database file's bytes
def test_platform_secret_is_in_the_keyring_not_in_the_database(platform_db) -> None:  # type: ignore[no-untyped-def]
    db, _url = platform_db
    path = db.path
    db.dispose()
    if path is None:  # PostgreSQL: every row of the base, as pg_dump writes it
        from app.pg_backup import run_tool

        data = run_tool("pg_dump", ["--format=plain"], db.engine.url).encode()
        assert "FA2026-00139" in data.decode()  # the dump holds the data itself
    else:
        files = path.parent.glob(path.name + "-*")
        data = path.read_bytes() + b"".join(p.read_bytes() for p in files)
    assert SECRET.encode() not in data
    assert hashlib.sha256(SECRET.encode()).hexdigest().encode() not in data


def test_chorus_deposit_whose_answer_was_lost_is_found_not_made_twice(platform_db) -> None:  # type: ignore[no-untyped-def]
    db, _url = platform_db
    first = next(o for o in _send_august(db).outcomes if o.channel == "B2G")
    assert first.flow_id.startswith("CPP-")
    with db.write() as session:  # as if the process died before recording Chorus's answer
        row = session.scalar(select(PlatformFlow).where(PlatformFlow.kind == FlowKind.CHORUS))
        assert row is not None
        row.flow_id, row.state = "", FlowState.PENDING
    with db.read() as session:
        ids = [session.scalar(select(Invoice.id).where(Invoice.number == first.number))]
    platform, chorus = sessions(db)
    (again,) = send_invoices(db, ids, platform, chorus).outcomes
    assert (again.flow_id, again.error) == (first.flow_id, "")
    assert chorus().find(first.number) == first.flow_id
