"""Record who did what: every use case that changes a record calls :func:`record`.

Bulk paths (the month-end run, issuing, the demo firm) write many events at once: they
build each row with :func:`event_row` — the same values :func:`record` gives — and write
them with :func:`record_rows` (one executemany)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from app.db import insert_rows
from models.audit import AuditEvent


def current_user_id(session: Session) -> int | None:
    return session.info.get("user_id")


def details_text(changes: Mapping[str, tuple[object, object]] | None) -> str:
    """The ``details`` column: ``{"field": [old, new], …}`` as JSON text, "" without changes."""
    if not changes:
        return ""
    return json.dumps({k: [str(a), str(b)] for k, (a, b) in changes.items()}, ensure_ascii=False)


def event_row(
    entity_type: str,
    entity_id: int | None,
    action: str,
    summary: str = "",
    *,
    user_id: int | None,
    client_id: int | None = None,
    changes: Mapping[str, tuple[object, object]] | None = None,
) -> dict[str, object]:
    """One audit_events row as column values (``at`` is the column's default)."""
    return {
        "user_id": user_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "client_id": client_id,
        "action": action,
        "summary": summary,
        "details": details_text(changes),
    }


def record_rows(session: Session, rows: list[dict[str, object]]) -> None:
    """Write rows made by :func:`event_row` in one executemany."""
    insert_rows(session, AuditEvent.__table__, rows)


def record(
    session: Session,
    entity_type: str,
    entity_id: int | None,
    action: str,
    summary: str = "",
    *,
    client_id: int | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        **event_row(
            entity_type,
            entity_id,
            action,
            summary,
            user_id=current_user_id(session),
            client_id=client_id,
            changes=changes,
        )
    )
    session.add(event)
    return event


def diff(obj: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Apply ``values`` to ``obj`` and return what really changed {field: (old, new)}."""
    changes: dict[str, tuple[Any, Any]] = {}
    for key, new in values.items():
        old = getattr(obj, key)
        if old != new:
            changes[key] = (old, new)
            setattr(obj, key, new)
    return changes
