"""Open items: the invoices of the previous software still unpaid at the switch date.

Each becomes an :class:`~models.invoices.Invoice` in status « opening » (« Reprise »):
its original number, dates and amounts, nothing else. It is owed and allocated like an
issued invoice (balance, aged balance, reminders, statements, client account read
``InvoiceStatus.RECEIVABLE``), but it is not a document Propreo issued: no number is taken
in Propreo's series, it is not in the hash chain, the closings, the sales journal of the
FEC (its sale is in the previous software's books) nor sent to a platform.

What was already paid before the switch is ``total_ttc − amount_due`` (kept in
``prepaid_total``): only the rest is owed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, clock, identifiers
from app.billing.states import INVOICE_WORKFLOW
from app.clients import payment_terms
from app.errors import ValidationError
from app.imports.rows import Cells, client_by_code
from app.imports.values import date, number, optional_date
from app.money import ZERO, format_amount, round_money
from app.users import require
from models.invoices import Invoice, InvoiceKind, InvoiceStatus

SERIES = "reprise"


def import_open_item(session: Session, cells: Cells) -> str:
    require(session, "payments")
    client = client_by_code(session, cells.get("client_code", ""), "Code client")
    number_text = identifiers.text(cells.get("number", ""), "N° de facture", 40, True)
    issue = date(cells.get("issue_date", ""), "Date de facture")
    today = clock.today()
    if issue > today:
        raise ValidationError(
            "Date de facture",
            "« {field} » ({value}) est postérieure à la date de reprise.",
            value=f"{issue:%d/%m/%Y}",
        )
    due = optional_date(cells.get("due_date", ""), "Date d'échéance")
    due = due or payment_terms(client).due_date(issue)
    if due < issue:
        raise ValidationError("Date d'échéance", "La {field} précède la date de facture.")
    ttc = round_money(number(cells.get("total_ttc", ""), "Montant TTC"))
    remaining_text = cells.get("remaining", "").strip()
    remaining = round_money(number(remaining_text, "Reste dû")) if remaining_text else ttc
    ht_text = cells.get("total_ht", "").strip()
    ht = round_money(number(ht_text, "Montant HT")) if ht_text else ttc
    if ttc <= ZERO:
        raise ValidationError(
            "Montant TTC",
            "« {field} » doit être positif : un avoir non imputé se reprend comme un "
            "règlement d'avance du client (onglet Règlements).",
        )
    if not ZERO < remaining <= ttc:
        raise ValidationError(
            "Reste dû",
            "Le {field} ({value}) doit être positif et au plus égal au montant TTC.",
            value=format_amount(remaining),
        )
    if not ZERO <= ht <= ttc:
        raise ValidationError("Montant HT", "Le {field} doit être compris entre 0 et le TTC.")
    if session.scalar(select(Invoice.id).where(Invoice.number == number_text)):
        raise ValidationError(
            "N° de facture",
            "La facture n° « {value} » existe déjà dans Propreo.",
            value=number_text,
        )
    invoice = Invoice(
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.DRAFT,
        series_code=SERIES,
        number=number_text,
        issue_date=issue,
        due_date=due,
        client_id=client.id,
        title=identifiers.text(cells.get("title", ""), "Objet", 200) or "Reprise ancien logiciel",
        total_ht=ht,
        total_vat=ttc - ht,
        total_ttc=ttc,
        prepaid_total=ttc - remaining,
        amount_due=remaining,
        payment_means=client.payment_means,
    )
    INVOICE_WORKFLOW.move(invoice, InvoiceStatus.OPENING, ref=number_text)
    session.add(invoice)
    session.flush()
    audit.record(
        session,
        "invoice",
        invoice.id,
        "import",
        f"Facture {number_text} du {issue:%d/%m/%Y} reprise de l'ancien logiciel : "
        f"reste dû {format_amount(remaining)}",
        client_id=client.id,
    )
    return f"{number_text} — {client.code} — reste dû {format_amount(remaining)}"
