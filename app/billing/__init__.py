"""Contracts and the billing engine: plans, amendments, month-end runs, issuing, credit notes.

Importing the package does nothing else: the guard that keeps issued invoices immutable
(:mod:`app.billing.guard`) and the invoice rows of the client account
(:data:`app.billing.ledger_rows.INVOICE_ROWS`) are installed by :func:`app.startup.install`.
"""
