"""What a process wires once at start-up, explicitly: nothing of it happens on import.

:func:`install` is called by every entry point (the command line and the window through
:func:`app.cli.main`, the window's own start, the tests' conftest, the benchmarks) before a
base is used:

- the ORM guard that keeps issued invoices immutable (:mod:`app.billing.guard`);
- the sources of the client account (:mod:`app.ledger`): invoices and credit notes
  (:mod:`app.billing.ledger_rows`), payments (:mod:`app.payments.balance`).

Without it the account refuses to compute (it never shows an encours of zero by omission).
"""

from __future__ import annotations

from app import ledger
from app.billing import guard, ledger_rows
from app.payments import balance


def install() -> None:
    """Install the guard and register the account sources (idempotent)."""
    guard.install()
    ledger.register_source(ledger_rows.INVOICE_ROWS)
    ledger.register_source(balance.PAYMENT_ROWS)
