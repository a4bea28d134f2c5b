"""Services à la personne (SAP): the invoice mentions and the yearly tax certificate.

When the SAP rules apply (docs/DOMAIN.md, « Services à la personne »):
- the firm is declared SAP (declaration number in its settings, frozen in the invoice's
  seller snapshot),
- the client is a private person (:data:`ClientKind.PERSON`; a copropriété, a company or
  a syndic is never a SAP beneficiary),
- the line's article is marked as a SAP service (``Article.sap_service``, frozen on the
  invoice line as ``InvoiceLine.sap``). A 10 % line for works in a dwelling is not SAP.

The invoice then carries the mentions of art. D7233-1 du Code du travail (the firm's
name and address and the client's are in the document already): the declaration number
and date, the nature of the SAP services with their hours and hourly prices (the lines),
the amount of the SAP services, and the tax-credit notice (art. 199 sexdecies du CGI).

Each January the firm sends every such client the yearly tax certificate (art. D7233-4):
the amounts *paid* in the year for SAP services — allocations dated in the year of
payments that went through (not rejected, not undone), the SAP share of each invoice
they settle; cash is not an eligible means of payment (art. D7233-3) and is left out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.documents.mailer import Outgoing, SendReport, deliver, log_outcomes
from app.documents.smtp_settings import config_from
from app.errors import ValidationError
from app.lookup import get_row
from app.money import ZERO, format_amount, round_money
from app.sap_mentions import sap_ttc
from app.storage import write_file
from models.clients import Client, ClientKind
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from models.payments import Allocation, Payment, PaymentMeans, PaymentStatus

ELIGIBLE_MEANS = frozenset(
    {PaymentMeans.TRANSFER, PaymentMeans.CHEQUE, PaymentMeans.CARD, PaymentMeans.DIRECT_DEBIT}
)

# --------------------------------------------------------------------------- certificate


@dataclass
class PaidInvoice:
    number: str
    issue_date: dt.date
    paid_on: dt.date
    amount: Decimal  # SAP share of the amount paid


@dataclass
class Attestation:
    year: int
    client_id: int
    client_code: str
    client_name: str
    address: tuple[str, ...]
    email: str
    invoices: list[PaidInvoice] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.invoices), ZERO)


def check_year(year: Any) -> int:
    try:
        value = int(str(year).strip())
    except ValueError:
        value = 0
    if not 2000 <= value <= clock.today().year:
        raise ValidationError(
            "Année",
            "{field} : une année passée ou en cours (par ex. {last}).",
            last=clock.today().year - 1,
        )
    return value


def attestations(session: Session, year: Any) -> list[Attestation]:
    """Every private client's certificate for ``year`` (none for a firm not declared SAP)."""
    from app.addressing import postal_address
    from app.company import get_company

    year = check_year(year)
    if not get_company(session).sap_declaration_number.strip():
        raise ValidationError(
            "N° de déclaration SAP",
            "La société n'est pas déclarée « services à la personne » : renseignez le {field} "
            "dans les paramètres de la société.",
        )
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    sap_invoices = select(InvoiceLine.invoice_id).where(InvoiceLine.sap)
    rows = session.execute(
        select(Allocation, Payment.means, Invoice)
        .join(Payment, Payment.id == Allocation.payment_id)
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .join(Client, Client.id == Invoice.client_id)
        .where(
            Allocation.date >= start,
            Allocation.date <= end,
            Allocation.undone_at.is_(None),
            Payment.status != PaymentStatus.REJECTED,
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.kind.in_((InvoiceKind.INVOICE, InvoiceKind.DOWN_PAYMENT)),
            Invoice.id.in_(sap_invoices),
            Client.kind == ClientKind.PERSON,
        )
        .options(selectinload(Invoice.lines))
        .order_by(Allocation.date, Allocation.id)
    ).all()
    paid: dict[int, list[PaidInvoice]] = defaultdict(list)
    for allocation, means, invoice in rows:
        if means not in ELIGIBLE_MEANS or not invoice.total_ttc:
            continue
        share = round_money(allocation.amount * sap_ttc(invoice.lines) / invoice.total_ttc)
        if share:
            paid[invoice.client_id].append(
                PaidInvoice(invoice.number or "", invoice.issue_date, allocation.date, share)
            )
    out = []
    for client in session.scalars(
        select(Client).where(Client.id.in_(list(paid))).order_by(Client.code)
    ):
        out.append(
            Attestation(
                year,
                client.id,
                client.code,
                client.name,
                tuple(postal_address(client)),
                client.invoice_email or client.email,
                paid[client.id],
            )
        )
    return out


def attestation_pdf(session: Session, attestation: Attestation) -> bytes:
    from app.company import get_company
    from app.payments.receipts import issuer_of
    from reports.sap_attestation import AttestationData, render_attestation

    company = get_company(session)
    return render_attestation(
        AttestationData(
            issuer=issuer_of(company),
            siren=company.siren,
            declaration=company.sap_declaration_number.strip(),
            declared_on=company.sap_declaration_date,
            year=attestation.year,
            client_name=attestation.client_name,
            client_address=attestation.address,
            client_code=attestation.client_code,
            rows=tuple((p.number, p.issue_date, p.paid_on, p.amount) for p in attestation.invoices),
            total=attestation.total,
            place=company.city,
            signed_on=clock.today(),
        )
    )


def file_name(attestation: Attestation) -> str:
    return f"Attestation_fiscale_{attestation.year}_{attestation.client_code}.pdf"


def write_attestations(session: Session, year: Any, out_dir: Path) -> list[Path]:
    """One PDF per client in ``out_dir``; returns the files written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for attestation in attestations(session, year):
        path = out_dir / file_name(attestation)
        write_file(path, attestation_pdf(session, attestation))
        written.append(path)
    return written


def send_attestations(
    session: Session, year: Any, *, override: str | None = None, retry_delay: float = 1.0
) -> Any:
    """E-mail every certificate of ``year`` (a read session: the PDFs are made, the SMTP
    conversation happens outside any transaction, then the sending log is written)."""
    from app.addressing import display_name
    from app.company import get_company

    config = config_from(session, override)
    company = get_company(session).name
    items = []
    for attestation in attestations(session, year):
        client = get_row(session, Client, attestation.client_id, "Client")
        items.append(
            Outgoing(
                to=attestation.email,
                to_name=display_name(client),
                subject=f"Attestation fiscale {attestation.year} – services à la personne",
                body=(
                    f"Bonjour,\n\nVeuillez trouver ci-joint votre attestation fiscale "
                    f"{attestation.year} : {format_amount(attestation.total)} payés au titre "
                    f"des services à la personne, à joindre à votre déclaration de revenus "
                    f"(crédit d'impôt, art. 199 sexdecies du CGI).\n\nCordialement,\n{company}"
                ),
                attachments=[(file_name(attestation), attestation_pdf(session, attestation))],
                client_id=client.id,
                number=f"Attestation fiscale {attestation.year}",
                doc_type="sap_attestation",
                error="" if attestation.email else "aucune adresse e-mail pour ce client",
            )
        )
    session.rollback()  # release the read transaction before talking to the server
    outcomes = deliver(config, items, retry_delay=retry_delay)
    with session.info["database"].write() as write:
        log_outcomes(write, outcomes)
    return SendReport(outcomes)
