"""Statements (client and syndic), postal batch, cover letter."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

from docx import Document
from pypdf import PdfReader
from sqlalchemy import select

from app.db import Database
from app.documents.printing import cover_letter, postal_batch
from app.documents.statements import build_statement, statement_pdf
from models.clients import Client, ClientKind
from models.invoices import Invoice
from tests.documents_samples import issue_samples

OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def test_client_statement_lists_invoices_credit_notes_and_balance(demo_db: Database) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
    with demo_db.read() as session:
        client_id = session.get(Invoice, ids["company"]).client_id
        mine = [
            session.get(Invoice, i)
            for i in ids.values()
            if session.get(Invoice, i).client_id == client_id
        ]
        statement = build_statement(session, client_id, *OCT, today=dt.date(2026, 11, 2))
        pdf = statement_pdf(session, client_id, *OCT)
    section = statement.sections[0]
    refs = {line.reference for line in section.lines}
    assert {i.number for i in mine} <= refs
    expected = sum((i.total_ttc * i.sign for i in mine), D("0.00"))
    october = sum(
        (x.debit - x.credit for x in section.lines if x.reference in {i.number for i in mine}),
        D("0.00"),
    )
    assert october == expected
    credit = next(x for x in section.lines if x.kind == "Avoir")
    assert credit.credit == D("144.00") and credit.debit == D("0.00")
    assert statement.balance == section.opening + sum(
        (x.debit - x.credit for x in section.lines), D("0.00")
    )
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "RELEVÉ DE COMPTE DU 01/10/2026 AU 31/10/2026" in text
    assert "Solde à la fin de la période" in text
    for invoice in mine:
        assert invoice.number in text


def test_syndic_statement_has_one_section_per_copropriete(demo_db: Database) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
    with demo_db.read() as session:
        condo = session.get(Client, session.get(Invoice, ids["condominium"]).client_id)
        assert condo.kind == ClientKind.CONDOMINIUM and condo.manager_id
        statement = build_statement(session, condo.manager_id, *OCT)
        names = [s.title for s in statement.sections]
    assert any(condo.name in n for n in names)
    section = next(s for s in statement.sections if condo.name in s.title)
    assert [x.debit for x in section.lines if x.kind == "Facture"] == [D("504.00")]


def test_postal_batch_merges_archived_documents_each_on_a_new_sheet(demo_db: Database) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
    chosen = [ids["company"], ids["condominium"], ids["credit_note"]]
    with demo_db.read() as session:
        merged = postal_batch(session, chosen)
        numbers = [session.get(Invoice, i).number for i in chosen]
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(merged)).pages]
    assert len(pages) == 6  # three one-page documents, a blank verso after each
    for position, number in enumerate(numbers):
        assert number in pages[position * 2]
        assert pages[position * 2 + 1].strip() == ""


def test_cover_letter_is_an_editable_docx_with_letterhead(demo_db: Database) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
    with demo_db.read() as session:
        data = cover_letter(session, ids["condominium"])
        number = session.get(Invoice, ids["condominium"]).number
        manager = session.scalars(
            select(Client).where(
                Client.id
                == session.get(
                    Client, session.get(Invoice, ids["condominium"]).client_id
                ).manager_id
            )
        ).one()
    doc = Document(io.BytesIO(data))
    body = "\n".join(p.text for p in doc.paragraphs)
    header = "\n".join(p.text for p in doc.sections[0].header.paragraphs)
    footer = "\n".join(p.text for p in doc.sections[0].footer.paragraphs)
    assert "Lumière Propreté Services" in header
    assert "SIRET" in footer and "RCS" in footer
    assert f"Objet : Facture n° {number} du 31/10/2026" in body
    assert "504,00" in body and "30/11/2026" in body
    assert f"c/o {manager.name}" in body
    assert "{" not in body  # every field filled
