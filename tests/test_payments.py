"""Scenario: an invoice paid in two parts (cheque then transfer), receipt, remittance slip."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app import numbering
from app.errors import StateError, ValidationError, ValidationErrors
from app.ledger import client_ledger
from app.payments import outstanding
from app.payments.allocation import allocate, undo_allocation
from app.payments.allocation_rules import AllocationLine
from app.payments.balance import payment_ledger_rows
from app.payments.entry import PaymentForm, open_items, payment_unallocated, record_payment
from app.payments.receipts import receipt_pdf
from app.payments.remittance import cheques_to_remit, create_remittance, remittance_pdf
from models.clients import Client
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.payments import Allocation

E = Decimal
D = dt.date


def make_client(session: Session, code: str = "DUPO", name: str = "Dupont Industrie") -> Client:
    client = Client(
        code=code, name=name, street="12 rue des Lilas", postcode="69003", city="Lyon",
        payment_means="cheque",
    )  # fmt: skip
    session.add(client)
    session.flush()
    return client


def issue_invoice(
    session: Session, client: Client, ttc: str, day: dt.date, *, kind: str = InvoiceKind.INVOICE
) -> Invoice:
    """An issued invoice as the billing module leaves it (number taken in its series)."""
    series = "credit_note" if kind == InvoiceKind.CREDIT_NOTE else "invoice"
    number = numbering.next_number(session, series, day)
    total = E(ttc)
    ht = (total / E("1.2")).quantize(E("0.01"))
    invoice = Invoice(
        kind=kind, status=InvoiceStatus.ISSUED, series_code=series, number=number.text,
        issue_date=day, due_date=day + dt.timedelta(days=30), client_id=client.id,
        total_ht=ht, total_vat=total - ht, total_ttc=total, amount_due=total,
    )  # fmt: skip
    session.add(invoice)
    session.flush()
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
