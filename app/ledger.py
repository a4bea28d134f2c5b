"""Client account inquiry (interrogation de compte) and outstanding amount (encours).

The view is built here once; the modules that own the documents give their rows as a
:class:`LedgerSource`, registered at start-up by :func:`app.startup.install` (never as a
side effect of an import): ``rows(session, client_id)`` returns :class:`LedgerRow` values
(balance left at zero: it is computed here); ``balances(session, client_ids)``, when given,
returns ``{client_id: Σ debit − Σ credit}`` of those rows (one grouped query instead of
building every row): the month-end run asks the encours of many clients at once
(:func:`outstanding_many`); ``owed`` likewise gives what is still owed on them.
Debit = what the client owes us (invoice TTC), credit = what reduces it (credit note,
payment). Balance > 0 means the client owes money: that is the outstanding amount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    # What is still owed on this document; None: its debit if overdue, else nothing.
    open_amount: Decimal | None = None
    # Documents: the last e-invoicing life-cycle status (« Approuvée le … »).
    platform_status: str = ""
    # An invoice or credit note issued by Propreo: its id, to print its archived PDF.
    document_id: int | None = None

    @property
    def owed(self) -> Decimal:
        if self.open_amount is not None:
            return self.open_amount
        return self.debit if self.overdue else ZERO

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


LedgerProvider = Callable[[Session, int], Iterable[LedgerRow]]
BalanceProvider = Callable[[Session, Sequence[int]], Mapping[int, Decimal]]
# fn(session, client_ids) -> {client_id: (Σ owed, Σ owed of the overdue rows)} of the rows
# (see LedgerRow.owed); a source whose rows owe nothing returns {}.
OwedProvider = Callable[[Session, Sequence[int]], Mapping[int, tuple[Decimal, Decimal]]]
# Clients per grouped query (well under SQLite's bound-parameter limit).
_CHUNK = 500


@dataclass(frozen=True)
class LedgerSource:
    """The rows one owner (invoices, payments) adds to the account, and optionally the
    same rows' set-based sums (exactly equal to summing the rows; a test compares)."""

    rows: LedgerProvider
    balances: BalanceProvider | None = None
    owed: OwedProvider | None = None


_SOURCES: list[LedgerSource] = []


def register_source(source: LedgerSource) -> None:
    """Add a source of account rows (idempotent): called by :func:`app.startup.install`."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def _sources() -> list[LedgerSource]:
    if not _SOURCES:
        raise RuntimeError(
            "Client account without sources: app.startup.install() was not called at start-up."
        )
    return _SOURCES


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
    rows: list[LedgerRow] = []
    for source in _sources():
        rows.extend(source.rows(session, client_id))
    return _with_platform_status(session, client_id, running_balance(rows))


def _with_platform_status(
    session: Session, client_id: int, rows: list[LedgerRow]
) -> list[LedgerRow]:
    from app.einvoicing.status import labels_by_number

    labels = labels_by_number(session, client_id)
    return [
        replace(r, platform_status=labels[r.reference])
        if r.kind != "payment" and r.reference in labels
        else r
        for r in rows
    ]


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


def overdue_part(rows: Sequence[LedgerRow], outstanding: Decimal) -> Decimal:
    """The part of the encours that is past due (« dont échu »), one rule for the account:
    what is still owed on the overdue invoices, less the credit not yet allocated to any
    invoice (a payment on account, a credit note left open), which settles the oldest debts
    first. Never negative, never above the encours."""
    still_owed = sum((r.owed for r in rows), ZERO)
    late = sum((r.owed for r in rows if r.overdue), ZERO)
    return overdue_of(still_owed, late, outstanding)


def overdue_of(still_owed: Decimal, late: Decimal, outstanding: Decimal) -> Decimal:
    """:func:`overdue_part` from its sums: what is owed on all documents, on the overdue ones,
    and the encours (pure)."""
    unallocated_credit = max(still_owed - outstanding, ZERO)
    return min(max(late - unallocated_credit, ZERO), max(outstanding, ZERO))


def credit_status(session: Session, client_id: int) -> CreditStatus:
    client = session.get(Client, client_id)
    rows = client_ledger(session, client_id)
    outstanding = rows[-1].balance if rows else ZERO
    overdue = overdue_part(rows, outstanding)
    return CreditStatus(
        outstanding=outstanding,
        overdue=overdue,
        limit=client.credit_limit if client else None,
        blocked=bool(client and client.blocked),
    )


def outstanding_many(session: Session, client_ids: Iterable[int]) -> dict[int, Decimal]:
    """The encours of each client (= the last balance of its :func:`client_ledger`), by a
    grouped query per source; a source without a set-based balance is summed row by
    row for each client."""
    ids = sorted(set(client_ids))
    totals = dict.fromkeys(ids, ZERO)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for source in _sources():
            if source.balances is None:
                for client_id in chunk:
                    totals[client_id] += sum(
                        (row.debit - row.credit for row in source.rows(session, client_id)), ZERO
                    )
                continue
            for client_id, amount in source.balances(session, chunk).items():
                totals[client_id] += amount
    return totals


def overdue_many(session: Session, client_ids: Iterable[int]) -> dict[int, Decimal]:
    """The « dont échu » of each client (= ``credit_status(...).overdue``) by grouped queries:
    the home dashboard asks it of every client at once. A source without set-based sums is
    read row by row for each client."""
    ids = sorted(set(client_ids))
    balances = outstanding_many(session, ids)
    owed = {cid: [ZERO, ZERO] for cid in ids}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for source in _sources():
            if source.owed is None:
                for client_id in chunk:
                    rows = list(source.rows(session, client_id))
                    owed[client_id][0] += sum((r.owed for r in rows), ZERO)
                    owed[client_id][1] += sum((r.owed for r in rows if r.overdue), ZERO)
                continue
            for client_id, (still, late) in source.owed(session, chunk).items():
                owed[client_id][0] += still
                owed[client_id][1] += late
    return {cid: overdue_of(owed[cid][0], owed[cid][1], balances[cid]) for cid in ids}


def outstanding(session: Session, client_id: int) -> Decimal:
    """The encours: what the client owes according to its account."""
    return outstanding_many(session, [client_id])[client_id]
