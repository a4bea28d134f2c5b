"""Read side of the liaison book: plain row records for lists, the entry detail, the
choices of the forms and the start-up alerts. No writes here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import ScalarResult, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.i18n import _, ngettext
from app.liaison.entries import (
    KINDS,
    PRIORITIES,
    STATUS_LABELS,
    WORKFLOW,
    StartupAlerts,
    entry_number,
    get_entry,
    is_overdue,
    local_today,
    notifications,
)
from models.clients import Client, Site
from models.contracts import Contract
from models.liaison import LiaisonCategory, LiaisonEntry
from models.users import Department, User


@dataclass(frozen=True)
class EntryRow:
    id: int
    number: str
    received_at: dt.datetime
    kind: str
    kind_label: str
    caller: str
    client_id: int | None
    client_name: str
    site_id: int | None
    site_name: str
    contract_id: int | None
    contract_code: str
    quote_id: int | None
    department_id: int | None
    department: str
    category_id: int | None
    category: str
    priority: str
    priority_label: str
    subject: str
    assignee_id: int | None
    assignee: str
    due_date: dt.date | None
    status: str
    status_label: str
    overdue: bool
    closed_at: dt.datetime | None
    converted: str


@dataclass(frozen=True)
class ActionRow:
    at: dt.datetime
    user: str
    comment: str
    status_change: str


@dataclass(frozen=True)
class AttachmentRow:
    id: int
    original_name: str
    size: int
    added_at: dt.datetime


@dataclass
class EntryDetail:
    row: EntryRow
    text: str
    caller_phone: str
    resolution: str
    actions: list[ActionRow] = field(default_factory=list)
    attachments: list[AttachmentRow] = field(default_factory=list)
    next_statuses: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SiteChoice:
    id: int
    label: str
    client_ids: frozenset[int]


@dataclass
class Choices:
    """Everything the entry forms offer, as (id, label) pairs."""

    clients: list[tuple[int, str]]
    sites: list[SiteChoice]
    contracts: list[SiteChoice]  # (id, « code — title », client ids concerned)
    departments: list[tuple[int, str]]
    categories: list[tuple[int, str]]
    users: list[tuple[int, str]]


@dataclass(frozen=True)
class EntryFilter:
    client_id: int | None = None
    site_id: int | None = None
    contract_id: int | None = None
    status: str | None = None  # a status, "active" (not closed) or None
    assignee_id: int | None = None
    department_id: int | None = None
    category_id: int | None = None
    overdue_only: bool = False
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _names(
    session: Session, key: InstrumentedAttribute[int], name: InstrumentedAttribute[str]
) -> dict[int, str]:
    return {i: text for i, text in session.execute(select(key, name))}


def _row(entry: LiaisonEntry, names: dict[str, dict[int, str]], today: dt.date) -> EntryRow:
    def name(kind: str, key: int | None) -> str:
        return names[kind].get(key, "") if key is not None else ""

    converted = ""
    if entry.converted_kind:
        converted = f"{entry.converted_kind} {entry.converted_ref}".strip()
    return EntryRow(
        id=entry.id,
        number=entry_number(entry.id),
        received_at=entry.received_at,
        kind=entry.kind,
        kind_label=KINDS.get(entry.kind, entry.kind),
        caller=entry.caller,
        client_id=entry.client_id,
        client_name=name("clients", entry.client_id),
        site_id=entry.site_id,
        site_name=name("sites", entry.site_id),
        contract_id=entry.contract_id,
        contract_code=name("contracts", entry.contract_id),
        quote_id=entry.quote_id,
        department_id=entry.department_id,
        department=name("departments", entry.department_id),
        category_id=entry.category_id,
        category=name("categories", entry.category_id),
        priority=entry.priority,
        priority_label=PRIORITIES.get(entry.priority, entry.priority),
        subject=entry.subject,
        assignee_id=entry.assignee_id,
        assignee=name("users", entry.assignee_id),
        due_date=entry.due_date,
        status=entry.status,
        status_label=STATUS_LABELS.get(entry.status, entry.status),
        overdue=is_overdue(entry.status, entry.due_date, today),
        closed_at=entry.closed_at,
        converted=converted,
    )


def _all_names(session: Session) -> dict[str, dict[int, str]]:
    return {
        "clients": _names(session, Client.id, Client.name),
        "sites": _names(session, Site.id, Site.name),
        "contracts": _names(session, Contract.id, Contract.code),
        "departments": _names(session, Department.id, Department.name),
        "categories": _names(session, LiaisonCategory.id, LiaisonCategory.name),
        "users": _names(session, User.id, User.full_name),
    }


def list_entries(
    session: Session, flt: EntryFilter | None = None, *, today: dt.date | None = None
) -> list[EntryRow]:
    """Entries matching the filter, most recent first."""
    flt = flt or EntryFilter()
    today = today or local_today()
    query = select(LiaisonEntry)
    if flt.client_id is not None:
        # Entries about the client itself or about one of its sites.
        site_ids = select(Site.id).where(Site.client_id == flt.client_id)
        query = query.where(
            (LiaisonEntry.client_id == flt.client_id) | LiaisonEntry.site_id.in_(site_ids)
        )
    for column, value in (
        (LiaisonEntry.site_id, flt.site_id),
        (LiaisonEntry.contract_id, flt.contract_id),
        (LiaisonEntry.assignee_id, flt.assignee_id),
        (LiaisonEntry.department_id, flt.department_id),
        (LiaisonEntry.category_id, flt.category_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if flt.status == "active":
        query = query.where(LiaisonEntry.status != "closed")
    elif flt.status:
        query = query.where(LiaisonEntry.status == flt.status)
    if flt.overdue_only:
        query = query.where(LiaisonEntry.status != "closed", LiaisonEntry.due_date < today)
    names = _all_names(session)
    rows = []
    for entry in session.scalars(
        query.order_by(LiaisonEntry.received_at.desc(), LiaisonEntry.id.desc())
    ):
        day = entry.received_at.astimezone().date()
        if (flt.date_from and day < flt.date_from) or (flt.date_to and day > flt.date_to):
            continue
        rows.append(_row(entry, names, today))
    return rows


def entry_detail(session: Session, entry_id: int, *, today: dt.date | None = None) -> EntryDetail:
    entry = get_entry(session, entry_id)
    names = _all_names(session)
    users = names["users"]
    actions = []
    for a in sorted(entry.actions, key=lambda a: (a.at, a.id)):
        change = ""
        if a.new_status and a.old_status != a.new_status:
            change = (
                f"{STATUS_LABELS.get(a.old_status, '—')} → {STATUS_LABELS[a.new_status]}"
                if a.old_status
                else STATUS_LABELS[a.new_status]
            )
        actions.append(
            ActionRow(a.at, users.get(a.user_id, "") if a.user_id else "", a.comment, change)
        )
    return EntryDetail(
        row=_row(entry, names, today or local_today()),
        text=entry.text,
        caller_phone=entry.caller_phone,
        resolution=entry.resolution,
        actions=actions,
        attachments=[
            AttachmentRow(f.id, f.original_name, f.size, f.added_at)
            for f in sorted(entry.attachments, key=lambda f: f.id)
        ],
        next_statuses=[(s, STATUS_LABELS[s]) for s in WORKFLOW.allowed(entry.status)],
    )


# What a choice list offers while active.
_Listed = TypeVar("_Listed", Client, Site, Department, LiaisonCategory, User)


def choices(session: Session, *, include_inactive: bool = False) -> Choices:
    def active(model: type[_Listed]) -> ScalarResult[_Listed]:
        query = select(model)
        if not include_inactive:
            query = query.where(model.active.is_(True))
        return session.scalars(query)

    clients = sorted(((c.id, f"{c.name} ({c.code})") for c in active(Client)), key=_label_key)
    sites = sorted(
        (
            SiteChoice(
                s.id,
                f"{s.name} — {s.city}" if s.city else s.name,
                frozenset(i for i in (s.client_id, s.payer_id, _manager(session, s)) if i),
            )
            for s in active(Site)
        ),
        key=lambda s: s.label.casefold(),
    )
    contracts = []
    for c in session.scalars(select(Contract).order_by(Contract.code)):
        payer = session.get(Client, c.client_id)
        ids = {c.client_id} | ({payer.manager_id} if payer and payer.manager_id else set())
        contracts.append(
            SiteChoice(c.id, f"{c.code} — {c.title}" if c.title else c.code, frozenset(ids))
        )
    return Choices(
        clients=clients,
        sites=sites,
        contracts=contracts,
        departments=sorted(((d.id, d.name) for d in active(Department)), key=_label_key),
        categories=sorted(((c.id, c.name) for c in active(LiaisonCategory)), key=_label_key),
        users=sorted(((u.id, u.full_name) for u in active(User)), key=_label_key),
    )


def _manager(session: Session, site: Site) -> int | None:
    client = session.get(Client, site.client_id)
    return client.manager_id if client is not None else None


def _label_key(pair: tuple[int, str]) -> str:
    return pair[1].casefold()


def category_count(session: Session) -> int:
    return len(list(session.scalars(select(LiaisonCategory.id))))


def overdue_count(session: Session, *, today: dt.date | None = None) -> int:
    return len(list_entries(session, EntryFilter(overdue_only=True), today=today))


def startup_alerts(
    session: Session, user_id: int | None, *, today: dt.date | None = None
) -> StartupAlerts:
    """What to tell the user when the main window opens: overdue alerts, unread messages."""
    rows = list_entries(session, EntryFilter(overdue_only=True), today=today)
    alerts = StartupAlerts(overdue=len(rows))
    if user_id is not None:
        alerts.overdue_mine = sum(1 for r in rows if r.assignee_id == user_id)
        alerts.unread = len(notifications(session, user_id))
    if alerts.overdue:
        alerts.lines.append(
            ngettext(
                "{n} alerte du cahier de liaison est en retard.",
                "{n} alertes du cahier de liaison sont en retard.",
                alerts.overdue,
            ).format(n=alerts.overdue)
        )
        if alerts.overdue_mine:
            alerts.lines.append(
                ngettext(
                    "{n} d'entre elles vous est attribuée.",
                    "{n} d'entre elles vous sont attribuées.",
                    alerts.overdue_mine,
                ).format(n=alerts.overdue_mine)
            )
        for r in sorted(rows, key=lambda r: (r.due_date or dt.date.min, r.id))[:5]:
            alerts.lines.append(
                _("{number} — {subject} (échéance {due}, {who})").format(
                    number=r.number,
                    subject=r.subject,
                    due=r.due_date.strftime("%d/%m/%Y") if r.due_date else "",
                    who=r.assignee or _("non attribuée"),
                )
            )
    if alerts.unread:
        alerts.lines.append(
            ngettext(
                "Vous avez {n} notification non lue.",
                "Vous avez {n} notifications non lues.",
                alerts.unread,
            ).format(n=alerts.unread)
        )
    return alerts
