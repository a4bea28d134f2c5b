"""Client account inquiry (interrogation de compte) and outstanding amount (encours).

The view is built here once; the modules that own the documents add their rows by
registering a provider: ``register_ledger_provider(fn)`` with ``fn(session, client_id)``
returning :class:`LedgerRow` values (balance left at zero: it is computed here).
Debit = what the client owes us (invoice TTC), credit = what reduces it (credit note,
payment). Balance > 0 means the client owes money: that is the outstanding amount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy.orm import Session

from app.money import ZERO
from models.clients import Client

# Order of rows on the same date: documents before the payments that settle them.
KIND_ORDER = {"invoice": 0, "down_payment": 1, "credit_note": 2, "payment": 3, "adjustment": 4}
KIND_LABELS = {
    "invoice": "Facture",
    "down_payment": "Facture d'acompte",
    "credit_note": "Avoir",
    "payment": "Règlement",
    "adjustment": "Écart / régularisation",
}


@dataclass(frozen=True)
class LedgerRow:
    date: dt.date
    kind: str  # a key of KIND_LABELS
    reference: str  # invoice number, payment reference...
    label: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    balance: Decimal = ZERO  # running balance, computed by client_ledger
    due_date: dt.date | None = None
    overdue: bool = False  # set by the provider: unpaid and past due

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


LedgerProvider = Callable[[Session, int], Iterable[LedgerRow]]
_PROVIDERS: list[LedgerProvider] = []


def register_ledger_provider(fn: LedgerProvider) -> LedgerProvider:
    """Add a source of ledger rows (usable as a decorator); idempotent on re-import."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    return fn


def running_balance(rows: Iterable[LedgerRow]) -> list[LedgerRow]:
    """Sort rows (date, kind, reference) and fill the running balance (pure)."""
    ordered = sorted(rows, key=lambda r: (r.date, KIND_ORDER.get(r.kind, 9), r.reference))
    balance = ZERO
    result = []
    for row in ordered:
        balance += row.debit - row.credit
        result.append(replace(row, balance=balance))
    return result


def client_ledger(session: Session, client_id: int) -> list[LedgerRow]:
    # Importing the owning packages registers their rows (invoices, payments).
    import app.billing
    import app.payments  # noqa: F401

    rows: list[LedgerRow] = []
    for provider in _PROVIDERS:
        rows.extend(provider(session, client_id))
    return running_balance(rows)


@dataclass(frozen=True)
class CreditStatus:
    outstanding: Decimal  # encours: balance of the account
    overdue: Decimal  # debit of the overdue rows (what is late)
    limit: Decimal | None  # encours autorisé
    blocked: bool

    @property
    def exceeded(self) -> bool:
        return self.limit is not None and self.outstanding > self.limit

    @property
    def available(self) -> Decimal | None:
        return None if self.limit is None else self.limit - self.outstanding


def credit_status(session: Session, client_id: int) -> CreditStatus:
    client = session.get(Client, client_id)
    rows = client_ledger(session, client_id)
    outstanding = rows[-1].balance if rows else ZERO
    overdue = sum((r.debit for r in rows if r.overdue), ZERO)
    return CreditStatus(
        outstanding=outstanding,
        overdue=overdue,
        limit=client.credit_limit if client else None,
        blocked=bool(client and client.blocked),
    )


def outstanding(session: Session, client_id: int) -> Decimal:
    """The encours: what the client owes according to its account."""
    return credit_status(session, client_id).outstanding
