"""Billing control: a month compared with M-1 before (or after) its invoices are issued."""
