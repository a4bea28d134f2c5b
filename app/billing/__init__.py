"""Contracts and the billing engine: plans, amendments, month-end runs, issuing, credit notes.

Importing the package installs the guard that keeps issued invoices immutable (ORM level)
and registers the invoice rows of the client ledger.
"""

from app.billing import issuing as _issuing  # noqa: F401  (installs the before_flush guard)
from app.billing import ledger_rows as _ledger_rows  # noqa: F401  (client ledger provider)
