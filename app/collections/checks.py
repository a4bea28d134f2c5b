"""``propreo check`` controls of the reminders: each one agrees with its invoices (principal,
penalties), claims the 40 € indemnity only from professional debtors, and cites issued
invoices of its own client."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.check import register_check
from app.collections.dunning import INDEMNITY
from app.money import ZERO
from models.clients import Client
from models.collections import Reminder
from models.invoices import Invoice, InvoiceStatus


@register_check("Relances")
def check_reminders(session: Session) -> list[str]:
    problems: list[str] = []
    for r in session.scalars(select(Reminder).options(selectinload(Reminder.items))):
        client = session.get(Client, r.client_id)
        name = f"Relance n° {r.id} ({client.name if client else '?'}, {r.sent_on:%d/%m/%Y})"
        if not r.items:
            problems.append(f"{name} : aucune facture citée")
        principal = sum((i.open_amount for i in r.items), ZERO)
        if principal != r.total_due:
            problems.append(f"{name} : principal {r.total_due} ≠ Σ factures {principal}")
        penalties = sum((i.penalty for i in r.items), ZERO)
        if r.penalty not in (ZERO, penalties):
            problems.append(f"{name} : pénalités {r.penalty} ≠ Σ factures {penalties}")
        if client is not None and not client.is_professional and r.indemnity != ZERO:
            problems.append(f"{name} : indemnité de 40 € réclamée à un débiteur non professionnel")
        if r.indemnity not in (ZERO, INDEMNITY * len(r.items)):
            problems.append(f"{name} : indemnité {r.indemnity} ≠ 40 € × {len(r.items)} facture(s)")
        for item in r.items:
            invoice = session.get(Invoice, item.invoice_id)
            if (
                invoice is None
                or invoice.client_id != r.client_id
                or invoice.status not in InvoiceStatus.RECEIVABLE
            ):
                problems.append(
                    f"{name} : facture n° {item.invoice_id} d'un autre client ou non émise"
                )
    return problems
