"""The ORM guard that keeps issued documents immutable: a ``before_flush`` listener that
refuses any change to an issued invoice (or credit note) and to its lines, and any line added
to it. Installed once per process by :func:`app.startup.install`, not on import; the database
triggers of :mod:`app.billing.issuing` and :mod:`app.billing.pg_triggers` refuse the same
below the ORM.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.errors import StateError
from models.invoices import Invoice, InvoiceLine, InvoiceStatus

# Columns that may still change on an issued invoice (bookkeeping only).
MUTABLE_AFTER_ISSUE = frozenset({"updated_at"})


def install() -> None:
    """Listen on every session of the process (idempotent)."""
    if not event.contains(Session, "before_flush", _guard_issued):
        event.listen(Session, "before_flush", _guard_issued)


def _original_status(invoice: Invoice) -> str:
    history = inspect(invoice).attrs.status.history
    return history.deleted[0] if history.deleted else invoice.status


def _guard_issued(session: Session, _context: object, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Invoice):
            if _original_status(obj) not in InvoiceStatus.RECEIVABLE:
                continue
            if obj in session.deleted:
                raise StateError(
                    "Le document {number} est émis : suppression interdite.", number=obj.number
                )
            state = inspect(obj)
            changed = [
                attr.key
                for attr in state.mapper.column_attrs
                if attr.key not in MUTABLE_AFTER_ISSUE
                and state.attrs[attr.key].history.has_changes()
            ]
            if changed:
                raise StateError(
                    "Le document {number} est émis : modification interdite ({fields}).",
                    number=obj.number,
                    fields=", ".join(changed),
                )
        elif isinstance(obj, InvoiceLine):
            parent = session.get(Invoice, obj.invoice_id) if obj.invoice_id else None
            if parent is not None and _original_status(parent) == InvoiceStatus.ISSUED:
                state = inspect(obj)
                if obj in session.deleted or any(
                    state.attrs[a.key].history.has_changes() for a in state.mapper.column_attrs
                ):
                    raise StateError(
                        "Le document {number} est émis : ses lignes ne peuvent plus changer.",
                        number=parent.number,
                    )
    for obj in session.new:
        if isinstance(obj, InvoiceLine):
            parent = obj.invoice or (
                session.get(Invoice, obj.invoice_id) if obj.invoice_id else None
            )
            if parent is not None and _original_status(parent) == InvoiceStatus.ISSUED:
                raise StateError(
                    "Le document {number} est émis : ajout de ligne interdit.", number=parent.number
                )
