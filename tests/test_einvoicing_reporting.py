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


def _issue(session, client_id: int, lines: list, day: dt.date):  # type: ignore[no-untyped-def]
    from app.billing.invoices import create_draft_invoice
    from app.billing.issuing import issue_invoices

    invoice = create_draft_invoice(session, client_id, lines, issue_date=day)
    issue_invoices(session, [invoice.id])
    return invoice


def test_goods_only_and_mixed_sales_get_their_category_and_only_services_report_payments(
    demo_db: Database,
) -> None:
    """Hand check (20 %): goods only, 2 × 18,90 = 37,80 HT, 7,56 TVA, 45,36 TTC (TLB1);
    mixed, window cleaning 100,00 HT + a box of paper 54,00 HT = 154,00 HT, 30,80 TVA,
    184,80 TTC (TMA1). Both paid the same day: the payment data holds the services only —
    the mixed invoice's 120,00 TTC of services; the goods (VAT due on delivery) none."""
    from app.billing.invoices import DraftLine
    from app.payments.allocation_rules import AllocationLine
    from app.payments.entry import PaymentForm, record_payment
    from models.catalog import Article, VatRate
    from models.clients import Client, ClientKind

    day = dt.date.today()
    with demo_db.write() as session:
        person = session.scalars(
            select(Client).where(Client.kind == ClientKind.PERSON).order_by(Client.id)
        ).first()
        assert person is not None
        soap, paper = (
            session.scalar(select(Article).where(Article.code == code))
            for code in ("PRODSAV", "PRODPAP")
        )
        assert soap is not None and paper is not None and not soap.is_service
        t20 = session.scalar(select(VatRate.id).where(VatRate.code == "T20"))
        goods = _issue(
            session,
            person.id,
            [DraftLine(article_id=soap.id, quantity="2", unit_price="18.90")],
            day,
        )
        mixed = _issue(
            session,
            person.id,
            [
                DraftLine(description="Nettoyage des vitres", unit_price="100.00", vat_rate_id=t20),
                DraftLine(article_id=paper.id, quantity="1", unit_price="54.00"),
            ],
            day,
        )
        assert (goods.total_ttc, mixed.total_ttc) == (Decimal("45.36"), Decimal("184.80"))
        record_payment(
            session,
            PaymentForm(client_id=person.id, date=day, amount="230,16"),
            [
                AllocationLine(goods.id, Decimal("45.36")),
                AllocationLine(mixed.id, Decimal("184.80")),
            ],
        )
    with demo_db.read() as session:
        sales, count = build_transactions(session, day, day)
        paid, items = build_payments(session, day, day)
    assert ereporting_schema.problems(sales) == [] and ereporting_schema.problems(paid) == []
    assert count == 2
    days = etree.fromstring(sales).findall("TransactionsReport/Transactions")
    assert [
        (
            d.findtext("CategoryCode"),
            d.findtext("TransactionsCount"),
            [
                (t.findtext("TaxPercent"), t.findtext("TaxableAmount"), t.findtext("TaxTotal"))
                for t in d.findall("TaxSubTotal")
            ],
        )
        for d in days
    ] == [
        ("TLB1", "1", [("20.00", "37.80", "7.56")]),
        ("TMA1", "1", [("20.00", "154.00", "30.80")]),
    ]
    assert items == 1  # the goods-only invoice has no payment data
    payments = etree.fromstring(paid).findall("PaymentsReport/Transactions/Payment")
    assert [
        [(s.findtext("TaxPercent"), s.findtext("Amount")) for s in p.findall("SubTotals")]
        for p in payments
    ] == [[("20.00", "120.00")]]


def test_franchise_sends_two_months_in_one_file_end_to_end(
    demo_db: Database, tmp_path: Path
) -> None:
    """A firm under « franchise en base » reports every two months: ``pa ereporting
    --period 2026-08`` sends July and August together; an odd month is refused in French.
    The two-month file holds exactly what July's and August's own files would (base and
    number of sales)."""
    from app.einvoicing.settings import PlatformForm, read_settings, save_settings

    keyring_file = tmp_path / "k.json"
    with file_keyring(keyring_file), platform_process(tmp_path, {}) as url:
        configure(demo_db, url)
        with demo_db.write() as session:
            row = read_settings(session)
            save_settings(
                session,
                PlatformForm(base_url=row.base_url, client_id=row.client_id,
                             chorus_url=row.chorus_url, chorus_client_id=row.chorus_client_id,
                             chorus_login=row.chorus_login, vat_regime="franchise"),
            )  # fmt: skip
            july, _n = build_transactions(session, D(2026, 7, 1), D(2026, 7, 31))
            august, _m = build_transactions(session, D(2026, 8, 1), D(2026, 8, 31))
        demo_db.dispose()
        cmd = [sys.executable, "-m", "app", "--db", target_of(demo_db), "pa", "ereporting"]
        odd = subprocess.run(
            [*cmd, "--period", "2026-07"], cwd=ROOT, env=child_env(keyring_file),
            capture_output=True, text=True,
        )  # fmt: skip
        assert odd.returncode != 0 and "Traceback" not in odd.stderr
        assert "indiquez le second (mois pair), par exemple 2026-08" in odd.stderr
        run = subprocess.run(
            [*cmd, "--period", "2026-08", "--json"], cwd=ROOT, env=child_env(keyring_file),
            capture_output=True, text=True,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        results = json.loads(run.stdout)
        assert [(r["type"], r["debut"], r["fin"], r["statut"]) for r in results] == [
            ("Transactions", "2026-07-01", "2026-08-31", "Accepté par la plateforme"),
            ("Payments", "2026-07-01", "2026-08-31", "Accepté par la plateforme"),
        ]
        flows = server_flows(url, {"flowDirection": ["Out"], "processingRule": ["B2C"]})
        assert sorted(f["name"] for f in flows) == [
            "ER_Payments_20260701_20260831.xml",
            "ER_Transactions_20260701_20260831.xml",
        ]
    with demo_db.read() as session:
        kept = session.scalars(
            select(PlatformFlow).where(PlatformFlow.kind == FlowKind.EREPORTING)
        ).all()
    sent = next(k.content for k in kept if k.file_name.startswith("ER_Transactions"))
    assert sent is not None

    def totals(data: bytes) -> tuple[Decimal, int]:
        root = etree.fromstring(data)
        base = sum((Decimal(t.text or "0") for t in root.iter("TaxableAmount")), Decimal("0.00"))
        count = sum(int(t.text or "0") for t in root.iter("TransactionsCount"))
        return base, count + len(root.findall("TransactionsReport/Invoice"))

    two_months = totals(sent)
    assert etree.fromstring(sent).findtext("ReportDocument/Period/StartDate") == "20260701"
    assert two_months == (
        totals(july)[0] + totals(august)[0],
        totals(july)[1] + totals(august)[1],
    )
    assert two_months[1] > 0
