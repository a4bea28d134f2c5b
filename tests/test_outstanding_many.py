"""Set-based encours (``app.ledger.outstanding_many``) = the last balance of each client's
account inquiry, which the month-end run's credit-limit warnings rely on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import ledger
from app.billing.credit_notes import create_credit_note
from app.billing.issuing import issue_invoices
from app.db import Database
from app.ledger import client_ledger, outstanding, outstanding_many
from app.payments.allocation import undo_allocation
from app.payments.entry import PaymentForm, record_payment
from models.clients import Client
from models.payments import Payment, PaymentStatus
from tests.test_payments import issue_invoice, make_client

E = Decimal
D = dt.date


def _last_balance(session: Session, client_id: int) -> Decimal:
    rows = client_ledger(session, client_id)
    return rows[-1].balance if rows else E("0")


def test_every_client_of_the_demo_firm(demo_db: Database) -> None:
    with demo_db.read() as session:
        ids = list(session.scalars(select(Client.id).order_by(Client.id)))
        assert len(ids) > 5
        expected = {i: _last_balance(session, i) for i in ids}
        assert any(v != 0 for v in expected.values())
        assert outstanding_many(session, ids) == expected
        assert outstanding_many(session, []) == {}
        for i in ids[:3]:
            assert outstanding(session, i) == expected[i]


def test_reject_writeoff_gain_credit_note_and_undone_allocation(
    session: Session, company: object
) -> None:
    client = make_client(session)
    other = make_client(session, "MART", "Martin SARL")
    idle = make_client(session, "IDLE", "Sans mouvement")
    first = issue_invoice(session, client, "100.03", D(2026, 1, 31))
    second = issue_invoice(session, client, "240.00", D(2026, 2, 28))
    issue_invoice(session, other, "600.00", D(2026, 3, 31))
    # A rounding loss of 0.03 written off on the first invoice.
    loss = record_payment(
        session,
        PaymentForm(client_id=client.id, date=D(2026, 2, 5), means="transfer", amount="100.00"),
        tolerance=E("0.05"),
    )
    assert loss.allocations[0].writeoff == E("0.03") and loss.allocations[0].invoice_id == first.id
    # A gain of 0.02 taken on an overpayment of the second invoice.
    gain = record_payment(
        session,
        PaymentForm(client_id=client.id, date=D(2026, 3, 5), means="transfer", amount="240.02"),
        tolerance=E("0.05"),
    )
    assert gain.excess_writeoff == E("0.02") and gain.allocations[0].invoice_id == second.id
    # A full credit note on a third invoice.
    third = issue_invoice(session, client, "120.00", D(2026, 3, 31))
    note = create_credit_note(session, third.id, issue_date=D(2026, 4, 2), reason="Erreur")
    issue_invoices(session, [note.id])
    # A payment whose allocation is undone, then rejected by the bank (as a SEPA reject does).
    rejected = record_payment(
        session,
        PaymentForm(client_id=other.id, date=D(2026, 4, 10), means="transfer", amount="600.00"),
    )
    undo_allocation(session, rejected.allocations[0].id, "Erreur d'imputation")
    rejected.status = PaymentStatus.REJECTED
    rejected.rejected_on = D(2026, 4, 20)
    # A payment on account with no invoice to settle, on the other client.
    record_payment(
        session,
        PaymentForm(client_id=other.id, date=D(2026, 4, 21), means="transfer", amount="50.00"),
    )
    session.flush()
    assert session.scalars(select(Payment).where(Payment.client_id == other.id)).all()

    ids = [client.id, other.id, idle.id]
    balances = outstanding_many(session, ids)
    assert balances == {i: _last_balance(session, i) for i in ids}
    # 100.03 + 240.00 + 120.00 − 120.00 (credit note) − 100.00 − 0.03 − 240.02 + 0.02
    assert balances[client.id] == E("0.00")
    # 600.00 − 600.00 + 600.00 (reject) − 50.00
    assert balances[other.id] == E("550.00")
    assert balances[idle.id] == E("0")


def test_provider_without_set_based_balance_is_summed_row_by_row(
    session: Session, company: object
) -> None:
    client = make_client(session)
    issue_invoice(session, client, "120.00", D(2026, 1, 31))

    def provider(session: Session, client_id: int) -> list[ledger.LedgerRow]:
        if client_id != client.id:
            return []
        return [ledger.LedgerRow(D(2026, 2, 1), "adjustment", "X-1", "Écart", credit=E("7.50"))]

    source = ledger.LedgerSource(provider)
    ledger.register_source(source)
    try:
        assert outstanding_many(session, [client.id]) == {client.id: E("112.50")}
        assert _last_balance(session, client.id) == E("112.50")
    finally:
        ledger._SOURCES.remove(source)
    assert outstanding_many(session, [client.id]) == {client.id: E("120.00")}
