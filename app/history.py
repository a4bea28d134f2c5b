"""A client's history: everything that happened to it, newest first.

Built from the audit trail (every use case records its events with ``client_id``) plus
providers that other modules register for their own dated facts (documents sent, calls...)
when these are not already audit events.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.users import User

ACTION_LABELS: dict[str, str] = {
    "create": "Création",
    "update": "Modification",
    "deactivate": "Désactivation",
    "activate": "Réactivation",
    "delete": "Suppression",
    "photo": "Photo",
    "issue": "Émission",
    "send": "Envoi",
    "payment": "Règlement",
    "call": "Appel",
    # Liaison book (app.liaison, app.liaison_files, app.liaison_convert).
    "assign": "Attribution",
    "status": "Changement de statut",
    "action": "Action",
    "close": "Clôture",
    "attachment": "Pièce jointe",
    "convert": "Conversion",
    "amendment_request": "Demande d'avenant",
}

ENTITY_LABELS: dict[str, str] = {
    "client": "Client",
    "site": "Chantier",
    "contact": "Contact",
    "quote": "Devis",
    "contract": "Contrat",
    "invoice": "Facture",
    "credit_note": "Avoir",
    "payment": "Règlement",
    "liaison": "Cahier de liaison",
}


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    user: str
    entity: str  # French label of the kind of record
    action: str  # French label of what happened
    summary: str
    details: tuple[str, ...] = ()  # « field : old → new » lines


HistoryProvider = Callable[[Session, int], Iterable[HistoryEntry]]
_PROVIDERS: list[HistoryProvider] = []


def register_history_provider(fn: HistoryProvider) -> HistoryProvider:
    """Add a source of history entries (decorator); keep it idempotent on re-import."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    return fn


def format_changes(details: str) -> tuple[str, ...]:
    if not details:
        return ()
    try:
        data = json.loads(details)
    except ValueError:
        return (details,)
    return tuple(f"{field} : {old or '∅'} → {new or '∅'}" for field, (old, new) in data.items())


def client_history(session: Session, client_id: int, *, limit: int = 500) -> list[HistoryEntry]:
    users = dict(session.execute(select(User.id, User.full_name)).all())
    entries = [
        HistoryEntry(
            at=e.at,
            user=users.get(e.user_id, "") if e.user_id else "",
            entity=ENTITY_LABELS.get(e.entity_type, e.entity_type),
            action=ACTION_LABELS.get(e.action, e.action),
            summary=e.summary,
            details=format_changes(e.details),
        )
        for e in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.client_id == client_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    ]
    for provider in _PROVIDERS:
        entries.extend(provider(session, client_id))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
