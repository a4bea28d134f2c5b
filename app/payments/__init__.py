"""Payments: entry, allocation (lettrage), down-payments, receipts, remittance slips, SEPA.

``outstanding(session, client_id)`` is the client's encours, used by the billing run's
credit-limit control and by the account inquiry.
"""

from __future__ import annotations

from app.payments.balance import outstanding

__all__ = ["outstanding"]
