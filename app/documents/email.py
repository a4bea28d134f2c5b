"""E-mailing documents, the user's actions: the test e-mail, which documents of a month go
by e-mail, the failed ones to send again, and sending a run of invoices.

The settings are in :mod:`app.documents.smtp_settings`, the message, the delivery and the
sending log in :mod:`app.documents.mailer`. Rendering and SMTP happen outside any write
transaction; each sending row is committed on its own (see :func:`send_invoices`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.mailer import Outcome, Outgoing, SendReport, deliver, log_outcomes, log_row
from app.documents.smtp_settings import (
    SECURITY,
    config_from,
    email_address,
    get_settings,
    render_template,
)
from app.errors import PropreoError
from app.lookup import get_row
from app.money import format_amount
from app.progress import NO_PROGRESS, Progress
from models.clients import Client
from models.company import CompanySettings
from models.documents import DocumentSending, SendStatus
from models.invoices import Invoice, InvoiceKind


class SendingError(PropreoError):
    """The mail server refused or could not be reached."""


def send_test_email(session: Session, to: str, *, override: str | None = None) -> Outcome:
    """« Envoyer un e-mail de test »: checks server, login and sender with a real message."""
    config = config_from(session, override)
    email_address(to, "Destinataire du test")
    item = Outgoing(
        to=to,
        to_name="",
        subject="Propreo – e-mail de test",
        body=(
            "Ceci est un e-mail de test envoyé par Propreo.\n"
            f"Serveur : {config.host}:{config.port} ({SECURITY.get(config.security, '')}).\n"
            "Si vous le recevez, l'envoi des factures par e-mail est opérationnel."
        ),
        number="test",
        doc_type="test",
    )
    outcome = deliver(config, [item], retry_delay=0.2)[0]
    if not outcome.ok:
        raise SendingError("L'e-mail de test n'a pas pu être envoyé : {error}", error=outcome.error)
    return outcome


def email_recipients(session: Session, period: str) -> list[int]:
    """Issued documents of the month whose client is sent its invoices by e-mail — not
    those that leave through the e-invoicing platform or Chorus Pro once one is set up."""
    from app.documents.render import issued_in_period
    from app.einvoicing.routing import platform_clients

    ids = issued_in_period(session, period)
    electronic = platform_clients(session)
    clients = {
        c.id: c
        for c in session.scalars(select(Client).where(Client.sending_mode == "email"))
        if c.id not in electronic
    }
    return [i for i in ids if get_row(session, Invoice, i, "Facture").client_id in clients]


def failed_documents(session: Session, invoice_ids: list[int] | None = None) -> list[int]:
    """Documents whose latest sending attempt failed (for « Renvoyer les échecs »)."""
    latest: dict[int, str] = {}
    query = select(DocumentSending).where(DocumentSending.invoice_id.is_not(None))
    for row in session.scalars(query.order_by(DocumentSending.id)):
        latest[row.invoice_id] = row.status  # type: ignore[index]
    failed = [i for i, status in latest.items() if status == SendStatus.FAILED]
    return [i for i in failed if invoice_ids is None or i in invoice_ids]


def send_invoices(
    session: Session,
    invoice_ids: list[int],
    progress: Progress = NO_PROGRESS,
    *,
    override: str | None = None,
    retry_delay: float = 1.0,
) -> SendReport:
    """E-mail each document's archived Factur-X PDF to its client's invoice address.

    Call with a read session. A document that fails validation is not sent: its log row
    carries the rule and field that blocked it.
    """
    from app.addressing import display_name
    from app.documents.build import invoice_email
    from app.documents.render import render_batch

    config = config_from(session, override)
    settings = get_settings(session)
    subject_t, body_t = settings.subject_template, settings.body_template
    company = session.get(CompanySettings, 1)
    items: dict[int, Outgoing] = {}
    for invoice_id in invoice_ids:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            continue
        client = get_row(session, Client, invoice.client_id, "Client")
        label = InvoiceKind.LABELS.get(invoice.kind, "Facture")
        period = (
            f"du {invoice.period_start:%d/%m/%Y} au {invoice.period_end:%d/%m/%Y}"
            if invoice.period_start and invoice.period_end
            else ""
        )
        values = {
            "type": label,
            "type_lower": label.lower(),
            "number": invoice.number or "",
            "date": f"{invoice.issue_date:%d/%m/%Y}",
            "due_date": f"{invoice.due_date:%d/%m/%Y}" if invoice.due_date else "",
            "amount": format_amount(invoice.total_ttc),
            "amount_due": format_amount(invoice.amount_due),
            "client": display_name(client),
            "period": period,
            "company": company.name if company else "",
            "company_phone": company.phone if company else "",
            "company_email": company.email if company else "",
        }
        to = invoice_email(client)
        items[invoice_id] = Outgoing(
            to=to,
            to_name=display_name(client),
            subject=render_template(subject_t, values),
            body=render_template(body_t, values),
            invoice_id=invoice_id,
            client_id=client.id,
            number=invoice.number or "",
            doc_type=invoice.kind,
            error="" if to else "aucune adresse e-mail de facturation pour ce client",
        )
    batch = render_batch(session, list(items), progress)  # releases the read transaction
    for rendered in batch.documents:
        item = items[rendered.invoice_id]
        if rendered.pdf is None:
            item.error = item.error or f"document non conforme, envoi bloqué : {rendered.error}"
        else:
            item.attachments = [(f"{rendered.number}.pdf", rendered.pdf)]
    database = session.info["database"]
    started: dict[int, int] = {}

    def on_start(item: Outgoing) -> None:  # committed before the message goes
        with database.write() as write:
            row = log_row(write, item, SendStatus.IN_PROGRESS)
            write.flush()
            started[id(item)] = row.id

    def on_done(outcome: Outcome) -> None:  # committed before the next one starts
        with database.write() as write:
            log_outcomes(write, [outcome], started)

    outcomes = deliver(
        config,
        list(items.values()),
        progress,
        retry_delay=retry_delay,
        on_start=on_start,
        on_done=on_done,
    )
    return SendReport(outcomes)
