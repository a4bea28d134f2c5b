"""Demo step run after the fixed story (which ends on 31 August 2026): the firm goes on living
up to the month before ``as_of``, so that whoever opens the demo in any month sees last month
billed and this month to bill.

Month after month from September 2026: tacit renewals reached, revisions due with a published
index applied, the month run and issued through the real billing engine (dated its last day),
then its payments — direct debits collected on the dates pre-notified, cheques (remitted the
next month) and transfers around the due date; a few invoices stay unpaid or half paid, so
that the dunning and the dashboard have something to show. Deterministic for a given
``as_of`` (its own seeded random generator, fixed instants).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.billing.plan import add_months
from app.billing.runs import issue_period, run_month
from app.demo import DemoContext, office
from app.demo.payments import pay_invoice
from app.errors import PropreoError
from app.lookup import get_row
from app.money import ZERO, round_money
from app.payments.remittance import cheques_to_remit, create_remittance
from app.payments.sepa import candidates, create_batches, planned_collection_date
from app.payments.sepa_bank import confirm_batch
from app.receivables import open_amount
from models.clients import Client
from models.invoices import Invoice, InvoiceKind, InvoiceStatus

FIRST_MONTH = dt.date(2026, 9, 1)


def months_to_bill(as_of: dt.date) -> list[dt.date]:
    """First days of the months from September 2026 to the month before ``as_of``."""
    months, cursor, stop = [], FIRST_MONTH, as_of.replace(day=1)
    while cursor < stop:
        months.append(cursor)
        cursor = add_months(cursor, 1)
    return months


def load(session: Session, ctx: DemoContext, as_of: dt.date) -> None:
    months = months_to_bill(as_of)
    rng = random.Random(f"propreo-demo-{as_of:%Y-%m}")
    for month in months:
        month_end = add_months(month, 1) - dt.timedelta(days=1)
        instant = dt.datetime.combine(month_end, dt.time(18), tzinfo=dt.UTC)
        with clock.pinned(month_end), clock.frozen_now(instant):
            _contracts_move_on(session, month)
            period = f"{month:%Y-%m}"
            run_month(session, period, issue_date=month_end)
            issue_period(session, period, include_blocked=True)
    # The last day before as_of: what has been paid by then, the office's recent days.
    last = as_of - dt.timedelta(days=1)
    with (
        clock.pinned(last),
        clock.frozen_now(dt.datetime.combine(last, dt.time(18), tzinfo=dt.UTC)),
    ):
        if months:
            _payments(session, rng, months[0], last)
            _remittances(session, last)
        office.load(session, ctx, as_of, rng)
    session.flush()


def _contracts_move_on(session: Session, month: dt.date) -> None:
    """What the office does before the run: tacit renewals, revisions with their index."""
    from app.revisions.renewals import apply_tacit_renewals
    from app.revisions.runs import apply_revision, due_revisions

    apply_tacit_renewals(session, month)
    for due in due_revisions(session, month, today=month):
        if not due.ready:
            continue
        try:
            with session.begin_nested():
                apply_revision(session, due.contract_id, today=month)
        except PropreoError:  # an index not published yet: the revision waits, as in life
            continue


def _fate(rng: random.Random) -> str:
    roll = rng.random()
    return "unpaid" if roll < 0.07 else "partial" if roll < 0.12 else "paid"


def _payments(session: Session, rng: random.Random, first: dt.date, last: dt.date) -> None:
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.status == InvoiceStatus.ISSUED,
                Invoice.kind == InvoiceKind.INVOICE,
                Invoice.issue_date >= first,
            )
            .order_by(Invoice.issue_date, Invoice.id)
        )
    )
    clients = {c.id: c for c in session.scalars(select(Client))}
    events: list[tuple[dt.date, int, int, Decimal]] = []
    sepa_days = set()
    for invoice in invoices:
        client = clients[invoice.client_id]
        if client.payment_means == "direct_debit":
            sepa_days.add(planned_collection_date(session, invoice))
            continue
        fate = _fate(rng)
        due = invoice.due_date or invoice.issue_date
        day = max(invoice.issue_date, due + dt.timedelta(days=rng.randrange(-10, 15)))
        if fate == "unpaid" or day > last:
            continue
        events.append((day, 1, invoice.id, Decimal("0.5") if fate == "partial" else Decimal(1)))
    events += [(day, 0, 0, ZERO) for day in sepa_days if day <= last]
    events.sort()
    for day, kind, invoice_id, share in events:
        if kind == 0:
            if any(not c.problem for c in candidates(session, day)):
                for batch in create_batches(session, day, created_on=day - dt.timedelta(days=5)):
                    confirm_batch(session, batch.id, day)
            continue
        invoice = get_row(session, Invoice, invoice_id, "Facture")
        amount = round_money(open_amount(session, invoice) * share)
        if amount <= ZERO:
            continue
        pay_invoice(session, rng, clients[invoice.client_id], invoice, day, amount)


def _remittances(session: Session, last: dt.date) -> None:
    """One slip per month for the cheques received; the current month's wait for the bank."""
    pending = cheques_to_remit(session)
    months = sorted({(c.date.year, c.date.month) for c in pending if c.date < last.replace(day=1)})
    for year, month in months:
        ids = [c.payment_id for c in pending if (c.date.year, c.date.month) == (year, month)]
        day = max(c.date for c in pending if c.payment_id in ids) + dt.timedelta(days=1)
        create_remittance(session, ids, min(day, last))
