"""Demo payments: SEPA mandates of the direct-debit clients, payments of most issued
invoices (cheques, transfers, monthly direct-debit batches; a few partial, a few unpaid for
dunning), monthly cheque remittance slips, and a down-payment on an accepted TC quote.

Deterministic: the shared seeded RNG and fixed dates. Payments are numbered in date order
(the "payment" series is chronological), so every event is gathered first, then replayed.

SEPA: a batch on each date the invoices pre-notified (their due date, or issue date + 14
days when sooner, on a TARGET2 business day), prepared five days before and confirmed by
the bank. Each mandate's first collection is a FRST. In August 2026 one client changes bank
and signs a new mandate, so the next export opens with a FRST for it while the other
mandates are RCUR.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo import HISTORY_END
from app.lookup import get_row
from app.money import ZERO, round_money
from app.payments.allocation_rules import AllocationLine
from app.payments.entry import PaymentForm, record_payment
from app.payments.remittance import cheques_to_remit, create_remittance
from app.payments.sepa import (
    MandateForm,
    candidates,
    create_batches,
    planned_collection_date,
    revoke_mandate,
    save_mandate,
    suggest_rum,
)
from app.payments.sepa_bank import confirm_batch
from app.receivables import open_amount
from models.clients import Client
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.payments import MandateStatus, SepaMandate

BANKS = ["Crédit Agricole", "LCL", "Société Générale", "BNP Paribas", "Caisse d'Épargne", "CIC"]
START = dt.date(2026, 1, 1)


def _bic(iban: str) -> str:
    from schwifty import IBAN

    try:
        bic = IBAN(iban).bic
    except Exception:  # unknown bank code in the registry: BIC is optional in pain.008
        return ""
    return bic.compact if bic else ""


def _mandates(session: Session, ctx: Any) -> int:
    count = 0
    for client in session.scalars(
        select(Client).where(Client.payment_means == "direct_debit").order_by(Client.id)
    ):
        if not client.iban:
            continue
        signed = dt.date(2024, 10, 1) + dt.timedelta(days=ctx.rng.randrange(0, 90))
        save_mandate(
            session,
            None,
            MandateForm(
                client_id=client.id,
                rum=client.mandate_reference or suggest_rum(session, client.id),
                signature_date=signed,
                signature_place=client.city,
                kind="recurrent",
                scheme="CORE",
                debtor_name=client.name,
                iban=client.iban,
                bic=client.bic or _bic(client.iban),
            ),
        )
        count += 1
    return count


def _fate(rng: Any) -> str:
    roll = rng.random()
    return "unpaid" if roll < 0.06 else "partial" if roll < 0.12 else "paid"


def load(session: Session, ctx: Any) -> None:
    _mandates(session, ctx)
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.status == InvoiceStatus.ISSUED,
                Invoice.kind.in_((InvoiceKind.INVOICE, InvoiceKind.DOWN_PAYMENT)),
                Invoice.issue_date <= HISTORY_END,
            )
            .order_by(Invoice.issue_date, Invoice.id)
        )
    )
    clients = {c.id: c for c in session.scalars(select(Client))}
    rng = ctx.rng
    reference_firm = ctx.objects.get("scale_client_ids", set())  # --contracts N: left open
    # (date, order, kind, payload): SEPA collections, then cheques and transfers of the day.
    events: list[tuple[dt.date, int, str, Any]] = []
    # Direct debits are collected on the date pre-notified by each invoice.
    sepa_days = {
        planned_collection_date(session, invoice)
        for invoice in invoices
        if clients[invoice.client_id].payment_means == "direct_debit"
    }
    events += [(day, 0, "sepa", None) for day in sorted(sepa_days) if day <= HISTORY_END]
    for invoice in invoices:
        client = clients[invoice.client_id]
        if client.payment_means == "direct_debit" or invoice.client_id in reference_firm:
            continue
        # Older years are settled; 2026 keeps a few partial and unpaid invoices for dunning.
        fate = _fate(rng) if invoice.issue_date >= START else "paid"
        if fate == "unpaid":
            continue
        due = invoice.due_date or invoice.issue_date
        day = max(invoice.issue_date, due + dt.timedelta(days=rng.randrange(-12, 16)))
        if day > HISTORY_END:
            continue
        share = Decimal("0.5") if fate == "partial" else Decimal(1)
        events.append((day, 1, "pay", (invoice.id, share)))
    events.sort(key=lambda e: (e[0], e[1], e[3][0] if e[2] == "pay" else 0))
    for day, _order, kind, payload in events:
        if kind == "sepa":
            if any(not c.problem for c in candidates(session, day)):
                for batch in create_batches(session, day, created_on=day - dt.timedelta(days=5)):
                    confirm_batch(session, batch.id, day)
            continue
        invoice_id, share = payload
        invoice = get_row(session, Invoice, invoice_id, "Facture")
        amount = round_money(open_amount(session, invoice) * share)
        if amount <= ZERO:
            continue
        pay_invoice(session, rng, clients[invoice.client_id], invoice, day, amount)
    _remittances(session)
    _down_payment(session)
    _new_bank_mandate(session)


def pay_invoice(
    session: Session, rng: Any, client: Client, invoice: Invoice, day: dt.date, amount: Decimal
) -> None:
    """The client pays ``amount`` of the invoice on ``day``: by cheque when that is its means
    (bank and number drawn from ``rng``), else by transfer."""
    means = "cheque" if client.payment_means == "cheque" else "transfer"
    form = PaymentForm(
        client_id=client.id, date=day, means=means, amount=str(amount),
        reference=f"VIR {client.name[:20].upper()} {invoice.number}" if means == "transfer" else "",
    )  # fmt: skip
    if means == "cheque":
        form.cheque_bank = rng.choice(BANKS)
        form.cheque_number = f"{rng.randrange(1000000, 9999999)}"
    record_payment(session, form, [AllocationLine(invoice.id, amount)])


def _remittances(session: Session) -> None:
    """One slip per month for the cheques received that month; August's are still to remit."""
    pending = cheques_to_remit(session)
    months = sorted({(c.date.year, c.date.month) for c in pending if c.date < dt.date(2026, 8, 1)})
    for year, month in months:
        ids = [c.payment_id for c in pending if (c.date.year, c.date.month) == (year, month)]
        last = max(c.date for c in pending if c.payment_id in ids)
        create_remittance(session, ids, last + dt.timedelta(days=1))


def _down_payment(session: Session) -> None:
    """30 % down-payment on an accepted one-off (TC) quote, paid by transfer."""
    try:
        from models.quotes import Quote, QuoteKind, QuoteStatus
    except ImportError:  # pragma: no cover - quotes module absent
        return
    from app.billing.issuing import issue_invoices
    from app.payments.down_payments import create_down_payment_invoice

    quote = session.scalar(
        select(Quote)
        .where(
            Quote.kind == QuoteKind.EXTRA_WORK,
            Quote.status == QuoteStatus.ACCEPTED,
            Quote.total_ht > 0,
        )
        .order_by(Quote.id)
    )
    if quote is None:
        return
    last_invoice = session.scalar(
        select(Invoice.issue_date)
        .where(Invoice.status == InvoiceStatus.ISSUED)
        .order_by(Invoice.issue_date.desc())
    )
    day = max(HISTORY_END, last_invoice or HISTORY_END, quote.decision_date or quote.quote_date)
    if day > HISTORY_END:
        return
    from app.errors import PropreoError

    try:
        with session.begin_nested():
            invoice = create_down_payment_invoice(
                session, quote_id=quote.id, percent="30", issue_date=day
            )
            issue_invoices(session, [invoice.id])
    except PropreoError:  # e.g. the quote's client lacks legal data: no down-payment shown
        return
    record_payment(
        session,
        PaymentForm(
            client_id=invoice.client_id, date=day, means="transfer", amount=str(invoice.amount_due),
            reference=f"ACOMPTE {quote.reference}",
        ),
        [AllocationLine(invoice.id, invoice.amount_due)],
    )  # fmt: skip


NEW_BANK_DAY = dt.date(2026, 8, 24)
NEW_BANK_IBAN = "FR7630004000031234567890143"  # BNP Paribas


def _new_bank_mandate(session: Session) -> None:
    """A direct-debit client moved to another bank in August 2026: the old mandate is
    revoked and a new one signed, whose first collection (next export) is a FRST."""
    client = session.scalar(
        select(Client)
        .join(SepaMandate, SepaMandate.client_id == Client.id)
        .where(
            Client.payment_means == "direct_debit",
            SepaMandate.status == "active",
            SepaMandate.collections_done > 0,
        )
        .order_by(Client.code.desc())
    )
    if client is None:
        return
    old = session.scalar(
        select(SepaMandate).where(
            SepaMandate.client_id == client.id, SepaMandate.status == MandateStatus.ACTIVE
        )
    )
    if old is None:  # the demo client always has one; nothing to change otherwise
        return
    revoke_mandate(session, old.id, NEW_BANK_DAY)
    mandate = save_mandate(
        session,
        None,
        MandateForm(
            client_id=client.id,
            rum=suggest_rum(session, client.id),
            signature_date=NEW_BANK_DAY,
            signature_place=client.city,
            kind="recurrent",
            scheme=old.scheme,
            debtor_name=old.debtor_name,
            iban=NEW_BANK_IBAN,
            bic=_bic(NEW_BANK_IBAN),
            notes="Nouveau mandat : changement de banque du débiteur (août 2026).",
        ),
    )
    client.iban, client.bic, client.mandate_reference = mandate.iban, mandate.bic, mandate.rum
