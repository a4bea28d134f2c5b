"""New pre-notifications of SEPA direct debits (issue N §4).

The invoice of a direct-debit client announces the date it will be collected on
(:func:`app.payments.sepa_mandates.planned_collection_date`). A debit on any other date —
an invoice collected later, a debit presented again after a reject — needs a new
pre-notification to the client, sent at least the pre-notification delay before: it is
recorded here, and a batch only collects an invoice on the date last announced; otherwise
the invoice is left out of the batch with the reason (:func:`app.payments.sepa.candidates`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, clock
from app.company import get_company
from app.errors import NotFoundError, ValidationError
from app.money import format_amount
from app.payments.sepa_mandates import planned_collection_date, usable_mandate
from app.payments.sepa_rules import is_target_day, prenotification_text
from app.receivables import open_amount
from app.users import require
from models.invoices import Invoice, InvoiceStatus
from models.payments import SepaPrenotification


def renotified_dates(session: Session) -> dict[int, dt.date]:
    """Invoice id → the date of its latest new pre-notification."""
    rows = session.execute(
        select(SepaPrenotification.invoice_id, SepaPrenotification.collection_date).order_by(
            SepaPrenotification.id
        )
    )
    return dict(rows.all())


def announced_date(session: Session, invoice: Invoice) -> dt.date:
    """The collection date the client was told: the latest new pre-notification, else the
    date printed on the invoice (:func:`planned_collection_date`)."""
    return renotified_dates(session).get(invoice.id) or planned_collection_date(session, invoice)


def renotify(
    session: Session,
    invoice_ids: list[int],
    collection_date: dt.date,
    notified_on: dt.date | None = None,
) -> list[str]:
    """Record a new pre-notification of each invoice for ``collection_date`` (sent to the
    client on ``notified_on``, today by default) and return its text, to send. The delay of
    pre-notification applies as on the invoice; the date must be a TARGET2 business day."""
    require(session, "payments")
    notified_on = notified_on or clock.today()
    days = get_company(session).sepa_prenotification_days
    if not is_target_day(collection_date):
        raise ValidationError(
            "Date de prélèvement",
            "Le {date} n'est pas un jour ouvré TARGET2 : choisissez un autre jour.",
            date=f"{collection_date:%d/%m/%Y}",
        )
    if notified_on + dt.timedelta(days=days) > collection_date:
        raise ValidationError(
            "Date de prélèvement",
            "Préavis insuffisant : une pré-notification envoyée le {sent} permet de prélever "
            "à partir du {earliest} ({days} jours).",
            sent=f"{notified_on:%d/%m/%Y}",
            earliest=f"{notified_on + dt.timedelta(days=days):%d/%m/%Y}",
            days=days,
        )
    ics = get_company(session).sepa_creditor_id
    texts = []
    for invoice_id in invoice_ids:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.status not in InvoiceStatus.RECEIVABLE:
            raise NotFoundError("Facture émise introuvable (n° interne {id}).", id=invoice_id)
        mandate = usable_mandate(session, invoice.client_id, collection_date)
        if mandate is None:
            raise ValidationError(
                "Mandat", "{number} : aucun mandat SEPA valide.", number=invoice.number
            )
        amount = open_amount(session, invoice)
        session.add(
            SepaPrenotification(
                invoice_id=invoice.id,
                collection_date=collection_date,
                notified_on=notified_on,
                amount=amount,
            )
        )
        text = prenotification_text(format_amount(amount), collection_date, mandate.rum, ics)
        audit.record(
            session,
            "invoice",
            invoice.id,
            "prenotification",
            f"Nouvelle pré-notification de {invoice.number} : {text}",
            client_id=invoice.client_id,
        )
        texts.append(f"{invoice.number} : {text}")
    session.flush()
    return texts
