"""Receipt of a payment: gather plain values, render the PDF (outside any write)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from app.company import get_company
from app.lookup import get_row
from app.money import format_amount
from app.receivables import payment_unallocated
from models.clients import Client
from models.company import CompanySettings
from models.invoices import Invoice
from models.payments import Payment, PaymentMeans, PaymentStatus
from reports.receipt_pdf import Issuer, ReceiptAllocation, ReceiptData, render_receipt


def issuer_of(company: CompanySettings) -> Issuer:
    town = " ".join(p for p in (company.postcode, company.city) if p)
    address = tuple(line for line in (company.street, company.street2, town) if line)
    capital = format_amount(company.share_capital) if company.share_capital else ""
    parts = [
        f"{company.legal_form} au capital de {capital}" if capital else company.legal_form,
        f"SIREN {company.siren}" if company.siren else "",
        f"RCS {company.rcs_city}" if company.rcs_city else "",
        f"TVA {company.vat_number}" if company.vat_number else "",
    ]
    return Issuer(
        name=company.name,
        address_lines=address,
        legal_line=" — ".join(p for p in parts if p),
        iban=company.iban,
        bic=company.bic,
        bank_name=company.bank_name,
    )


def receipt_data(session: Session, payment_id: int) -> ReceiptData:
    payment = get_row(session, Payment, payment_id, "Règlement")
    client = get_row(session, Client, payment.client_id, "Client")
    company = get_company(session)
    allocations = []
    for a in payment.allocations:
        if a.undone_at is not None:
            continue
        invoice = get_row(session, Invoice, a.invoice_id, "Facture")
        allocations.append(
            ReceiptAllocation(invoice.number or "", invoice.issue_date, invoice.total_ttc, a.amount)
        )
    town = " ".join(p for p in (client.postcode, client.city) if p)
    cheque = ""
    if payment.means == PaymentMeans.CHEQUE:
        cheque = f"n° {payment.cheque_number} — {payment.cheque_bank}"
        if payment.drawer:
            cheque += f" — tireur : {payment.drawer}"
    note = ""
    if payment.status == PaymentStatus.REJECTED and payment.rejected_on:
        note = (
            f"Règlement rejeté par la banque le {payment.rejected_on.strftime('%d/%m/%Y')} : "
            f"{payment.reject_reason}. Ce reçu est sans effet."
        )
    return ReceiptData(
        issuer=issuer_of(company),
        number=payment.number,
        date=payment.date,
        client_name=client.name,
        client_address=tuple(line for line in (client.street, client.street2, town) if line),
        client_code=client.code,
        means=PaymentMeans.LABELS.get(payment.means, payment.means),
        amount=payment.amount,
        reference=payment.reference,
        cheque=cheque,
        allocations=tuple(allocations),
        unallocated=max(payment_unallocated(payment), Decimal("0.00")),
        status_note=note,
        place=company.city,
    )


def receipt_pdf(session: Session, payment_id: int) -> bytes:
    """The receipt's PDF bytes (a read: call it from ``db.read()``)."""
    return render_receipt(receipt_data(session, payment_id))
