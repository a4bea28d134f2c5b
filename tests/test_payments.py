"""Scenario: an invoice paid in two parts (cheque then transfer), receipt, remittance slip."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.errors import StateError, ValidationError, ValidationErrors
from app.ledger import client_ledger, outstanding
from app.money import round_money, vat_amount
from app.payments.allocation import allocate, undo_allocation
from app.payments.allocation_rules import AllocationLine
from app.payments.balance import payment_ledger_rows
from app.payments.entry import PaymentForm, record_payment
from app.payments.receipts import receipt_pdf
from app.payments.remittance import cheques_to_remit, create_remittance, remittance_pdf
from app.receivables import open_items, payment_unallocated
from models.clients import Client
from models.invoices import Invoice
from models.payments import Allocation

E = Decimal
D = dt.date


def make_client(session: Session, code: str = "DUPO", name: str = "Dupont Industrie") -> Client:
    client = Client(
        code=code, name=name, street="12 rue des Lilas", postcode="69003", city="Lyon",
        payment_means="cheque", siren="732829304",
    )  # fmt: skip
    session.add(client)
    session.flush()
    return client


def issue_invoice(session: Session, client: Client, ttc: str, day: dt.date) -> Invoice:
    """An invoice made and issued by the billing module (net 30 days: due 30 days later)."""
    from app.billing.invoices import DraftLine, create_draft_invoice
    from app.billing.issuing import issue_invoices

    total = E(ttc)
    ht = round_money(total / E("1.2"))
    assert ht + vat_amount(ht, E(20)) == total, "choose a TTC that a 20 % VAT base gives exactly"
    invoice = create_draft_invoice(
        session, client.id,
        [DraftLine(description="Nettoyage des bureaux", quantity="1", unit_price=ht)],
        issue_date=day,
    )  # fmt: skip
    issue_invoices(session, [invoice.id])
    assert invoice.total_ttc == total and invoice.due_date == day + dt.timedelta(days=30)
    return invoice


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_invoice_paid_by_cheque_then_transfer(session: Session, company: object) -> None:
    client = make_client(session)
    invoice = issue_invoice(session, client, "1440.00", D(2026, 3, 31))
    assert outstanding(session, client.id) == E("1440.00")

    cheque = record_payment(
        session,
        PaymentForm(
            client_id=client.id, date=D(2026, 4, 15), means="cheque", amount="1 000,00",
            cheque_bank="Crédit Agricole", cheque_number="4412078",
        ),
    )  # fmt: skip
    assert cheque.number == "RG2026-00001"
    assert [(a.invoice_id, a.amount) for a in cheque.allocations] == [(invoice.id, E("1000.00"))]
    assert open_items(session, client.id)[0].open_amount == E("440.00")
    assert cheque.allocations[0].letter == ""  # partially paid: not matched yet

    transfer = record_payment(
        session,
        PaymentForm(
            client_id=client.id, date=D(2026, 4, 30), means="transfer", amount="440.00",
            reference="VIR DUPONT AVRIL",
        ),
    )  # fmt: skip
    assert transfer.number == "RG2026-00002"
    assert open_items(session, client.id) == []
    assert outstanding(session, client.id) == E("0.00")
    letters = {a.letter for a in session.query(Allocation).filter_by(invoice_id=invoice.id)}
    assert letters == {"A"}  # both payments and the invoice share one matching letter

    pdf = receipt_pdf(session, cheque.id)
    assert b"DejaVuSans" in pdf and b"Helvetica" not in pdf
    text = pdf_text(pdf)
    assert "Reçu de règlement n° RG2026-00001" in text
    assert "Dupont Industrie" in text
    assert "1 000,00" in text and "Chèque" in text and "4412078" in text
    assert invoice.number in text and "1 440,00" in text

    rows = payment_ledger_rows(session, client.id)
    assert [(r.reference, r.credit, "(lettre A)" in r.label) for r in rows] == [
        ("RG2026-00001", E("1000.00"), True),
        ("RG2026-00002", E("440.00"), True),
    ]
    ledger = client_ledger(session, client.id)
    assert [r.reference for r in ledger if r.kind == "payment"] == ["RG2026-00001", "RG2026-00002"]
    assert ledger[-1].balance == E("0.00")

    # The cheque goes on a remittance slip; it cannot be remitted twice.
    assert [c.payment_id for c in cheques_to_remit(session)] == [cheque.id]
    slip = create_remittance(session, [cheque.id], D(2026, 4, 16))
    assert (slip.reference, slip.count, slip.total) == ("RC2026-0001", 1, E("1000.00"))
    assert cheques_to_remit(session) == []
    with pytest.raises(ValidationError):
        create_remittance(session, [cheque.id], D(2026, 4, 17))
    text = pdf_text(remittance_pdf(session, slip.id))
    assert "Bordereau de remise de chèques" in text
    assert "Nombre de chèques" in text and "4412078" in text and "1 000,00" in text
    assert "Dupont Industrie" in text


def test_credit_undo_and_manual_allocation(session: Session, company: object) -> None:
    client = make_client(session)
    first = issue_invoice(session, client, "100.00", D(2026, 1, 31))
    second = issue_invoice(session, client, "250.00", D(2026, 2, 28))
    payment = record_payment(
        session,
        PaymentForm(client_id=client.id, date=D(2026, 3, 5), means="transfer", amount="400"),
    )
    assert [a.amount for a in payment.allocations] == [E("100.00"), E("250.00")]
    assert payment_unallocated(payment) == E("50.00")  # overpayment kept as credit
    assert outstanding(session, client.id) == E("-50.00")

    # Undo the allocation on the second invoice: the invoice is open again, the money is credit.
    allocation = payment.allocations[1]
    undo_allocation(session, allocation.id, "Erreur d'imputation")
    assert allocation.undone_at is not None and allocation.undo_reason == "Erreur d'imputation"
    assert allocation.letter == ""
    assert [i.invoice_id for i in open_items(session, client.id)] == [second.id]
    assert payment_unallocated(payment) == E("300.00")
    with pytest.raises(StateError):
        undo_allocation(session, allocation.id, "encore")
    with pytest.raises(ValidationError, match="dépasse son solde"):
        allocate(session, payment.id, [AllocationLine(second.id, E("260.00"))])
    allocate(session, payment.id, [AllocationLine(second.id, E("250.00"))])
    assert open_items(session, client.id) == []
    assert outstanding(session, client.id) == E("-50.00")
    # The account inquiry (and the billing run's credit-limit control) sees the same encours.
    from app.ledger import outstanding as ledger_outstanding

    assert ledger_outstanding(session, client.id) == E("-50.00")
    assert first.id != second.id


def test_rounding_difference_is_written_off_explicitly(session: Session, company: object) -> None:
    client = make_client(session)
    issue_invoice(session, client, "100.03", D(2026, 1, 31))
    payment = record_payment(
        session,
        PaymentForm(client_id=client.id, date=D(2026, 2, 5), means="transfer", amount="100.00"),
        tolerance=E("0.05"),
    )
    assert payment.allocations[0].writeoff == E("0.03")
    assert open_items(session, client.id) == []
    assert outstanding(session, client.id) == E("0.00")
    kinds = [r.kind for r in payment_ledger_rows(session, client.id)]
    assert kinds == ["payment", "adjustment"]


def test_entry_errors_name_the_field(session: Session, company: object) -> None:
    client = make_client(session)
    with pytest.raises(ValidationErrors) as exc:
        record_payment(
            session,
            PaymentForm(client_id=client.id, date=D(2026, 2, 5), means="cheque", amount="-3"),
        )
    assert set(exc.value.fields) >= {"Montant", "N° de chèque", "Banque du chèque"}


def test_fec_bank_entries_matched_to_the_invoice(
    session: Session, company: object, tmp_path: Path
) -> None:
    from app.documents.accounting import export_fec

    client = make_client(session)
    invoice = issue_invoice(session, client, "1440.00", D(2026, 3, 31))
    for day, means, amount in (
        (D(2026, 4, 15), "cheque", "1000"),
        (D(2026, 4, 30), "transfer", "440"),
    ):
        record_payment(
            session,
            PaymentForm(client_id=client.id, date=day, means=means, amount=amount,
                        cheque_bank="LCL", cheque_number="77"),
        )  # fmt: skip
    fec = export_fec(session, 2026, tmp_path)
    rows = [
        dict(zip(header, line.split("\t"), strict=True))
        for header in [fec.path.read_text("iso-8859-15").splitlines()[0].split("\t")]
        for line in fec.path.read_text("iso-8859-15").splitlines()[1:]
    ]
    bank = [
        (r["CompteNum"], r["Debit"], r["PieceRef"])
        for r in rows
        if r["JournalCode"] == "BQ" and r["CompteNum"] == "512000"
    ]
    assert bank == [("512000", "1000,00", "RG2026-00001"), ("512000", "440,00", "RG2026-00002")]
    client_lines = [
        (r["JournalCode"], r["Debit"], r["Credit"], r["EcritureLet"], r["DateLet"], r["CompAuxNum"])
        for r in rows
        if r["CompteNum"] == "411000"
    ]
    assert client_lines == [
        ("VT", "1440,00", "0,00", "A", "20260430", "411DUPO"),
        ("BQ", "0,00", "1000,00", "A", "20260430", "411DUPO"),
        ("BQ", "0,00", "440,00", "A", "20260430", "411DUPO"),
    ]
    # VAT on payment: the 240,00 of VAT moves from 44574 to 44571 as the invoice is paid.
    od = [(r["CompteNum"], r["Debit"], r["Credit"]) for r in rows if r["JournalCode"] == "OD"]
    assert od == [
        ("445740", "166,67", "0,00"), ("445710", "0,00", "166,67"),
        ("445740", "73,33", "0,00"), ("445710", "0,00", "73,33"),
    ]  # fmt: skip
    assert invoice.total_vat == E("240.00")
