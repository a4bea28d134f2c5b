"""Relevé de facturation: per client, or per syndic across its copropriétés, over a period.

Debit = issued invoices and down-payment invoices (TTC); credit = credit notes and
payments received; a rejected payment (unpaid cheque or direct debit) comes back as a debit
on its rejection date. The opening balance sums everything before the period.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.addressing import billing_address_lines, display_name
from app.documents.build import invoice_email, seller_party
from app.documents.mailer import Outgoing, deliver, log_outcomes
from app.documents.smtp_settings import config_from
from app.errors import NotFoundError, ValidationError
from app.lookup import get_row
from app.money import ZERO, format_amount
from app.progress import NO_PROGRESS, Progress
from models.clients import Client, ClientKind
from models.company import CompanySettings
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from reports.statement_pdf import Statement, StatementLine, StatementSection


def _movements(session: Session, client_id: int) -> list[StatementLine]:
    lines: list[StatementLine] = []
    for inv in session.scalars(
        select(Invoice).where(
            Invoice.client_id == client_id, Invoice.status.in_(InvoiceStatus.RECEIVABLE)
        )
    ):
        credit_note = inv.kind == InvoiceKind.CREDIT_NOTE
        period = (
            f"prestations du {inv.period_start:%d/%m/%Y} au {inv.period_end:%d/%m/%Y}"
            if inv.period_start and inv.period_end
            else inv.title
        )
        lines.append(
            StatementLine(
                date=inv.issue_date,
                kind=InvoiceKind.LABELS.get(inv.kind, "Facture"),
                reference=inv.number or "",
                label=period or "",
                debit=ZERO if credit_note else inv.total_ttc,
                credit=inv.total_ttc if credit_note else ZERO,
                due_date=None if credit_note else inv.due_date,
            )
        )
    try:
        from models.payments import Payment
    except ImportError:  # payments not installed: invoices only
        return lines
    means = {
        "transfer": "virement",
        "cheque": "chèque",
        "direct_debit": "prélèvement",
        "card": "carte",
        "cash": "espèces",
        "lcr": "LCR",
    }
    for pay in session.scalars(select(Payment).where(Payment.client_id == client_id)):
        lines.append(
            StatementLine(
                date=pay.date,
                kind="Règlement",
                reference=pay.number,
                label=" ".join(x for x in (means.get(pay.means, pay.means), pay.reference) if x),
                credit=pay.amount,
            )
        )
        if pay.status == "rejected" and pay.rejected_on:
            lines.append(
                StatementLine(
                    date=pay.rejected_on,
                    kind="Impayé",
                    reference=pay.number,
                    label=pay.reject_reason,
                    debit=pay.amount,
                )
            )
    return lines


def client_section(
    session: Session, client: Client, start: dt.date, end: dt.date
) -> StatementSection:
    order = {"Facture d'acompte": 0, "Facture": 0, "Avoir": 1, "Règlement": 2, "Impayé": 3}
    movements = sorted(
        _movements(session, client.id), key=lambda m: (m.date, order.get(m.kind, 4), m.reference)
    )
    opening = sum((m.debit - m.credit for m in movements if m.date < start), ZERO)
    inside = tuple(m for m in movements if start <= m.date <= end)
    return StatementSection(display_name(client), opening, inside)


def build_statement(
    session: Session, client_id: int, start: dt.date, end: dt.date, *, today: dt.date | None = None
) -> Statement:
    """A client's statement; for a syndic, one section per copropriété it manages
    (plus its own account when it has movements)."""
    if end < start:
        raise ValidationError("Période", "La fin de période précède son début.")
    client = session.get(Client, client_id)
    if client is None:
        raise NotFoundError("Client introuvable.")
    company = session.get(CompanySettings, 1)
    if company is None:
        raise NotFoundError("Identité de la société non renseignée (menu Paramètres).")
    sections = []
    if client.kind == ClientKind.MANAGER:
        own = client_section(session, client, start, end)
        if own.lines or own.opening:
            sections.append(own)
        managed = session.scalars(
            select(Client).where(Client.manager_id == client.id).order_by(Client.name)
        )
        for condo in managed:
            section = client_section(session, condo, start, end)
            if section.lines or section.opening:
                sections.append(section)
        if not sections:
            sections.append(StatementSection(display_name(client), ZERO, ()))
    else:
        sections.append(client_section(session, client, start, end))
    return Statement(
        seller=seller_party(company),
        recipient_lines=tuple(billing_address_lines(client)),
        start=start,
        end=end,
        sections=tuple(sections),
        issued_on=today or dt.date.today(),
        logo_png=company.logo_png,
        notes=(company.early_payment_text,),
    )


def statement_pdf(session: Session, client_id: int, start: dt.date, end: dt.date) -> bytes:
    from reports.statement_pdf import render_statement_pdf

    return render_statement_pdf(build_statement(session, client_id, start, end))


def statement_recipient(session: Session, client_id: int) -> str:
    """The invoice address a statement of the client goes to ("" when it has none)."""
    client = session.get(Client, client_id)
    return invoice_email(client) if client is not None else ""


def send_statement(
    session: Session,
    client_id: int,
    start: dt.date,
    end: dt.date,
    progress: Progress = NO_PROGRESS,
    *,
    override: str | None = None,
) -> object:
    """E-mail the statement PDF to the client's invoice address (logged like invoices)."""
    from reports.statement_pdf import render_statement_pdf

    config = config_from(session, override)
    statement = build_statement(session, client_id, start, end)
    client = get_row(session, Client, client_id, "Client")
    to = invoice_email(client)
    company = statement.seller.name
    item = Outgoing(
        to=to,
        to_name=display_name(client),
        subject=f"Relevé de compte au {end:%d/%m/%Y} – {company}",
        body=(
            "Bonjour,\n\nVeuillez trouver ci-joint votre relevé de compte du "
            f"{start:%d/%m/%Y} au {end:%d/%m/%Y}. Solde à cette date : "
            f"{format_amount(statement.balance)}.\n\nCordialement,\n{company}"
        ),
        attachments=[(f"Releve-{client.code}-{end:%Y%m%d}.pdf", render_statement_pdf(statement))],
        client_id=client_id,
        number=f"Relevé {end:%d/%m/%Y}",
        doc_type="statement",
        error="" if to else "aucune adresse e-mail de facturation pour ce client",
    )
    session.rollback()  # release the read transaction before talking to the server
    outcome = deliver(config, [item], progress)[0]
    with session.info["database"].write() as write:
        log_outcomes(write, [outcome])
    return outcome
