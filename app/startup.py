"""What a process wires once at start-up, explicitly: nothing of it happens on import.

:func:`install` is called by every entry point (the command line and the window through
:func:`app.cli.main`, the window's own start, the tests' conftest, the benchmarks) before a
base is used:

- the ORM guard that keeps issued invoices immutable (:mod:`app.billing.guard`);
- the sources of the client account (:mod:`app.ledger`): invoices and credit notes
  (:mod:`app.billing.ledger_rows`), payments (:mod:`app.payments.balance`);
- the journals of the FEC (:mod:`app.documents.accounting`): sales from the documents, bank
  and cheque remittances from the payments, then the payments' passes over the history
  (down-payments deducted, matching letters) in that order (:mod:`app.payments.accounting`).

Without it the account and the FEC refuse to compute (never an encours of zero or a FEC
without its bank journal by omission).
"""

from __future__ import annotations

from app import ledger
from app.billing import guard, ledger_rows
from app.documents import accounting
from app.payments import accounting as payments_accounting
from app.payments import balance


def install() -> None:
    """Install the guard, register the account sources and the FEC journals (idempotent)."""
    guard.install()
    ledger.register_source(ledger_rows.INVOICE_ROWS)
    ledger.register_source(balance.PAYMENT_ROWS)
    accounting.register_entry_provider(accounting.sales_entries)
    accounting.register_entry_provider(payments_accounting.bank_entries)
    accounting.register_entry_provider(payments_accounting.remittance_entries)
    accounting.register_entry_filter(payments_accounting.book_deductions)
    accounting.register_entry_filter(payments_accounting.letter_client_lines)
