"""Payments: entry, allocation (lettrage), down-payments, receipts, remittance slips, SEPA.

``outstanding(session, client_id)`` is the client's encours (:func:`app.ledger.outstanding`,
the one rule: the balance of the client's account), used by the billing run's credit-limit
control and by the account inquiry. Importing this package registers the payment rows of
that account (:mod:`app.payments.balance`).
"""

from __future__ import annotations

from app.ledger import outstanding
from app.payments import balance as _balance  # noqa: F401  (registers the payment rows)

__all__ = ["outstanding"]
