"""Provisional invoicing and validation (« facturation provisoire – validation »).

A month-end run creates drafts; before issuing, the accountant reviews them with the month
control (:mod:`app.control.month`), corrects a draft by adding or removing free lines (an
extra service, a commercial gesture: the contract lines billed by the run stay, since the
billing ledger records them), re-computes the month (drafts of the period deleted, run
again: only what is not yet issued is billed again) and issues all or part of the drafts
(``app.billing.issuing.issue_invoices`` on the selected ids).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.billing.invoices import DraftLine, LineResolver, apply_totals, delete_draft_invoice
from app.billing.runs import RunResult, period_drafts, run_month
from app.control.month import period_bounds
from app.errors import StateError, ValidationError
from app.money import format_amount
from app.progress import Progress
from models.billing import BillingLedger
from models.invoices import Invoice, InvoiceLine


def _draft(session: Session, invoice_id: int) -> Invoice:
    from app.billing.invoices import get_invoice

    invoice = get_invoice(session, invoice_id)
    if invoice.is_issued:
        raise StateError(
            "La facture {number} est émise : établissez un avoir.", number=invoice.number
        )
    return invoice


def add_draft_line(session: Session, invoice_id: int, line: DraftLine) -> Invoice:
    """Add a free line (not in the billing ledger) to a draft, e.g. from a month-end run."""
    invoice = _draft(session, invoice_id)
    if line.contract_line_id is not None:
        raise ValidationError(
            "Ligne", "{field} : une ligne de contrat se facture par la facturation du mois."
        )
    position = max((il.position for il in invoice.lines), default=0) + 1
    row = LineResolver(session).row(line, position)
    before = invoice.total_ht
    added = InvoiceLine(**row)
    invoice.lines.append(added)
    apply_totals(invoice)
    session.flush()
    audit.record(
        session,
        "invoice",
        invoice.id,
        "update",
        f"Facture provisoire corrigée : ligne « {added.description} » ajoutée "
        f"({format_amount(added.total_ht)} HT)",
        client_id=invoice.client_id,
        changes={"total_ht": (before, invoice.total_ht)},
    )
    return invoice


def remove_draft_line(session: Session, invoice_id: int, line_id: int) -> Invoice:
    """Remove a free line of a draft (contract lines: delete the draft and re-compute)."""
    invoice = _draft(session, invoice_id)
    line = next((il for il in invoice.lines if il.id == line_id), None)
    if line is None:
        raise ValidationError("Ligne", "{field} : ligne introuvable dans ce brouillon.")
    in_ledger = session.scalar(
        select(BillingLedger.id).where(BillingLedger.invoice_line_id == line_id)
    )
    if in_ledger is not None:
        raise StateError(
            "Cette ligne vient du contrat : supprimez le brouillon et relancez la facturation."
        )
    if len(invoice.lines) == 1:
        raise ValidationError("Lignes", "Une facture doit comporter au moins une ligne.")
    before = invoice.total_ht
    invoice.lines.remove(line)
    apply_totals(invoice)
    session.flush()
    audit.record(
        session,
        "invoice",
        invoice.id,
        "update",
        f"Facture provisoire corrigée : ligne « {line.description} » retirée",
        client_id=invoice.client_id,
        changes={"total_ht": (before, invoice.total_ht)},
    )
    return invoice


def recompute_period(
    session: Session, period: str, *, progress: Progress | None = None
) -> RunResult:
    """Delete the drafts of the runs of ``period`` and run the month again.

    Issued invoices are untouched: their periods stay in the ledger, so a partially issued
    month is completed, never billed twice. Drafts of blocked clients are re-computed too.
    """
    first, _last = period_bounds(period)
    period = f"{first:%Y-%m}"
    for invoice_id in period_drafts(session, period, include_blocked=True):
        delete_draft_invoice(session, invoice_id)
    session.flush()
    return run_month(session, period, progress=progress)
