"""Audit rows have one maker: :func:`app.audit.event_row`. :func:`app.audit.record` (one
event) and the bulk paths (month-end run, issuing, demo firm) write the same columns
through it; nothing else builds an audit_events row by hand."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select

from app import audit
from app.db import Database
from models.audit import AuditEvent

ROOT = Path(__file__).resolve().parent.parent


def _columns(event: AuditEvent) -> tuple[object, ...]:
    return (
        event.user_id,
        event.entity_type,
        event.entity_id,
        event.client_id,
        event.action,
        event.summary,
        event.details,
    )


def test_a_bulk_row_is_what_record_writes(db: Database) -> None:
    changes = {"status": ("Brouillon", "Émis"), "montant": (1, "1,00 €")}
    with db.write() as s:
        s.info["user_id"] = None
        audit.record(s, "invoice", 7, "issue", "Facture émise", client_id=3, changes=changes)
        audit.record_rows(
            s,
            [
                audit.event_row(
                    "invoice",
                    7,
                    "issue",
                    "Facture émise",
                    user_id=audit.current_user_id(s),
                    client_id=3,
                    changes=changes,
                )
            ],
        )
    with db.read() as s:
        one, bulk = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert _columns(one) == _columns(bulk)
        assert bulk.details == '{"status": ["Brouillon", "Émis"], "montant": ["1", "1,00 €"]}'
        assert bulk.at is not None


def test_no_audit_row_is_built_by_hand() -> None:
    """A dict literal with the audit columns, or an insert into AuditEvent, outside
    app/audit.py: build the row with audit.event_row and write it with record_rows."""
    offenders = []
    for path in sorted(p for d in ("app", "ui", "reports") for p in (ROOT / d).rglob("*.py")):
        if path == ROOT / "app" / "audit.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            keys = (
                {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if isinstance(node, ast.Dict)
                else set()
            )
            by_hand = {"entity_type", "action"} <= keys
            inserted = (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "insert"
                and any(getattr(a, "id", "") == "AuditEvent" for a in node.args)
            )
            table = (
                isinstance(node, ast.Attribute)
                and node.attr == "__table__"
                and getattr(node.value, "id", "") == "AuditEvent"
            )
            if by_hand or inserted or table:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
