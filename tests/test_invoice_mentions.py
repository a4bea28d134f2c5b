"""What an invoicing expert reads on the demo's invoices and reminders: public buyers' late
interest (Code de la commande publique), bank details by means of payment, a copropriété's
SIREN (BT-47), and the ECB rate setting behind them."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select
from stdnum.fr import siren as stdnum_siren

from app.collections.dunning import (
    dunning_run,
    late_penalty,
    letter_docx,
    penalty_rate,
    record_reminders,
)
from app.company import CompanyForm, form_from_company, public_late_rate, save_company, validate
from app.db import Database
from app.documents.build import build_document
from app.errors import ValidationErrors
from models.clients import Client
from models.collections import Reminder
from models.company import CompanySettings
from models.invoices import Invoice
from reports.facturx import build_cii_xml, extract_xml, render_facturx
from reports.invoice_model import InvoiceDocument
from reports.invoice_pdf import render_invoice_pdf
from reports.validation import validate_xml

D = dt.date
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
FIRM_IBAN = "FR76 3000 4001 2300 0123 4567 843"
PUBLIC_PENALTY = (
    "En cas de retard de paiement, intérêts moratoires de plein droit au taux de la BCE "
    "(opérations principales de refinancement) majoré de 8 points (art. L2192-13 et "
    "R2192-31 du Code de la commande publique), soit 10,15 % l'an au 01/07/2026 "
    "(taux BCE 2,15 %)."
)
PUBLIC_INDEMNITY = (
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € "
    "(art. L2192-13 et D2192-35 du Code de la commande publique)."
)


def _text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text on one line, whitespace collapsed (mentions wrap over lines)."""
    if shutil.which("pdftotext"):
        path = tmp_path / "doc.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, check=True
        ).stdout.decode()
    else:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def _last_invoice(session, code: str) -> Invoice:  # type: ignore[no-untyped-def]
    client_id = session.scalar(select(Client.id).where(Client.code == code))
    return session.scalars(
        select(Invoice)
        .where(
            Invoice.client_id == client_id, Invoice.status == "issued", Invoice.kind == "invoice"
        )
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    ).first()


def _doc(db: Database, code: str) -> InvoiceDocument:
    with db.read() as session:
        return build_document(session, _last_invoice(session, code).id)


def _notes(xml: bytes) -> dict[str, str]:
    root = etree.fromstring(xml)
    notes = {}
    for note in root.iterfind(".//ram:IncludedNote", NS):
        code = note.findtext("ram:SubjectCode", default="", namespaces=NS)
        notes[code] = note.findtext("ram:Content", default="", namespaces=NS)
    return notes


# --- 1. public buyers ---------------------------------------------------------------------


def test_public_body_invoice_cites_the_code_de_la_commande_publique(
    demo_db: Database, tmp_path: Path
) -> None:
    doc = _doc(demo_db, "MAIR001")
    assert doc.buyer.public_body
    assert doc.penalty_text == PUBLIC_PENALTY
    assert doc.indemnity_text == PUBLIC_INDEMNITY
    pdf = render_facturx(doc)  # validated: XSD + EN 16931 + BR-FR
    text = _text(pdf, tmp_path)
    assert PUBLIC_PENALTY in text and PUBLIC_INDEMNITY in text
    assert "12,15" not in text and "L441-10" not in text and "exigibles sans rappel" not in text
    xml = extract_xml(pdf)
    notes = _notes(xml)
    assert notes["PMD"] == PUBLIC_PENALTY
    assert notes["PMT"] == PUBLIC_INDEMNITY
    assert [f for f in validate_xml(xml) if f.fatal] == []


def test_an_ecb_date_after_the_invoice_is_not_printed(demo_db: Database) -> None:
    with demo_db.read() as session:
        client_id = session.scalar(select(Client.id).where(Client.code == "MAIR001"))
        march = session.scalar(
            select(Invoice.id).where(
                Invoice.client_id == client_id, Invoice.issue_date == D(2026, 3, 31)
            )
        )
        doc = build_document(session, march)
    assert doc.penalty_text.endswith("soit 10,15 % l'an (taux BCE 2,15 %).")
    assert "01/07/2026" not in doc.penalty_text


def test_a_reprint_keeps_the_rate_in_force_when_it_was_issued(demo_db: Database) -> None:
    before = _doc(demo_db, "MAIR001")
    with demo_db.write() as session:
        company = session.get(CompanySettings, 1)
        company.ecb_rate, company.ecb_rate_date = Decimal("2.40"), D(2027, 1, 1)
        company.late_penalty_rate = Decimal("13.00")
    after = _doc(demo_db, "MAIR001")
    assert after.penalty_text == before.penalty_text == PUBLIC_PENALTY
    assert "12,15 %" in _doc(demo_db, "CLIN001").penalty_text
    with demo_db.read() as session:  # what a new invoice to a public buyer would print
        from app.documents.build import public_penalty_text

        company = session.get(CompanySettings, 1)
        assert "soit 10,4 % l'an au 01/01/2027 (taux BCE 2,4 %)" in public_penalty_text(
            company.ecb_rate, company.ecb_rate_date
        )


def test_a_private_firm_keeps_the_commercial_code_wording(demo_db: Database) -> None:
    doc = _doc(demo_db, "CLIN001")
    assert doc.penalty_text == (
        "En cas de retard de paiement, pénalités au taux de 12,15 % l'an, exigibles sans "
        "rappel le jour suivant la date d'échéance."
    )
    assert "L441-10 et D441-5 du Code de commerce" in doc.indemnity_text
    notes = _notes(build_cii_xml(doc))
    assert "D441-5" in notes["PMT"] and "commande publique" not in notes["PMD"]


def test_public_reminders_claim_ecb_plus_eight_points(demo_db: Database) -> None:
    first, second = D(2026, 11, 30), D(2026, 12, 30)
    with demo_db.read() as session:
        mairie = session.scalar(select(Client).where(Client.code == "MAIR001"))
        clinic = session.scalar(select(Client).where(Client.code == "CLIN001"))
        assert (
            penalty_rate(session, mairie) == Decimal("10.15") == public_late_rate(Decimal("2.15"))
        )
        assert penalty_rate(session, clinic) == Decimal("12.15")
        mairie_id, clinic_id = mairie.id, clinic.id
    with demo_db.write() as session:
        record_reminders(session, first, [mairie_id, clinic_id])  # relance 1: nothing claimed
    with demo_db.read() as session:
        run = {p.client_id: p for p in dunning_run(session, second).proposals}
    public, private = run[mairie_id], run[clinic_id]
    assert public.level == 2 and private.level == 2
    by_number = {i.number: i for i in public.items}
    # 1 440,00 € late 214 days: 1 440 × 10,15 % × 214 / 365 = 85,6938… → 85,69
    item = by_number["FA2026-00060"]
    assert (item.open_amount, item.days_late, item.penalty) == (
        Decimal("1440.00"),
        214,
        Decimal("85.69"),
    )
    for i in public.items:
        assert i.penalty == late_penalty(i.open_amount, Decimal("10.15"), i.days_late)
    for i in private.items:
        assert i.penalty == late_penalty(i.open_amount, Decimal("12.15"), i.days_late)
    assert public.indemnity == Decimal("40.00") * len(public.items)
    with demo_db.write() as session:
        record_reminders(session, second, [mairie_id])
    with demo_db.read() as session:
        reminder = session.scalar(
            select(Reminder).where(Reminder.client_id == mairie_id, Reminder.sent_on == second)
        )
        assert reminder.penalty == public.penalty
        from docx import Document

        letter = "\n".join(
            p.text for p in Document(io.BytesIO(letter_docx(session, reminder.id))).paragraphs
        )
    assert "articles L2192-13 et R2192-31 du Code de la commande publique" in letter
    assert "10,15 % l'an (taux de refinancement de la BCE majoré de 8 points)" in letter
    assert "(article D2192-35)" in letter
    assert "L441-10" not in letter and "12,15" not in letter


# --- 2. bank details by means of payment --------------------------------------------------


def test_bank_details_follow_the_means_of_payment(demo_db: Database, tmp_path: Path) -> None:
    transfer = _text(render_invoice_pdf(_doc(demo_db, "CLIN001")), tmp_path)
    assert "Mode de règlement : Virement SEPA" in transfer
    assert f"IBAN {FIRM_IBAN} – BIC BNPAFRPPXXX" in transfer
    assert "Règlement par chèque" not in transfer

    cheque_doc = _doc(demo_db, "ASSU001")
    cheque = _text(render_invoice_pdf(cheque_doc), tmp_path)
    assert "Mode de règlement : Chèque" in cheque
    assert "Règlement par chèque à l'ordre de Lumière Propreté Services." in cheque
    assert "IBAN" not in cheque and "BIC" not in cheque
    cheque_xml = build_cii_xml(cheque_doc)
    assert b"IBANID" not in cheque_xml and b"<ram:TypeCode>20</ram:TypeCode>" in cheque_xml

    debit_doc = _doc(demo_db, "RHON001")
    debit = _text(render_invoice_pdf(debit_doc), tmp_path)
    assert "Mode de règlement : Prélèvement SEPA" in debit
    assert (
        # The invoice is the pre-notification: the day of the debit (its due date here,
        # 31/08 + 45 days, a TARGET2 business day), the mandate and the creditor.
        "Prélèvement SEPA le 15/10/2026 – mandat (RUM) RUM-RHON001-001, identifiant créancier "
        "SEPA (ICS) FR72ZZZ123456." in debit
    )
    assert FIRM_IBAN not in debit and "BIC BNPAFRPPXXX" not in debit
    debit_xml = build_cii_xml(debit_doc)
    assert b"<ram:DirectDebitMandateID>RUM-RHON001-001</ram:DirectDebitMandateID>" in debit_xml
    assert b"PayeePartyCreditorFinancialAccount" not in debit_xml
    assert b"PayerPartyDebtorFinancialAccount" in debit_xml

    card = _text(render_invoice_pdf(_doc(demo_db, "BOUL001")), tmp_path)
    assert "Mode de règlement : Carte bancaire" in card and "IBAN" not in card


def test_direct_debit_without_an_active_mandate_asks_for_a_transfer(
    demo_db: Database, tmp_path: Path
) -> None:
    from models.payments import SepaMandate

    with demo_db.write() as session:
        client_id = session.scalar(select(Client.id).where(Client.code == "RHON001"))
        for mandate in session.scalars(
            select(SepaMandate).where(SepaMandate.client_id == client_id)
        ):
            mandate.status = "revoked"
    text = _text(render_invoice_pdf(_doc(demo_db, "RHON001")), tmp_path)
    assert "Mode de règlement : Virement SEPA" in text and f"IBAN {FIRM_IBAN}" in text
    assert "mandat (RUM)" not in text


# --- 3. a copropriété with a SIREN ----------------------------------------------------------


def test_copropriete_siren_on_the_invoice_and_in_bt47(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.read() as session:
        sirens = dict(
            session.execute(
                select(Client.code, Client.siren).where(Client.kind == "condominium")
            ).all()
        )
    with_siren = {code: s for code, s in sirens.items() if s}
    assert with_siren == {"PARC001": "901456723", "CARR001": "839204179"}
    assert all(stdnum_siren.is_valid(s) for s in with_siren.values())
    assert len(sirens) - len(with_siren) == 5  # the others have none: nothing printed

    doc = _doc(demo_db, "PARC001")
    assert doc.buyer.siren == "901456723" and not doc.buyer.professional
    pdf = render_facturx(doc)
    text = _text(pdf, tmp_path)
    assert "SIREN 901456723" in text
    assert "40 €" not in text and "taux légal" in text  # still a non-professional debtor
    xml = extract_xml(pdf)
    buyer = etree.fromstring(xml).find(".//ram:BuyerTradeParty", NS)
    org_id = buyer.find("ram:SpecifiedLegalOrganization/ram:ID", NS)
    assert org_id is not None and org_id.text == "901456723" and org_id.get("schemeID") == "0002"
    assert [f for f in validate_xml(xml) if f.fatal] == []

    other = etree.fromstring(build_cii_xml(_doc(demo_db, "JARD001")))
    assert other.find(".//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization", NS) is None


# --- the ECB setting ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("01/07/2026", D(2026, 7, 1)), ("2027-01-01", D(2027, 1, 1)), ("", None)],
)
def test_ecb_date_is_the_first_day_of_a_half_year(typed: str, expected: D | None) -> None:
    form = CompanyForm(name="X", street="1 rue A", postcode="69001", city="Lyon")
    form.siren = "732829320"
    form.ecb_rate, form.ecb_rate_date = "2,15", typed
    values = validate(form)
    assert values["ecb_rate"] == Decimal("2.15") and values["ecb_rate_date"] == expected


@pytest.mark.parametrize(
    ("rate", "day", "message"),
    [
        ("2.15", "15/03/2026", "premier jour du semestre"),
        ("2.15", "31/02/2026", "n'est pas une date"),
        ("-1", "", "ne peut être négatif"),
        ("215", "", "taux annuel en %"),
    ],
)
def test_ecb_setting_refuses_what_an_accountant_would(rate: str, day: str, message: str) -> None:
    form = CompanyForm(name="X", street="1 rue A", postcode="69001", city="Lyon")
    form.siren = "732829320"
    form.ecb_rate, form.ecb_rate_date = rate, day
    with pytest.raises(ValidationErrors) as info:
        validate(form)
    [error] = info.value.errors
    assert error.field in ("Taux BCE (refinancement)", "Date du taux BCE")
    assert message in str(error)


def test_ecb_setting_round_trips_through_the_settings_form(demo_db: Database) -> None:
    with demo_db.read() as session:
        form = form_from_company(session.get(CompanySettings, 1))
    assert (form.ecb_rate, form.ecb_rate_date) == ("2,15", "01/07/2026")  # French, as typed
    form.ecb_rate, form.ecb_rate_date = "2.4", "01/01/2027"
    with demo_db.write() as session:
        save_company(session, form)
    with demo_db.read() as session:
        company = session.get(CompanySettings, 1)
        assert (company.ecb_rate, company.ecb_rate_date) == (Decimal("2.4"), D(2027, 1, 1))
        client = session.scalar(select(Client).where(Client.code == "MAIR001"))
        assert penalty_rate(session, client) == Decimal("10.4")


def test_cover_letter_of_a_cheque_payer_still_offers_the_firm_iban(demo_db: Database) -> None:
    from docx import Document

    from app.documents.printing import cover_letter

    with demo_db.read() as session:
        data = cover_letter(session, _last_invoice(session, "ASSU001").id)
    body = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "par virement sur le compte IBAN FR7630004001230001234567843." in body


def test_periodic_invoice_says_why_its_due_date_is_earlier_than_the_terms(
    demo_db: Database, tmp_path: Path
) -> None:
    """« 45 jours fin de mois » from 31/08 would be 31/10; a month-end (periodic) invoice is
    due 45 days after issue at most: 15/10, and the printed terms say so."""
    doc = _doc(demo_db, "RHON001")
    assert (doc.issue_date, doc.due_date) == (dt.date(2026, 8, 31), dt.date(2026, 10, 15))
    text = " ".join(_text(render_invoice_pdf(doc), tmp_path).split())
    assert (
        "Échéance : 15/10/2026 (45 jours fin de mois, ramené à 45 jours après émission pour "
        "une facture périodique, art. L441-10 C. com.)." in text
    )
