"""Mentions that depend on who the buyer is and what the document is
(docs/DOMAIN.md « Invoice mentions », « VAT », « Payment terms »)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.billing.consistency import contract_problems
from app.db import Database
from app.documents.build import build_document
from models.clients import Client
from models.company import CompanySettings
from models.invoices import Invoice
from reports.invoice_pdf import render_invoice_pdf
from tests.documents_samples import credit_note
from tests.pg import target_of

D = dt.date


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _last_issued(session, code: str) -> Invoice:  # type: ignore[no-untyped-def]
    client_id = session.scalar(select(Client.id).where(Client.code == code))
    return session.scalars(
        select(Invoice)
        .where(
            Invoice.client_id == client_id, Invoice.status == "issued", Invoice.kind == "invoice"
        )
        .order_by(Invoice.issue_date.desc())
    ).first()


def test_a_credit_note_carries_no_payment_terms_nor_penalties() -> None:
    text = _text(render_invoice_pdf(credit_note()))
    assert "AVOIR" in text.upper()
    assert "Date d'échéance" not in text
    assert "pénalités" not in text and "40 €" not in text
    assert "Avoir relatif à la facture n°" in text


def test_private_person_gets_civil_law_wording_and_the_sap_declaration(demo_db: Database) -> None:
    with demo_db.read() as session:
        person = build_document(session, _last_issued(session, "PERR001").id)
        company = build_document(session, _last_issued(session, "CLIN001").id)
    assert (
        "taux légal" in person.penalty_text and "exigibles sans rappel" not in person.penalty_text
    )
    assert not person.indemnity_applies
    assert "12,15" in company.penalty_text and company.indemnity_applies
    text = _text(render_invoice_pdf(person))
    assert "10 %" in text and "déclaration n° SAP812345676" in text
    assert "40 €" not in text and "pénalités" not in text


def test_ten_percent_without_sap_declaration_is_flagged_before_a_run(demo_db: Database) -> None:
    with demo_db.read() as session:
        assert not [p for p in contract_problems(session) if p.kind == "sap_without_declaration"]
    with demo_db.write() as session:
        session.get(CompanySettings, 1).sap_declaration_number = ""
    with demo_db.read() as session:
        flagged = [p for p in contract_problems(session) if p.kind == "sap_without_declaration"]
    assert flagged and all("20 %" in p.message for p in flagged)


def test_month_end_invoices_are_due_within_45_days_of_issue(demo_db: Database) -> None:
    with demo_db.read() as session:
        rows = session.execute(
            select(Invoice.number, Invoice.issue_date, Invoice.due_date, Client.payment_term_kind)
            .join(Client, Client.id == Invoice.client_id)
            .where(Invoice.status == "issued", Invoice.run_id.is_not(None))
        ).all()
    assert any(kind == "days_eom" for *_x, kind in rows), "demo has « jours fin de mois » clients"
    late = [n for n, issued, due, _k in rows if (due - issued).days > 45]
    assert late == []


def test_a_catch_up_run_warns_about_backdated_invoices() -> None:
    from app.billing.runs import backdating_warnings

    assert backdating_warnings(D(2026, 10, 31), today=D(2026, 11, 3)) == []
    [warning] = backdating_warnings(D(2026, 9, 30), today=D(2026, 11, 28))
    assert "30/09/2026" in warning and "59 jours" in warning


def test_billing_run_can_date_a_catch_up_at_the_real_issue_date(
    demo_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    db = target_of(demo_db)
    assert (
        main(["--db", db, "billing", "run", "--period", "2026-09", "--issue-date", "2026-07-31"])
        == 2
    )  # the coming month may be billed in advance, not the one after without --advance
    assert "Le mois facturé 09/2026 vient 2 mois après" in capsys.readouterr().err
    assert (
        main(["--db", db, "billing", "run", "--period", "2026-09", "--issue-date", "2026-11-28",
              "--validate"])
        == 0
    )  # fmt: skip
    with demo_db.read() as session:
        dates = set(
            session.scalars(
                select(Invoice.issue_date).where(
                    Invoice.run_id.is_not(None), Invoice.period_start >= D(2026, 9, 1)
                )
            )
        )
    assert dates == {D(2026, 11, 28)}
