"""Dunning: levels with configurable delays, late penalties, the 40 € indemnity, the run
proposing the letters due today, the reminders sent and their letters.

An invoice reaches level n (relance 1, relance 2, mise en demeure) when a reminder of that
level cited it. Level n is due for an invoice once it is ``days_after_due`` days late and
its reached level is lower. A client's letter lists all its overdue invoices, at the
highest level due among them. Clients in litigation are left to the litigation follow-up
(reported, never dunned automatically).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.addressing import billing_address_lines
from app.collections.aging import OpenItem, days_late, open_items
from app.company import public_late_rate
from app.errors import NotFoundError, ValidationError
from app.lookup import get_row
from app.money import ZERO, format_amount, round_money
from models.clients import Client, ClientKind
from models.collections import (
    DunningCode,
    DunningLevel,
    Reminder,
    ReminderChannel,
    ReminderItem,
)
from models.company import CompanySettings
from models.invoices import Invoice
from reports.dunning import DunningInvoice, DunningLetter

# Per late invoice: art. D441-5 Code de commerce; art. D2192-35 Code de la commande publique.
INDEMNITY = Decimal("40.00")
DAYS_PER_YEAR = Decimal(365)


# --- pure rules ---------------------------------------------------------------------------


def late_penalty(amount: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    """Penalty = amount × rate % × days / 365, rounded half-up to the cent."""
    if days <= 0 or amount <= ZERO:
        return ZERO
    return round_money(amount * annual_rate / Decimal(100) * Decimal(days) / DAYS_PER_YEAR)


def indemnity(professional: bool, late_invoices: int) -> Decimal:
    """40 € per late invoice, for professional debtors only (never a copropriété or a
    private person)."""
    return INDEMNITY * late_invoices if professional else ZERO


@dataclass(frozen=True)
class LevelRule:
    level: int
    code: str
    label: str
    days: int


def next_level(
    rules: list[LevelRule], late: int, reached: tuple[int, dt.date] | None, on: dt.date
) -> LevelRule | None:
    """The level due for one invoice: the one after the level it reached, once the invoice is
    late enough and, after a first reminder, the gap between the two levels has passed since
    it (a relance 2 never follows a relance 1 the next day; no level is skipped)."""
    ordered = sorted(rules, key=lambda r: r.level)
    done = reached[0] if reached else 0
    following = [r for r in ordered if r.level > done]
    if not following:
        return None
    rule = following[0]
    if late < rule.days:
        return None
    if reached is not None:
        before = [r for r in ordered if r.level <= done]
        gap = rule.days - (before[-1].days if before else 0)
        if (on - reached[1]).days < gap:
            return None
    return rule


# --- settings -------------------------------------------------------------------------------


def ensure_levels(session: Session) -> list[DunningLevel]:
    """The three levels, created with the default delays (15, 30, 45 days) if missing."""
    levels = list(session.scalars(select(DunningLevel).order_by(DunningLevel.level)))
    if levels:
        return levels
    for n, code in enumerate(DunningCode.ALL, 1):
        session.add(
            DunningLevel(
                level=n,
                code=code,
                label=DunningCode.LABELS[code],
                days_after_due=DunningCode.DEFAULT_DAYS[code],
            )
        )
    session.flush()
    return list(session.scalars(select(DunningLevel).order_by(DunningLevel.level)))


def level_rules(session: Session) -> list[LevelRule]:
    levels = list(session.scalars(select(DunningLevel).order_by(DunningLevel.level)))
    if not levels:
        return [
            LevelRule(n, c, DunningCode.LABELS[c], DunningCode.DEFAULT_DAYS[c])
            for n, c in enumerate(DunningCode.ALL, 1)
        ]
    return [LevelRule(x.level, x.code, x.label, x.days_after_due) for x in levels if x.active]


def level_days(session: Session) -> dict[str, int]:
    """Delay (days after the due date) of each active level, by code."""
    return {r.code: r.days for r in level_rules(session)}


def set_level_delays(session: Session, days: dict[str, int]) -> list[DunningLevel]:
    """Change the delays (days after the due date); they must increase with the level."""
    levels = ensure_levels(session)
    new = {lv.code: int(days.get(lv.code, lv.days_after_due)) for lv in levels}
    previous = 0
    for lv in levels:
        label = f"Délai {lv.label}"
        if new[lv.code] < 1:
            raise ValidationError(label, "{field} : au moins un jour après l'échéance.")
        if new[lv.code] <= previous:
            raise ValidationError(label, "{field} : doit dépasser le délai du niveau précédent.")
        previous = new[lv.code]
    for lv in levels:
        if lv.days_after_due != new[lv.code]:
            audit.record(
                session,
                "dunning_level",
                lv.id,
                "update",
                f"{lv.label} : {lv.days_after_due} → {new[lv.code]} jours après l'échéance",
            )
            lv.days_after_due = new[lv.code]
    session.flush()
    return levels


# --- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedItem:
    invoice_id: int
    number: str
    issue_date: dt.date
    due_date: dt.date | None
    open_amount: Decimal
    days_late: int
    penalty: Decimal
    reached: int  # level already sent for this invoice


@dataclass(frozen=True)
class Proposal:
    client_id: int
    client: str
    professional: bool
    level: int
    code: str
    label: str
    items: tuple[ProposedItem, ...]
    penalty: Decimal
    indemnity: Decimal
    email: str = ""

    @property
    def total_due(self) -> Decimal:
        return sum((i.open_amount for i in self.items), ZERO)

    @property
    def total_claimed(self) -> Decimal:
        return self.total_due + self.penalty + self.indemnity


@dataclass
class DunningRun:
    on: dt.date
    proposals: list[Proposal] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # litigation clients, with the reason


def reached_levels(session: Session, invoice_ids: list[int]) -> dict[int, tuple[int, dt.date]]:
    """Per invoice: the highest level sent and the date of that reminder."""
    if not invoice_ids:
        return {}
    result: dict[int, tuple[int, dt.date]] = {}
    for invoice_id, level, sent_on in session.execute(
        select(ReminderItem.invoice_id, Reminder.level, Reminder.sent_on)
        .join(Reminder, Reminder.id == ReminderItem.reminder_id)
        .where(ReminderItem.invoice_id.in_(invoice_ids))
        .order_by(Reminder.level, Reminder.sent_on)
    ):
        result[invoice_id] = (level, sent_on)
    return result


def propose(
    client: Client,
    items: list[OpenItem],
    rules: list[LevelRule],
    reached: dict[int, tuple[int, dt.date]],
    rate: Decimal,
    on: dt.date,
) -> Proposal | None:
    """The letter due today for one client, or None (nothing overdue, or already sent)."""
    overdue = [i for i in items if i.amount > ZERO and days_late(i.due_date, on) > 0]
    due_levels = []
    for item in overdue:
        rule = next_level(rules, days_late(item.due_date, on), reached.get(item.invoice_id), on)
        if rule is not None:
            due_levels.append(rule)
    if not due_levels:
        return None
    rule = max(due_levels, key=lambda r: r.level)
    proposed = tuple(
        ProposedItem(
            i.invoice_id,
            i.number,
            i.issue_date,
            i.due_date,
            i.amount,
            days_late(i.due_date, on),
            late_penalty(i.amount, rate, days_late(i.due_date, on)),
            reached[i.invoice_id][0] if i.invoice_id in reached else 0,
        )
        for i in overdue
    )
    claims = rule.level >= 2  # the first reminder is a courtesy letter: nothing claimed
    return Proposal(
        client_id=client.id,
        client=client.name,
        professional=client.is_professional,
        level=rule.level,
        code=rule.code,
        label=rule.label,
        items=proposed,
        penalty=sum((p.penalty for p in proposed), ZERO) if claims else ZERO,
        indemnity=indemnity(client.is_professional, len(proposed)) if claims else ZERO,
        email=client.invoice_email or client.email,
    )


def penalty_rate(session: Session, client: Client | None = None) -> Decimal:
    """The annual late rate claimed from ``client``: the firm's commercial rate, or for a
    public buyer the ECB rate + 8 points (Code de la commande publique, art. R2192-31)."""
    company = session.get(CompanySettings, 1)
    public = client is not None and client.kind == ClientKind.PUBLIC
    if company is None:
        return public_late_rate(Decimal("2.15")) if public else Decimal("12.15")
    return public_late_rate(company.ecb_rate) if public else company.late_penalty_rate


def dunning_run(session: Session, on: dt.date) -> DunningRun:
    """The letters due on ``on``, one per client (litigation clients reported apart)."""
    run = DunningRun(on)
    items = [i for i in open_items(session, on) if i.amount > ZERO]
    by_client: dict[int, list[OpenItem]] = defaultdict(list)
    for item in items:
        by_client[item.client_id].append(item)
    if not by_client:
        return run
    reached = reached_levels(session, [i.invoice_id for i in items])
    rules = level_rules(session)
    rate = penalty_rate(session)
    clients = session.scalars(select(Client).where(Client.id.in_(list(by_client))))
    for client in sorted(clients, key=lambda c: c.name):
        client_rate = penalty_rate(session, client) if client.kind == ClientKind.PUBLIC else rate
        proposal = propose(client, by_client[client.id], rules, reached, client_rate, on)
        if proposal is None:
            continue
        if client.in_litigation:
            run.skipped.append(
                f"{client.name} : client en litige — relance automatique suspendue "
                f"({proposal.label} due)."
            )
            continue
        run.proposals.append(proposal)
    return run


def record_reminders(
    session: Session,
    on: dt.date,
    client_ids: list[int] | None = None,
    *,
    channel: str = ReminderChannel.LETTER,
    note: str = "",
) -> list[Reminder]:
    """Record the reminders proposed on ``on`` (all, or those of ``client_ids``)."""
    if channel not in ReminderChannel.LABELS:
        raise ValidationError("Envoi", "{field} : courrier ou e-mail.")
    reminders = []
    for p in dunning_run(session, on).proposals:
        if client_ids is not None and p.client_id not in client_ids:
            continue
        reminder = Reminder(
            client_id=p.client_id,
            level=p.level,
            code=p.code,
            sent_on=on,
            channel=channel,
            total_due=p.total_due,
            penalty=p.penalty,
            indemnity=p.indemnity,
            note=note,
            created_by_id=audit.current_user_id(session),
            items=[
                ReminderItem(
                    invoice_id=i.invoice_id,
                    open_amount=i.open_amount,
                    days_late=i.days_late,
                    penalty=i.penalty,
                )
                for i in p.items
            ],
        )
        session.add(reminder)
        session.flush()
        numbers = ", ".join(i.number for i in p.items)
        audit.record(
            session,
            "reminder",
            reminder.id,
            "dunning",
            f"{p.label} ({ReminderChannel.LABELS[channel].lower()}) : {numbers} — "
            f"{format_amount(p.total_due)} dus, pénalités {format_amount(p.penalty)}, indemnité {format_amount(p.indemnity)}",
            client_id=p.client_id,
        )
        reminders.append(reminder)
    return reminders


# --- history and letters --------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRow:
    id: int
    client_id: int
    client: str
    sent_on: dt.date
    label: str
    channel: str
    invoices: str
    total_due: Decimal
    penalty: Decimal
    indemnity: Decimal


def reminder_history(session: Session, client_id: int | None = None) -> list[ReminderRow]:
    query = (
        select(Reminder, Client.name)
        .join(Client, Client.id == Reminder.client_id)
        .order_by(Reminder.sent_on.desc(), Reminder.id.desc())
    )
    if client_id is not None:
        query = query.where(Reminder.client_id == client_id)
    rows = session.execute(query).all()
    ids = [r.id for r, _n in rows]
    numbers: dict[int, list[str]] = defaultdict(list)
    if ids:
        for reminder_id, number in session.execute(
            select(ReminderItem.reminder_id, Invoice.number)
            .join(Invoice, Invoice.id == ReminderItem.invoice_id)
            .where(ReminderItem.reminder_id.in_(ids))
            .order_by(ReminderItem.id)
        ):
            numbers[reminder_id].append(number or "")
    return [
        ReminderRow(
            r.id,
            r.client_id,
            name,
            r.sent_on,
            DunningCode.LABELS.get(r.code, r.code),
            ReminderChannel.LABELS.get(r.channel, r.channel),
            ", ".join(numbers[r.id]),
            r.total_due,
            r.penalty,
            r.indemnity,
        )
        for r, name in rows
    ]


def letter_of(session: Session, reminder_id: int) -> DunningLetter:
    """The letter of a recorded reminder (reprinted identically from what was recorded)."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None:
        raise NotFoundError("Relance n° {id} introuvable.", id=reminder_id)
    client = get_row(session, Client, reminder.client_id, "Client")
    company = session.get(CompanySettings, 1)
    invoices = {
        i.id: i
        for i in session.scalars(
            select(Invoice).where(Invoice.id.in_([x.invoice_id for x in reminder.items]))
        )
    }
    return DunningLetter(
        level=reminder.level,
        code=reminder.code,
        recipient_lines=tuple(billing_address_lines(client)),
        professional=client.is_professional,
        public_body=client.kind == ClientKind.PUBLIC,
        on=reminder.sent_on,
        items=tuple(
            DunningInvoice(
                invoices[x.invoice_id].number or "",
                invoices[x.invoice_id].issue_date,
                invoices[x.invoice_id].due_date,
                x.open_amount,
                x.days_late,
                x.penalty,
            )
            for x in reminder.items
        ),
        penalty_rate=penalty_rate(session, client),
        penalty=reminder.penalty,
        indemnity=reminder.indemnity,
        iban=company.iban if company else "",
        phone=company.phone if company else "",
        signature=f"Le service comptabilité — {company.name}" if company else "",
    )


def letter_docx(session: Session, reminder_id: int) -> bytes:
    from app.documents.printing import letterhead
    from reports.dunning import render_dunning_docx

    return render_dunning_docx(letterhead(session), letter_of(session, reminder_id))


def letter_pdf(session: Session, reminder_id: int) -> bytes:
    from app.documents.printing import letterhead
    from reports.dunning import render_dunning_pdf

    return render_dunning_pdf(letterhead(session), letter_of(session, reminder_id))


def letter_email(session: Session, reminder_id: int) -> tuple[str, str]:
    from app.documents.printing import letterhead
    from reports.dunning import dunning_email

    return dunning_email(letterhead(session), letter_of(session, reminder_id))
