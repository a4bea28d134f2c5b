"""Liaison book (cahier de liaison): log a call in seconds, route it, follow it to closure.

One function per user action; each records a timestamped :class:`LiaisonAction` (the
entry's own log) and an audit event carrying the client id, so that the entry shows in
the client's history. The status follows :data:`WORKFLOW`, declared as data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, clock, identifiers
from app.errors import NotFoundError, StateError, ValidationError, ValidationErrors
from app.i18n import _
from app.workflow import Workflow
from models.base import utcnow
from models.clients import Client, Site
from models.contracts import Contract
from models.liaison import LiaisonAction, LiaisonCategory, LiaisonEntry, Notification
from models.users import Department, User

KINDS: dict[str, str] = {"call": "Appel", "email": "E-mail", "visit": "Visite", "note": "Note"}
PRIORITIES: dict[str, str] = {
    "low": "Basse",
    "normal": "Normale",
    "high": "Haute",
    "urgent": "Urgente",
}

OPEN, IN_PROGRESS, WAITING, CLOSED = "open", "in_progress", "waiting", "closed"
STATUS_LABELS: dict[str, str] = {
    OPEN: "Ouverte",
    IN_PROGRESS: "En cours",
    WAITING: "En attente client",
    CLOSED: "Clôturée",
}
WORKFLOW = Workflow(
    "Fiche de liaison",
    STATUS_LABELS,
    frozenset(
        {
            (OPEN, IN_PROGRESS),
            (OPEN, WAITING),
            (OPEN, CLOSED),
            (IN_PROGRESS, WAITING),
            (IN_PROGRESS, CLOSED),
            (WAITING, IN_PROGRESS),
            (WAITING, CLOSED),
            (CLOSED, OPEN),  # reopen
        }
    ),
)

DEFAULT_CATEGORIES = [
    "Réclamation",
    "Demande de devis",
    "Information",
    "Incident sur site",
    "Clés / accès",
    "Personnel",
    "Question de facturation",
]


def is_overdue(status: str, due_date: dt.date | None, today: dt.date) -> bool:
    """An entry is overdue when it is not closed and its alert date has passed."""
    return status != CLOSED and due_date is not None and due_date < today


def local_today() -> dt.date:
    return clock.today()


# --- input -------------------------------------------------------------------------------
@dataclass
class EntryInput:
    """What the quick-entry dialog and the entry form edit."""

    kind: str = "call"
    caller: str = ""
    caller_phone: str = ""
    client_id: int | None = None
    site_id: int | None = None
    contract_id: int | None = None
    department_id: int | None = None
    category_id: int | None = None
    priority: str = "normal"
    subject: str = ""
    text: str = ""
    assignee_id: int | None = None
    due_date: dt.date | None = None
    received_at: dt.datetime | None = None


def _validated(session: Session, data: EntryInput) -> dict[str, object]:
    """Check a whole form; return the column values (client deduced from the site)."""
    errors: list[ValidationError] = []

    def guard(fn: Callable[..., str], *args: object) -> str:
        try:
            return fn(*args)
        except ValidationError as exc:
            errors.append(exc)
            return ""

    if data.kind not in KINDS:
        errors.append(ValidationError("Type", "Type de fiche inconnu : « {v} ».", v=data.kind))
    if data.priority not in PRIORITIES:
        errors.append(ValidationError("Priorité", "Priorité inconnue : « {v} ».", v=data.priority))
    caller = guard(identifiers.text, data.caller, "Interlocuteur", 150)
    phone = guard(identifiers.text, data.caller_phone, "Téléphone", 30)
    text = (data.text or "").strip()
    if not text:
        errors.append(ValidationError("Texte", "{field} : décrivez la demande."))
    subject = guard(identifiers.text, data.subject, "Objet", 200) or _subject_from(text)
    client_id = data.client_id
    if client_id is not None and session.get(Client, client_id) is None:
        errors.append(ValidationError("Client", "{field} : client introuvable."))
    if data.site_id is not None:
        site = session.get(Site, data.site_id)
        if site is None:
            errors.append(ValidationError("Chantier", "{field} : chantier introuvable."))
        elif client_id is None:
            client_id = site.client_id
        elif client_id not in _clients_concerned_by(session, site):
            errors.append(
                ValidationError(
                    "Chantier",
                    "{field} : le chantier « {site} » n'est pas un chantier de ce client.",
                    site=site.name,
                )
            )
    if data.contract_id is not None:
        contract = session.get(Contract, data.contract_id)
        if contract is None:
            errors.append(ValidationError("Contrat", "{field} : contrat introuvable."))
        elif client_id is not None and not _contract_concerns(session, contract, client_id):
            errors.append(
                ValidationError(
                    "Contrat",
                    "{field} : le contrat {code} n'est pas un contrat de ce client.",
                    code=contract.code,
                )
            )
        elif client_id is None:
            client_id = contract.client_id
    for key, model, label in (
        ("department_id", Department, "Service"),
        ("category_id", LiaisonCategory, "Catégorie"),
        ("assignee_id", User, "Attribuée à"),
    ):
        value = getattr(data, key)
        if value is not None and session.get(model, value) is None:
            errors.append(ValidationError(label, "{field} : valeur introuvable."))
    received = data.received_at or utcnow()
    if received.tzinfo is None:
        raise ValueError("naive datetime refused for received_at")
    if data.due_date is not None and data.due_date < received.astimezone().date():
        errors.append(
            ValidationError("Date d'alerte", "{field} : elle précède la réception de la demande.")
        )
    if errors:
        raise ValidationErrors(errors)
    return {
        "kind": data.kind,
        "caller": caller,
        "caller_phone": phone,
        "client_id": client_id,
        "site_id": data.site_id,
        "contract_id": data.contract_id,
        "department_id": data.department_id,
        "category_id": data.category_id,
        "priority": data.priority,
        "subject": subject,
        "text": text,
        "assignee_id": data.assignee_id,
        "due_date": data.due_date,
        "received_at": received,
    }


def _subject_from(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= 80 else first[:79] + "…"


def _clients_concerned_by(session: Session, site: Site) -> set[int]:
    """The site's client, its payer, and the syndic managing either (who may call)."""
    ids = {site.client_id} | ({site.payer_id} if site.payer_id else set())
    for cid in list(ids):
        client = session.get(Client, cid)
        if client is not None and client.manager_id:
            ids.add(client.manager_id)
    return ids


def _contract_concerns(session: Session, contract: Contract, client_id: int) -> bool:
    """The contract's payer, or the syndic managing it, may call about it."""
    if contract.client_id == client_id:
        return True
    payer = session.get(Client, contract.client_id)
    return payer is not None and payer.manager_id == client_id


# --- helpers -----------------------------------------------------------------------------
def get_entry(session: Session, entry_id: int) -> LiaisonEntry:
    entry = session.get(LiaisonEntry, entry_id)
    if entry is None:
        raise NotFoundError("Fiche de liaison n° {id} introuvable.", id=entry_id)
    return entry


def entry_label(entry: LiaisonEntry) -> str:
    return _("Fiche {number} « {subject} »").format(
        number=entry_number(entry.id), subject=entry.subject
    )


def entry_number(entry_id: int) -> str:
    return f"L{entry_id:05d}"


def _audit(
    session: Session,
    entry: LiaisonEntry,
    action: str,
    summary: str,
    changes: dict[str, tuple[object, object]] | None = None,
) -> None:
    """Record in the history of the entry's client and, when different, of the site's."""
    clients: list[int | None] = [entry.client_id]
    if entry.site_id is not None:
        site = session.get(Site, entry.site_id)
        if site is not None and site.client_id not in clients:
            clients.append(site.client_id)
    for client_id in clients:
        audit.record(
            session,
            "liaison",
            entry.id,
            action,
            summary,
            client_id=client_id,
            changes=changes,
        )


def _log(
    session: Session,
    entry: LiaisonEntry,
    comment: str,
    at: dt.datetime,
    old_status: str = "",
    new_status: str = "",
) -> LiaisonAction:
    action = LiaisonAction(
        entry=entry,
        at=at,
        user_id=audit.current_user_id(session),
        comment=comment,
        old_status=old_status,
        new_status=new_status,
    )
    session.add(action)
    return action


def _notify(session: Session, entry: LiaisonEntry, text: str, at: dt.datetime) -> None:
    """Tell the assignee, unless the assignee is the one acting."""
    if entry.assignee_id is None or entry.assignee_id == audit.current_user_id(session):
        return
    session.add(Notification(user_id=entry.assignee_id, entry_id=entry.id, at=at, text=text))


def _user_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.full_name if user else ""


# --- use cases ---------------------------------------------------------------------------
def create_entry(session: Session, data: EntryInput) -> LiaisonEntry:
    """Log a call / e-mail / visit / note (the quick entry)."""
    values = _validated(session, data)
    entry = LiaisonEntry(status=OPEN, created_by_id=audit.current_user_id(session), **values)
    session.add(entry)
    session.flush()
    at = entry.received_at
    _log(session, entry, _("Fiche créée ({kind}).").format(kind=KINDS[entry.kind]), at, "", OPEN)
    _audit(session, entry, "create", _("{label} créée").format(label=entry_label(entry)))
    if entry.assignee_id is not None:
        _notify(
            session,
            entry,
            _("{label} vous est attribuée.").format(label=entry_label(entry)),
            at,
        )
    session.flush()
    return entry


def update_entry(
    session: Session, entry_id: int, data: EntryInput, *, now: dt.datetime | None = None
) -> dict[str, tuple[object, object]]:
    """Save the entry form; returns what changed. A closed entry must be reopened first."""
    entry = get_entry(session, entry_id)
    if entry.status == CLOSED:
        raise StateError(
            "{label} est clôturée : rouvrez-la pour la modifier.", label=entry_label(entry)
        )
    old_assignee = entry.assignee_id
    data.received_at = data.received_at or entry.received_at
    changes = audit.diff(entry, _validated(session, data))
    if not changes:
        return changes
    at = now or utcnow()
    _log(session, entry, _("Fiche modifiée : {fields}.").format(fields=", ".join(changes)), at)
    _audit(
        session, entry, "update", _("{label} modifiée").format(label=entry_label(entry)), changes
    )
    if entry.assignee_id is not None and entry.assignee_id != old_assignee:
        _notify(
            session, entry, _("{label} vous est attribuée.").format(label=entry_label(entry)), at
        )
    session.flush()
    return changes


def assign_entry(
    session: Session,
    entry_id: int,
    user_id: int | None,
    *,
    comment: str = "",
    now: dt.datetime | None = None,
) -> LiaisonEntry:
    entry = get_entry(session, entry_id)
    if entry.status == CLOSED:
        raise StateError(
            "{label} est clôturée : rouvrez-la pour la réattribuer.", label=entry_label(entry)
        )
    if user_id is not None and session.get(User, user_id) is None:
        raise ValidationError("Attribuée à", "{field} : utilisateur introuvable.")
    if user_id == entry.assignee_id:
        return entry
    at = now or utcnow()
    old = _user_name(session, entry.assignee_id)
    entry.assignee_id = user_id
    name = _user_name(session, user_id) or _("personne")
    text = _("Attribuée à {name}.").format(name=name)
    _log(session, entry, f"{text} {comment}".strip(), at)
    _audit(
        session,
        entry,
        "assign",
        _("{label} attribuée à {name}").format(label=entry_label(entry), name=name),
        {"assignee": (old, name)},
    )
    _notify(session, entry, _("{label} vous est attribuée.").format(label=entry_label(entry)), at)
    session.flush()
    return entry


def add_action(
    session: Session, entry_id: int, comment: str, *, now: dt.datetime | None = None
) -> LiaisonAction:
    """Log what was done (called back, sent the team leader, ordered a key...)."""
    entry = get_entry(session, entry_id)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("Commentaire", "{field} : décrivez l'action menée.")
    if entry.status == CLOSED:
        raise StateError(
            "{label} est clôturée : rouvrez-la pour y ajouter une action.", label=entry_label(entry)
        )
    at = now or utcnow()
    action = _log(session, entry, comment, at)
    _audit(
        session,
        entry,
        "action",
        _("{label} : {comment}").format(label=entry_label(entry), comment=comment),
    )
    _notify(
        session,
        entry,
        _("Nouvelle action sur {label}.").format(label=entry_label(entry)),
        at,
    )
    session.flush()
    return action


def change_status(
    session: Session,
    entry_id: int,
    target: str,
    *,
    comment: str = "",
    resolution: str = "",
    now: dt.datetime | None = None,
) -> LiaisonEntry:
    """Move an entry along :data:`WORKFLOW`; closing requires a resolution text."""
    entry = get_entry(session, entry_id)
    WORKFLOW.check(entry.status, target)
    at = now or utcnow()
    if at < entry.received_at:
        raise ValidationError("Date", "{field} : elle précède la réception de la demande.")
    resolution = (resolution or "").strip()
    old = entry.status
    changes: dict[str, tuple[object, object]] = {"status": (old, target)}
    if target == CLOSED:
        if not resolution:
            raise ValidationError(
                "Résolution", "{field} : indiquez comment la demande a été traitée."
            )
        changes["resolution"] = (entry.resolution, resolution)
        entry.resolution = resolution
        entry.closed_at = at
        text = _("Clôturée : {resolution}").format(resolution=resolution)
    elif old == CLOSED:
        entry.closed_at = None
        text = _("Rouverte.")
    else:
        text = _("Statut : {status}.").format(status=STATUS_LABELS[target])
    WORKFLOW.move(entry, target)
    _log(session, entry, f"{text} {comment.strip()}".strip(), at, old, target)
    summary = _("{label} : {old} → {new}").format(
        label=entry_label(entry), old=STATUS_LABELS[old], new=STATUS_LABELS[target]
    )
    _audit(session, entry, "close" if target == CLOSED else "status", summary, changes)
    _notify(session, entry, summary, at)
    session.flush()
    return entry


def close_entry(
    session: Session, entry_id: int, resolution: str, *, now: dt.datetime | None = None
) -> LiaisonEntry:
    return change_status(session, entry_id, CLOSED, resolution=resolution, now=now)


def reopen_entry(
    session: Session, entry_id: int, reason: str = "", *, now: dt.datetime | None = None
) -> LiaisonEntry:
    return change_status(session, entry_id, OPEN, comment=reason, now=now)


# --- reference lists (departments, categories) ------------------------------------------
def ensure_default_categories(session: Session) -> int:
    """Create the standard categories that are missing; returns how many were added."""
    names = set(session.scalars(select(LiaisonCategory.name)))
    added = [LiaisonCategory(name=n) for n in DEFAULT_CATEGORIES if n not in names]
    session.add_all(added)
    session.flush()
    return len(added)


def save_category(
    session: Session, name: str, *, category_id: int | None = None, active: bool = True
) -> LiaisonCategory:
    """Add (no id) or rename / (de)activate a category."""
    return _save_named(session, LiaisonCategory, "Catégorie", name, category_id, active)


def save_department(
    session: Session, name: str, *, department_id: int | None = None, active: bool = True
) -> Department:
    return _save_named(session, Department, "Service", name, department_id, active)


def _save_named(session, model, label: str, name: str, obj_id: int | None, active: bool):  # type: ignore[no-untyped-def]
    name = identifiers.text(name, label, max_length=100, required=True)
    clash = session.scalar(select(model).where(model.name == name))
    if clash is not None and clash.id != obj_id:
        raise ValidationError(label, "{field} : « {name} » existe déjà.", name=name)
    if obj_id is None:
        obj = model(name=name, active=active)
        session.add(obj)
        session.flush()
        audit.record(session, model.__tablename__, obj.id, "create", f"{label} {name} créé(e)")
        return obj
    obj = session.get(model, obj_id)
    if obj is None:
        raise NotFoundError("{label} introuvable.", label=label)
    changes = audit.diff(obj, {"name": name, "active": active})
    if changes:
        audit.record(
            session,
            model.__tablename__,
            obj.id,
            "update",
            f"{label} {name} modifié(e)",
            changes=changes,
        )
    session.flush()
    return obj


# --- notifications -----------------------------------------------------------------------
@dataclass(frozen=True)
class NotificationRow:
    id: int
    at: dt.datetime
    text: str
    entry_id: int | None
    read: bool


def notifications(
    session: Session, user_id: int, *, unread_only: bool = True
) -> list[NotificationRow]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read.is_(False))
    return [
        NotificationRow(n.id, n.at, n.text, n.entry_id, n.read)
        for n in session.scalars(query.order_by(Notification.at.desc(), Notification.id.desc()))
    ]


def mark_notifications_read(session: Session, user_id: int, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or those ``ids``) as read; returns the count."""
    query = select(Notification).where(
        Notification.user_id == user_id, Notification.read.is_(False)
    )
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    rows = list(session.scalars(query))
    for n in rows:
        n.read = True
    session.flush()
    return len(rows)


@dataclass
class StartupAlerts:
    overdue: int = 0
    overdue_mine: int = 0
    unread: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.overdue or self.unread)
