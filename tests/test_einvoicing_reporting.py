"""E-reporting of the demo firm's sales to private persons and copropriétés without SIREN,
and a supplier invoice received, against the reference platform (a separate process)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from app.db import Database
from app.einvoicing import cdar, ereporting_schema
from app.einvoicing.ereporting import build_payments, build_transactions, periods, send_period
from app.einvoicing.incoming import received_invoices, respond
from app.einvoicing.sync import sync
from app.errors import ValidationError
from app.resources import resource_path
from models.einvoicing import FlowKind, PlatformFlow, ReceivedState
from tests.einvoicing_platform import (
    ROOT,
    child_env,
    configure,
    file_keyring,
    platform_process,
    server_flows,
    sessions,
)
from tests.pg import target_of

D = dt.date


def test_periods_follow_the_vat_regime() -> None:
    assert periods("reel_mensuel", "2026-08") == [
        ("Transactions", D(2026, 8, 1), D(2026, 8, 10)),
        ("Transactions", D(2026, 8, 11), D(2026, 8, 20)),
        ("Transactions", D(2026, 8, 21), D(2026, 8, 31)),
        ("Payments", D(2026, 8, 1), D(2026, 8, 31)),
    ]
    assert periods("simplifie", "2026-02") == [
        ("Transactions", D(2026, 2, 1), D(2026, 2, 28)),
        ("Payments", D(2026, 2, 1), D(2026, 2, 28)),
    ]
    assert periods("franchise", "2026-08")[0] == ("Transactions", D(2026, 7, 1), D(2026, 8, 31))
    with pytest.raises(ValidationError) as refused:
        periods("franchise", "2026-07")
    assert "indiquez le second (mois pair), par exemple 2026-08" in str(refused.value)


def test_august_transactions_aggregate_the_b2c_sales_per_day_and_rate(demo_db: Database) -> None:
    """Hand check: 31/08/2026, five copropriétés without SIREN (768,00 + 836,00 + 700,00
    + 768,00 + 700,00 HT at 20 %), a down-payment invoice to one of them (184,81 HT at
    20 %) and three private persons (208,00 + 156,00 + 104,00 HT at 10 %)."""
    with demo_db.read() as session:
        data, count = build_transactions(session, D(2026, 8, 21), D(2026, 8, 31))
    assert ereporting_schema.problems(data) == []
    assert count == 9
    root = etree.fromstring(data)
    day = root.find("TransactionsReport/Transactions")
    assert day is not None
    assert [
        day.findtext("Date"),
        day.findtext("CategoryCode"),
        day.findtext("TransactionsCount"),
    ] == [
        "20260831",
        "TPS1",
        "9",
    ]
    rates = [
        (t.findtext("TaxPercent"), t.findtext("TaxableAmount"), t.findtext("TaxTotal"))
        for t in day.findall("TaxSubTotal")
    ]
    assert rates == [("20.00", "3956.81", "791.36"), ("10.00", "468.00", "46.80")]
    # No B2B (SIREN) client is in the e-reporting: they are e-invoiced.
    with demo_db.read() as session:
        early, none = build_transactions(session, D(2026, 8, 1), D(2026, 8, 10))
    assert none == 0 and etree.fromstring(early).find("TransactionsReport/Transactions") is None


def test_payments_report_the_cash_received_per_day(demo_db: Database) -> None:
    with demo_db.read() as session:
        data, count = build_payments(session, D(2026, 8, 1), D(2026, 8, 31))
    assert ereporting_schema.problems(data) == []
    assert count == 8
    first = etree.fromstring(data).find("PaymentsReport/Transactions/Payment")
    assert first is not None
    assert first.findtext("Date") == "20260807"
    assert [
        (s.findtext("TaxPercent"), s.findtext("Amount")) for s in first.findall("SubTotals")
    ] == [("20.00", "840.00")]


def test_schema_refuses_a_broken_file() -> None:
    broken = b"<Report><ReportDocument><Id>x</Id></ReportDocument></Report>"
    assert ereporting_schema.problems(broken)
    with pytest.raises(ValueError):
        ereporting_schema.check(broken)


def test_ereporting_sent_once_and_a_supplier_invoice_received(
    demo_db: Database, tmp_path: Path
) -> None:
    supplier = resource_path("einvoicing", "facture-fournisseur-demo.pdf")
    scenario = {"inbox": [str(supplier)]}
    keyring_file = tmp_path / "k.json"
    with file_keyring(keyring_file), platform_process(tmp_path, scenario) as url:
        configure(demo_db, url)
        demo_db.dispose()
        run = subprocess.run(
            [sys.executable, "-m", "app", "--db", target_of(demo_db), "pa", "ereporting",
             "--period", "2026-08", "--json"],
            cwd=ROOT, env=child_env(keyring_file), capture_output=True, text=True,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        results = json.loads(run.stdout)
        sent = [r for r in results if r["flux"]]
        assert [(r["type"], r["debut"], r["elements"], r["statut"]) for r in sent] == [
            ("Transactions", "2026-08-21", 9, "Accepté par la plateforme"),
            ("Payments", "2026-08-01", 8, "Accepté par la plateforme"),
        ]
        platform, _chorus = sessions(demo_db)
        assert [r.flow_id for r in send_period(demo_db, platform, "2026-08") if r.flow_id] == [
            r["flux"] for r in sent
        ]  # the same flows: nothing deposited twice
        reports = server_flows(url, {"flowType": ["AggregatedCustomerTransactionReport"]})
        assert len(reports) == 1
        assert len(server_flows(url, {"flowType": ["AggregatedCustomerPaymentReport"]})) == 1
        with demo_db.read() as session:
            kept = session.scalars(
                select(PlatformFlow).where(PlatformFlow.kind == FlowKind.EREPORTING)
            ).all()
            assert len(kept) == 2 and all(k.content for k in kept)
            assert sorted(k.period for k in kept) == ["01/08–31/08/2026", "21/08–31/08/2026"]

        report = sync(demo_db, platform)
        assert report.received == ["Hygiène Pro Distribution HPD-2026-0917"]
        with demo_db.read() as session:
            (received,) = received_invoices(session)
            assert (received.seller_siren, received.number, received.issue_date) == (
                "732829320",
                "HPD-2026-0917",
                D(2026, 9, 3),
            )
            assert received.document == supplier.read_bytes()
        with pytest.raises(ValidationError):
            respond(demo_db, platform, received.id, approve=False)
        respond(demo_db, platform, received.id, approve=False, reason="Commande non reçue")
        answers = server_flows(url, {"flowType": ["SupplierInvoiceLC"]})
        assert len(answers) == 1
        message = cdar.parse(platform.original(answers[0]["flowId"]))
        assert (message.invoice_number, message.code, message.reason) == (
            "HPD-2026-0917",
            "210",
            "Commande non reçue",
        )
        with demo_db.read() as session:
            assert received_invoices(session)[0].state == ReceivedState.REFUSED
        assert Decimal(received.total_ttc) > 0


def test_once_a_platform_is_set_b2b_invoices_are_no_longer_emailed(
    demo_db: Database, tmp_path: Path
) -> None:
    from app.documents.email import email_recipients
    from app.einvoicing import routing
    from models.clients import Client
    from models.invoices import Invoice

    with demo_db.read() as session:
        before = email_recipients(session, "2026-08")
    with file_keyring(tmp_path / "k.json"):
        configure(demo_db, "http://127.0.0.1:9")
    with demo_db.read() as session:
        after = email_recipients(session, "2026-08")
        channels = {
            i: routing.channel(session.get(Client, session.get(Invoice, i).client_id))
            for i in before
        }
    assert {channels[i] for i in after} <= {routing.B2C, routing.B2B_INT}
    assert any(c == routing.B2B for c in channels.values())  # some were e-mailed before
    assert set(after) == {i for i in before if channels[i] not in (routing.B2B, routing.B2G)}


def test_flow_and_received_invoice_states_follow_their_tables() -> None:
    from types import SimpleNamespace

    from app.einvoicing.states import FLOW_WORKFLOW, RECEIVED_WORKFLOW, move
    from app.errors import StateError
    from models.einvoicing import FlowState

    flow = SimpleNamespace(state=FlowState.PENDING)
    move(FLOW_WORKFLOW, flow, FlowState.DEPOSITED)
    move(FLOW_WORKFLOW, flow, FlowState.DEPOSITED)  # still waiting: no move
    move(FLOW_WORKFLOW, flow, FlowState.ERROR)
    with pytest.raises(StateError) as refused:
        move(FLOW_WORKFLOW, flow, FlowState.ACCEPTED, ref="FA2026-00139.pdf")
    assert str(refused.value) == (
        "Flux FA2026-00139.pdf : passage de « Rejeté par la plateforme » à « Accepté par la "
        "plateforme » impossible."
    )
    received = SimpleNamespace(state=ReceivedState.REFUSED)
    with pytest.raises(StateError):
        move(RECEIVED_WORKFLOW, received, ReceivedState.APPROVED)
