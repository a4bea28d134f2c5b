"""Issue N §1: nothing is numbered that cannot be produced as a valid Factur-X.

Reproduces what the review saw (a run's credit note citing no invoice, invoices to private
persons and EU companies without e-mail refused on BR-FR-12), then checks that a draft is
validated before it is numbered, with the rule sets of its buyer's category.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree
from sqlalchemy import select

from app.billing.contracts import terminate
from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.issuing import issue_invoices
from app.billing.runs import issue_period, run_month
from app.db import Database
from app.documents.render import render_batch
from models.clients import Client
from models.contracts import Contract
from models.invoices import Invoice, InvoiceKind
from reports.facturx import NS, extract_xml
from reports.validation import validate_xml
from tests import billing_fixtures as bf

D = dt.date


def _xml_of(db: Database, invoice_id: int) -> bytes:
    with db.read() as s:
        result = render_batch(s, [invoice_id])
    doc = result.documents[0]
    assert doc.ok, doc.error
    return extract_xml(doc.pdf)


def _text(xml: bytes, path: str) -> list[str]:
    return [e.text for e in etree.fromstring(xml).iterfind(path, NS)]


def test_run_credit_note_after_an_end_cites_the_november_invoice(demo_db: Database) -> None:
    for period in ("2026-09", "2026-10", "2026-11"):
        with demo_db.write() as s:
            run_month(s, period)
        with demo_db.write() as s:
            issue_period(s, period, include_blocked=True)
    with demo_db.write() as s:
        contract = s.scalar(select(Contract).where(Contract.code == "CT00003"))
        terminate(s, contract.id, D(2026, 7, 1), D(2026, 11, 15))
        contract_id = contract.id
        november = s.scalar(
            select(Invoice).where(
                Invoice.contract_id == contract_id,
                Invoice.kind == InvoiceKind.INVOICE,
                Invoice.period_start == D(2026, 11, 1),
            )
        )
        november_number, november_date = november.number, november.issue_date
    with demo_db.write() as s:
        run = run_month(s, "2026-12", issue_date=D(2026, 12, 7))
    with demo_db.read() as s:
        notes = [
            s.get(Invoice, i)
            for i in run.invoice_ids
            if s.get(Invoice, i).kind == InvoiceKind.CREDIT_NOTE
            and s.get(Invoice, i).contract_id == contract_id
        ]
        assert len(notes) == 1
        note_id = notes[0].id
        assert notes[0].origin.number == november_number
    with demo_db.write() as s:
        issued = issue_period(s, "2026-12", include_blocked=True)
    assert issued
    xml = _xml_of(demo_db, note_id)
    assert _text(xml, ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [november_number]
    assert _text(
        xml, ".//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString"
    ) == [november_date.strftime("%Y%m%d")]
    assert [f for f in validate_xml(xml) if f.fatal] == []


def _paper_client(s, **kw: object) -> Client:  # type: ignore[no-untyped-def]
    return bf.client(s, email="", invoice_email="", **kw)


def test_private_person_and_eu_company_without_email_get_valid_invoices(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        person = _paper_client(s, code="DUPO001", kind="person", siren="", name="Mme Dupont")
        german = _paper_client(
            s,
            code="MULL001",
            kind="company",
            siren="",
            name="Müller GmbH",
            country="DE",
            postcode="10115",
            city="Berlin",
            street="Invalidenstraße 1",
            vat_number="DE811907980",
        )
        ids = [
            create_draft_invoice(
                s,
                c.id,
                [DraftLine("Nettoyage vitres", 2, Decimal("40"))],
                issue_date=D(2026, 11, 5),
            ).id
            for c in (person, german)
        ]
        issue_invoices(s, ids)
    for invoice_id in ids:
        xml = _xml_of(db, invoice_id)  # rendered: it passed the rule sets of its buyer
        # Out of the French B2B exchange: the European standard, not BR-FR (BR-FR-12).
        assert [f for f in validate_xml(xml, ("EN 16931",)) if f.fatal] == []
        assert _text(xml, ".//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID") == []
