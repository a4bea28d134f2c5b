"""Payments: entry, allocation (lettrage), down-payments, receipts, remittance slips, SEPA.

The client's encours is :func:`app.ledger.outstanding` (the one rule: the balance of the
client's account); the payment rows of that account (:data:`app.payments.balance.PAYMENT_ROWS`)
are registered by :func:`app.startup.install`.
"""
