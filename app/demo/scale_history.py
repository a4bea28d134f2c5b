"""Demo step: the reference firm's history — payments and liaison entries (``--contracts N``).

Runs after the demo's own payments step, which leaves the reference firm's invoices alone
(recording them one by one would take minutes). Here they are settled in bulk, with the
rows :func:`app.payments.entry.record_payment` would write: a payment numbered in the
"payment" series, its allocation, the matching letter when the invoice is settled
(:func:`app.payments.allocation.letter_code`, per client, in settlement order) and the
audit events of both. Most invoices due by 31 August 2026 are paid on or a little after
their due date (transfers, cheques for private persons, remitted on a monthly slip),
some late, some partially, about 5 % left open and overdue.

The "payment" series is chronological: the reference firm's payments fall between the demo
firm's, so the year's register is rebuilt in date order through
:func:`app.numbering.next_numbers` and the demo payments whose number moved are renamed
(row, register, audit texts) — the file reads as if every payment had been keyed in on its
day. Liaison entries (about one per ten contracts) are numbered like the liaison module
numbers them (``L`` + id, :func:`app.liaison.entries.entry_number`), with their action log, audit
events and the assignment notification. Deterministic: ``ctx.rng`` and fixed dates.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app import audit
from app.demo import DEMO_TODAY, HISTORY_END
from app.demo.liaison import HANDLERS, SCENARIOS
from app.demo.payments import BANKS
from app.liaison.entries import (
    CLOSED,
    IN_PROGRESS,
    KINDS,
    OPEN,
    STATUS_LABELS,
    WAITING,
    ensure_default_categories,
    entry_number,
)
from app.money import ZERO, format_amount, round_money
from app.numbering import get_series, next_numbers
from app.payments.allocation import letter_code
from app.payments.remittance import cheques_to_remit, create_remittance
from app.receivables import credited_by_invoice
from models.audit import AuditEvent
from models.clients import Client, ClientKind
from models.company import IssuedNumber, NumberCounter
from models.contracts import Contract
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.liaison import LiaisonAction, LiaisonCategory, LiaisonEntry, Notification
from models.payments import (
    Allocation,
    ChequeRemittance,
    ChequeRemittanceLine,
    Payment,
    PaymentMeans,
)
from models.users import Department

_NUMBER = re.compile(r"RG\d{4}-\d{5}")


@dataclass
class _Pay:
    day: dt.date
    invoice_id: int
    invoice_number: str
    client_id: int
    amount: Decimal
    settles: bool
    means: str
    reference: str = ""
    cheque_bank: str = ""
    cheque_number: str = ""


def load(session: Session, ctx: Any) -> None:
    if not ctx.objects.get("scale_client_ids"):
        return  # no --contracts: the demo firm stays exactly as it is
    _payments(session, ctx)
    _liaison(session, ctx)
    session.flush()


# --- payments ------------------------------------------------------------------------------
def _plan(session: Session, rng: random.Random) -> list[_Pay]:
    """One payment per invoice that gets paid (or partly paid) by 31 August 2026."""
    clients = {
        cid: (name, means)
        for cid, name, means in session.execute(
            select(Client.id, Client.name, Client.payment_means).where(Client.code.like("RF%"))
        )
    }
    invoices = session.execute(
        select(
            Invoice.id,
            Invoice.client_id,
            Invoice.number,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.amount_due,
        )
        .join(Client, Client.id == Invoice.client_id)
        .where(
            Client.code.like("RF%"),
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.kind.in_((InvoiceKind.INVOICE, InvoiceKind.DOWN_PAYMENT)),
            Invoice.issue_date <= HISTORY_END,
        )
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()
    credited = credited_by_invoice(session, [row.id for row in invoices])
    plan: list[_Pay] = []
    for inv in invoices:
        owed = inv.amount_due - credited.get(inv.id, ZERO)
        due = inv.due_date or inv.issue_date
        roll = rng.random()
        share = Decimal(1)
        if due > HISTORY_END:  # not due yet on the demo's today: a few pay early
            if roll >= 0.12:
                continue
            day = inv.issue_date + dt.timedelta(days=rng.randrange(5, 25))
        elif roll < 0.05:  # still open, overdue: dunning, aged balance, credit limit
            continue
        elif roll < 0.10:  # partly paid
            share = rng.choice([Decimal("0.3"), Decimal("0.5")])
            day = min(due + dt.timedelta(days=rng.randrange(0, 10)), HISTORY_END)
        elif roll < 0.18 and due + dt.timedelta(days=20) <= HISTORY_END:  # paid late
            day = min(due + dt.timedelta(days=rng.randrange(20, 60)), HISTORY_END)
        else:
            day = due + dt.timedelta(days=rng.randrange(-5, 10))
            if day > HISTORY_END:  # due at the end of August: paid on time
                day = due - dt.timedelta(days=rng.randrange(0, 6))
        day = max(day, inv.issue_date)
        amount = round_money(owed * share)
        if day > HISTORY_END or amount <= ZERO:
            continue
        name, client_means = clients[inv.client_id]
        means = client_means if client_means in ("cheque", "transfer") else "transfer"
        pay = _Pay(day, inv.id, inv.number or "", inv.client_id, amount, amount == owed, means)
        if means == PaymentMeans.CHEQUE:
            pay.cheque_bank = rng.choice(BANKS)
            pay.cheque_number = f"{rng.randrange(1000000, 9999999)}"
        else:
            pay.reference = f"VIR {name[:20].upper()} {pay.invoice_number}"
        plan.append(pay)
    plan.sort(key=lambda p: (p.day, p.invoice_id))
    return plan


def _payments(session: Session, ctx: Any) -> None:
    plan = _plan(session, ctx.rng)
    if not plan:
        return
    user_id = audit.current_user_id(session)
    session.execute(
        insert(Payment),
        [
            {
                "number": f"~RF{k:07d}",
                "date": p.day,
                "client_id": p.client_id,
                "means": p.means,
                "amount": p.amount,
                "reference": p.reference,
                "cheque_bank": p.cheque_bank,
                "cheque_number": p.cheque_number,
                "created_by_id": user_id,
            }
            for k, p in enumerate(plan)
        ],
    )
    ids = list(
        session.scalars(select(Payment.id).where(Payment.number.like("~RF%")).order_by(Payment.id))
    )
    numbers = _renumber(session, dict(zip(ids, plan, strict=True)))
    # Allocations and their matching letters (one letter per settled invoice, per client).
    used: dict[int, set[str]] = defaultdict(set)
    for client_id, letter in session.execute(
        select(Payment.client_id, Allocation.letter)
        .join(Allocation, Allocation.payment_id == Payment.id)
        .where(Payment.client_id.in_({p.client_id for p in plan}), Allocation.letter != "")
    ):
        used[client_id].add(letter)
    rows = []
    for pid, p in zip(ids, plan, strict=True):
        letter = ""
        if p.settles:
            n = 1
            while letter_code(n) in used[p.client_id]:
                n += 1
            letter = letter_code(n)
            used[p.client_id].add(letter)
        rows.append(
            {
                "payment_id": pid,
                "invoice_id": p.invoice_id,
                "date": p.day,
                "amount": p.amount,
                "writeoff": ZERO,
                "letter": letter,
                "created_by_id": user_id,
            }
        )
    session.execute(insert(Allocation), rows)
    allocation_ids = dict(
        session.execute(
            select(Allocation.payment_id, Allocation.id).where(Allocation.payment_id >= ids[0])
        ).all()
    )
    events = []
    for pid, p in zip(ids, plan, strict=True):
        number = numbers[pid]
        label = PaymentMeans.LABELS[p.means]
        events.append(
            audit.event_row(
                "payment",
                pid,
                "create",
                f"Règlement {number} ({label}) de {format_amount(p.amount)}",
                user_id=user_id,
                client_id=p.client_id,
            )
        )
        events.append(
            audit.event_row(
                "allocation",
                allocation_ids[pid],
                "create",
                f"{number} imputé sur {p.invoice_number} : {format_amount(p.amount)}",
                user_id=user_id,
                client_id=p.client_id,
            )
        )
    audit.record_rows(session, events)
    _remittances(session, {pid for pid, p in zip(ids, plan, strict=True) if p.means == "cheque"})


def _renumber(session: Session, new: dict[int, _Pay]) -> dict[int, str]:
    """Rebuild the register of each year concerned in date order; return id → number.

    The year's numbers are given back and taken again through :func:`next_numbers`, one call
    per day (the demo payments of a day before the reference firm's). Demo payments whose
    number moved are renamed, in their row and in the audit texts citing them.
    """
    series = get_series(session, "payment")
    numbers: dict[int, str] = {}
    renamed: dict[str, str] = {}
    for year in sorted({p.day.year for p in new.values()}):
        key = f"{year:04d}"
        old = session.execute(
            select(Payment.id, Payment.date, Payment.number)
            .join(IssuedNumber, IssuedNumber.number == Payment.number)
            .where(IssuedNumber.series_id == series.id, IssuedNumber.period_key == key)
            .order_by(IssuedNumber.seq)
        ).all()
        order = sorted(
            [(d, 0, seq, pid) for seq, (pid, d, _n) in enumerate(old)]
            + [(p.day, 1, pid, pid) for pid, p in new.items() if p.day.year == year]
        )
        session.execute(
            delete(IssuedNumber).where(
                IssuedNumber.series_id == series.id, IssuedNumber.period_key == key
            )
        )
        counter = session.scalar(
            select(NumberCounter).where(
                NumberCounter.series_id == series.id, NumberCounter.period_key == key
            )
        )
        if counter is not None:
            earlier = session.scalars(
                select(NumberCounter.last_date).where(
                    NumberCounter.series_id == series.id, NumberCounter.period_key < key
                )
            ).all()
            counter.last_value = 0
            counter.last_date = max((d for d in earlier if d is not None), default=None)
            session.flush()
        by_day: dict[dt.date, list[int]] = defaultdict(list)
        for day, _kind, _seq, pid in order:
            by_day[day].append(pid)
        for day in sorted(by_day):
            day_ids = by_day[day]
            for pid, number in zip(
                day_ids,
                next_numbers(session, "payment", day, day_ids, doc_type="payment"),
                strict=True,
            ):
                numbers[pid] = number.text
        renamed.update({n: numbers[pid] for pid, _d, n in old if numbers[pid] != n})
    moved = [pid for pid, number in numbers.items() if pid not in new]
    # Two passes: numbers are unique and old ones may be taken by another payment.
    session.execute(update(Payment), [{"id": pid, "number": f"~MV{pid}"} for pid in moved])
    session.execute(update(Payment), [{"id": pid, "number": n} for pid, n in numbers.items()])
    if renamed:
        rows = session.execute(
            select(AuditEvent.id, AuditEvent.summary).where(AuditEvent.summary.like("%RG%"))
        ).all()
        changes = []
        for event_id, summary in rows:
            text = _NUMBER.sub(lambda m: renamed.get(m.group(0), m.group(0)), summary)
            if text != summary:
                changes.append({"id": event_id, "summary": text})
        if changes:
            session.execute(update(AuditEvent), changes)
    return numbers


def _remittances(session: Session, cheque_ids: set[int]) -> None:
    """The reference firm's cheques of each month go on that month's slip (August's are
    still to remit): added to the demo firm's slip of the month when there is one (its
    count, total and audit text follow), else on a new slip."""
    pending = [c for c in cheques_to_remit(session) if c.payment_id in cheque_ids]
    months = sorted({(c.date.year, c.date.month) for c in pending if c.date < dt.date(2026, 8, 1)})
    slips: dict[tuple[int, int], ChequeRemittance] = {}
    for existing in session.scalars(select(ChequeRemittance).order_by(ChequeRemittance.id)):
        first = min((line.payment.date for line in existing.lines), default=existing.date)
        slips.setdefault((first.year, first.month), existing)
    for year, month in months:
        chosen = [c for c in pending if (c.date.year, c.date.month) == (year, month)]
        last = max(c.date for c in chosen)
        slip = slips.get((year, month))
        if slip is None:
            create_remittance(session, [c.payment_id for c in chosen], last + dt.timedelta(days=1))
            continue
        old_summary = _slip_summary(slip)
        slip.date = max(slip.date, last + dt.timedelta(days=1))
        slip.count += len(chosen)
        slip.total += sum((c.amount for c in chosen), ZERO)
        session.execute(
            insert(ChequeRemittanceLine),
            [{"remittance_id": slip.id, "payment_id": c.payment_id} for c in chosen],
        )
        session.execute(
            update(AuditEvent)
            .where(
                AuditEvent.entity_type == "cheque_remittance",
                AuditEvent.entity_id == slip.id,
                AuditEvent.summary == old_summary,
            )
            .values(summary=_slip_summary(slip))
        )


def _slip_summary(slip: ChequeRemittance) -> str:
    """The audit text of :func:`app.payments.remittance.create_remittance`."""
    return (
        f"Remise de chèques {slip.reference} : {slip.count} chèque(s), {format_amount(slip.total)}"
    )


# --- liaison book --------------------------------------------------------------------------
def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def _liaison(session: Session, ctx: Any) -> None:
    """About one entry per ten reference contracts, 2025–2026: the earliest are the quote
    requests before the contract, the others follow its start; most closed with a
    resolution, the recent ones open or in progress, some past their due date."""
    ensure_default_categories(session)
    users: dict[str, Any] = ctx.objects.get("users", {})
    rng: random.Random = ctx.rng
    departments = {d.name: d.id for d in session.scalars(select(Department))}
    categories = {c.name: c.id for c in session.scalars(select(LiaisonCategory))}
    contracts = session.execute(
        select(
            Contract.id,
            Contract.client_id,
            Contract.site_id,
            Contract.start_date,
            Client.kind,
            Client.manager_id,
            Client.name,
        )
        .join(Client, Client.id == Contract.client_id)
        .where(Client.code.like("RF%"))
        .order_by(Contract.id)
    ).all()
    if not contracts:
        return
    reception = users.get("sophie")
    reception_id = reception.id if reception is not None else None
    quote_request = next(s for s in SCENARIOS if s[0] == "Demande de devis")
    entries: list[dict[str, Any]] = []
    steps: list[list[tuple[str, str, dt.datetime]]] = []  # per entry: (status, comment, at)
    for n, c in enumerate(contracts[::10]):
        scenario = SCENARIOS[n % len(SCENARIOS)]
        if n % 4 == 0:  # the quote request that led to the contract
            scenario = quote_request
            received_day = c.start_date - dt.timedelta(days=rng.randrange(30, 240))
        else:
            span = (HISTORY_END - c.start_date).days
            received_day = c.start_date + dt.timedelta(days=rng.randrange(0, span + 1))
        category, dept, kind, subject, text, first, resolution = scenario
        handler = users.get(HANDLERS[dept])
        client_id, caller = c.client_id, "Responsable des services généraux"
        if c.kind == ClientKind.CONDOMINIUM and c.manager_id is not None:
            client_id, caller = c.manager_id, "Gestionnaire de copropriété"
        elif c.kind == ClientKind.PERSON:
            caller = c.name
        received = _at(received_day, 8 + rng.randrange(0, 9), rng.choice([0, 15, 30, 45]))
        due = received_day + dt.timedelta(days=2 + rng.randrange(0, 6))
        age = (DEMO_TODAY - received_day).days
        started = received + dt.timedelta(hours=2 + rng.randrange(0, 5))
        done = max(started, received + dt.timedelta(hours=6 + rng.randrange(0, 120)))
        roll = rng.random()
        history: list[tuple[str, str, dt.datetime]] = []
        if age > 21 or roll < 0.3:
            history = [(IN_PROGRESS, first, started), (CLOSED, resolution, done)]
        elif roll < 0.6:
            history = [(IN_PROGRESS, first, started)]
        elif roll < 0.75:
            history = [(IN_PROGRESS, first, started), (WAITING, "Attente du retour du client.",
                                                       started + dt.timedelta(hours=20))]  # fmt: skip
        if history and history[-1][2] >= _at(DEMO_TODAY, 0, 0):
            history = []  # would happen after today: still just logged
        closed = bool(history) and history[-1][0] == CLOSED
        entries.append(
            {
                "kind": kind,
                "received_at": received,
                "caller": caller,
                "client_id": client_id,
                "site_id": c.site_id,
                "contract_id": None,
                "department_id": departments.get(dept),
                "category_id": categories.get(category),
                "priority": "high"
                if category in ("Réclamation", "Incident sur site")
                else "normal",
                "subject": subject,
                "text": text,
                "assignee_id": handler.id if handler is not None else None,
                "created_by_id": reception_id,
                "due_date": due,
                "status": history[-1][0] if history else OPEN,
                "resolution": resolution if closed else "",
                "closed_at": history[-1][2] if closed else None,
                "_site_client": c.client_id,
            }
        )
        steps.append(history)
    site_clients = [e.pop("_site_client") for e in entries]
    before = session.scalar(select(func.max(LiaisonEntry.id))) or 0
    session.execute(insert(LiaisonEntry), entries)
    ids = list(
        session.scalars(
            select(LiaisonEntry.id).where(LiaisonEntry.id > before).order_by(LiaisonEntry.id)
        )
    )
    actions, events, notes = [], [], []
    for entry_id, e, history, site_client in zip(ids, entries, steps, site_clients, strict=True):
        label = f"Fiche {entry_number(entry_id)} « {e['subject']} »"
        concerned = [e["client_id"]] + ([site_client] if site_client != e["client_id"] else [])
        at = e["received_at"]
        actions.append(
            {
                "entry_id": entry_id,
                "at": at,
                "user_id": reception_id,
                "comment": f"Fiche créée ({KINDS[e['kind']]}).",
                "old_status": "",
                "new_status": OPEN,
            }
        )
        events += [
            audit.event_row(
                "liaison", entry_id, "create", f"{label} créée", user_id=reception_id, client_id=cid
            )
            for cid in concerned
        ]
        if e["assignee_id"] is not None and e["assignee_id"] != reception_id:
            notes.append(
                {
                    "user_id": e["assignee_id"],
                    "entry_id": entry_id,
                    "at": at,
                    "text": f"{label} vous est attribuée.",
                    "read": bool(history),  # the handler has seen it once work started
                }
            )
        old = OPEN
        for status, comment, when in history:
            changes: dict[str, tuple[str, str]] = {"status": (old, status)}
            if status == CLOSED:
                changes["resolution"] = ("", comment)
                text = f"Clôturée : {comment}"
            else:
                text = f"Statut : {STATUS_LABELS[status]}. {comment}".strip()
            actions.append(
                {
                    "entry_id": entry_id,
                    "at": when,
                    "user_id": e["assignee_id"],
                    "comment": text,
                    "old_status": old,
                    "new_status": status,
                }
            )
            events += [
                audit.event_row(
                    "liaison",
                    entry_id,
                    "close" if status == CLOSED else "status",
                    f"{label} : {STATUS_LABELS[old]} → {STATUS_LABELS[status]}",
                    user_id=e["assignee_id"],
                    client_id=cid,
                    changes=changes,
                )
                for cid in concerned
            ]
            old = status
    session.execute(insert(LiaisonAction), actions)
    audit.record_rows(session, events)
    if notes:
        session.execute(insert(Notification), notes)
