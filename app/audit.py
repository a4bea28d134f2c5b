"""Record who did what: every use case that changes a record calls :func:`record`."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from models.audit import AuditEvent


def current_user_id(session: Session) -> int | None:
    return session.info.get("user_id")


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
        user_id=current_user_id(session),
        entity_type=entity_type,
        entity_id=entity_id,
        client_id=client_id,
        action=action,
        summary=summary,
        details=json.dumps(
            {k: [str(a), str(b)] for k, (a, b) in (changes or {}).items()}, ensure_ascii=False
        )
        if changes
        else "",
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
