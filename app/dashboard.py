"""The home dashboard: what needs doing today, and the turnover month by month.

Every figure is read from the rule that owns it, never recomputed here: overdue amounts from
the client account (:func:`app.ledger.credit_status`, the « dont échu » of the account
inquiry), alerts from the liaison book, quotes to chase from the quote follow-up, the month
control from :func:`app.control.month.control_month`, direct debits from
:func:`app.payments.sepa.candidates`, revisions and ends of contract from ``app.revisions``,
the turnover from :mod:`app.stats`. Each item names what it opens (:class:`Target`): the
screens map it to the tab and the record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock, ledger
from app.billing.plan import add_months
from app.i18n import _, ngettext
from app.money import ZERO, format_amount
from models.billing import BillingRun
from models.clients import Client
from models.invoices import Invoice, InvoiceStatus
from models.payments import SepaBatch

# How far ahead the dashboard looks.
SEPA_AHEAD_DAYS = 10  # direct debits falling due: the batch must reach the bank before
REVISION_AHEAD_DAYS = 31
CONTRACT_AHEAD_DAYS = 90
ALERTS_AHEAD_DAYS = 7  # liaison alerts falling due this week
MAX_ITEMS = 8  # per section; the section's summary counts them all


@dataclass(frozen=True)
class Target:
    """What an item opens: ``kind`` one of liaison, client, quote, billing, control, sepa,
    contract; ``key`` the record's id, or the period « AAAA-MM »."""

    kind: str
    key: int | str


@dataclass(frozen=True)
class Item:
    text: str
    target: Target
    amount: Decimal | None = None
    late: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    summary: str
    items: list[Item] = field(default_factory=list)
    total: Decimal | None = None


@dataclass(frozen=True)
class Dashboard:
    today: dt.date
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def dashboard(session: Session, today: dt.date | None = None) -> Dashboard:
    today = today or clock.today()
    return Dashboard(
        today,
        [
            alerts_section(session, today),
            overdue_section(session),
            quotes_section(session, today),
            billing_section(session, today),
            sepa_section(session, today),
            contracts_section(session, today),
        ],
    )


def _date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


# --- liaison book -------------------------------------------------------------------------
def alerts_section(session: Session, today: dt.date) -> Section:
    """Open entries past their alert date (late, in red), then those due this week."""
    from app.liaison.views import EntryFilter, list_entries

    week_end = today + dt.timedelta(days=ALERTS_AHEAD_DAYS)
    rows = [
        r
        for r in list_entries(session, EntryFilter(status="active"), today=today)
        if r.due_date is not None and r.due_date < week_end
    ]
    rows.sort(key=lambda r: (r.due_date or dt.date.min, r.id))
    items = [
        Item(
            _("{due} : {number} — {subject}{who}").format(
                number=r.number,
                subject=r.subject,
                due=_date(r.due_date),
                who=f" ({r.client_name})" if r.client_name else "",
            ),
            Target("liaison", r.id),
            late=r.due_date is not None and r.due_date < today,
        )
        for r in rows
    ]
    late = sum(1 for i in items if i.late)
    coming = len(items) - late
    parts = []
    if late:
        parts.append(
            ngettext(
                "{n} alerte du cahier de liaison en retard",
                "{n} alertes du cahier de liaison en retard",
                late,
            ).format(n=late)
        )
    if coming:
        parts.append(
            ngettext("{n} à traiter cette semaine", "{n} à traiter cette semaine", coming).format(
                n=coming
            )
        )
    summary = ", ".join(parts) if parts else _("Aucune alerte en retard ni cette semaine")
    return Section("alerts", _("Cahier de liaison"), summary, items[:MAX_ITEMS])


# --- overdue ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClientDue:
    client_id: int
    name: str
    outstanding: Decimal  # encours (balance of the account)
    overdue: Decimal  # « dont échu » of the account


def clients_to_chase(session: Session) -> list[ClientDue]:
    """Clients whose account has an overdue part, largest first (figures of the account)."""
    names = dict(session.execute(select(Client.id, Client.name)).all())
    balances = ledger.outstanding_many(session, names)
    owing = [cid for cid, amount in balances.items() if amount > 0]
    rows = [
        ClientDue(client_id, names[client_id], balances[client_id], late)
        for client_id, late in ledger.overdue_many(session, owing).items()
        if late > ZERO
    ]
    rows.sort(key=lambda r: (-r.overdue, r.name))
    return rows


def overdue_section(session: Session) -> Section:
    rows = clients_to_chase(session)
    total = sum((r.overdue for r in rows), ZERO)
    items = [
        Item(
            _("{name} (encours {outstanding})").format(
                name=r.name, outstanding=format_amount(r.outstanding)
            ),
            Target("client", r.client_id),
            r.overdue,
            late=True,
        )
        for r in rows
    ]
    summary = (
        ngettext(
            "{total} échus chez {n} client à relancer",
            "{total} échus chez {n} clients à relancer",
            len(rows),
        ).format(total=format_amount(total), n=len(rows))
        if rows
        else _("Aucun impayé échu")
    )
    return Section("overdue", _("Impayés"), summary, items[:MAX_ITEMS], total)


# --- quotes -------------------------------------------------------------------------------
def quotes_section(session: Session, today: dt.date) -> Section:
    from app.quotes.followup import quote_rows
    from models.quotes import QuoteStatus

    rows = [
        r
        for r in quote_rows(session)
        if r.status == QuoteStatus.SENT
        and r.validity_date >= today
        and r.next_reminder_date is not None
        and r.next_reminder_date <= today
    ]
    rows.sort(key=lambda r: (r.next_reminder_date, r.reference))
    items = [
        Item(
            _("{day} : {ref} — {client} ({title})").format(
                ref=r.reference, client=r.client, title=r.title, day=_date(r.next_reminder_date)
            ),
            Target("quote", r.id),
            r.total_ht,
            late=r.next_reminder_date is not None and r.next_reminder_date < today,
        )
        for r in rows
    ]
    summary = (
        ngettext("{n} devis à relancer", "{n} devis à relancer", len(rows)).format(n=len(rows))
        if rows
        else _("Aucun devis à relancer")
    )
    return Section("quotes", _("Devis à relancer"), summary, items[:MAX_ITEMS])


# --- month-end billing ----------------------------------------------------------------------
@dataclass(frozen=True)
class MonthState:
    period: str
    runs: int
    drafts: int
    issued: int

    @property
    def done(self) -> bool:
        return self.runs > 0 and self.drafts == 0


def month_state(session: Session, period: str) -> MonthState:
    runs = session.scalar(select(func.count()).where(BillingRun.period == period)) or 0
    run_ids = select(BillingRun.id).where(BillingRun.period == period)
    counts = dict(
        session.execute(
            select(Invoice.status, func.count())
            .where(Invoice.run_id.in_(run_ids))
            .group_by(Invoice.status)
        ).all()
    )
    return MonthState(
        period, runs, counts.get(InvoiceStatus.DRAFT, 0), counts.get(InvoiceStatus.ISSUED, 0)
    )


def month_to_bill(session: Session, today: dt.date) -> MonthState:
    """Last month while it is not billed (no run, or drafts left), else this month."""
    previous = month_state(session, f"{add_months(today.replace(day=1), -1):%Y-%m}")
    if not previous.done:
        return previous
    return month_state(session, f"{today:%Y-%m}")


def month_with_documents(session: Session, today: dt.date | None = None) -> str:
    """The month « AAAA-MM » the month pickers of issued documents open on (Éditions, the
    control): the last month up to today that has an issued invoice or credit note, else
    last month."""
    today = today or clock.today()
    last = session.scalar(
        select(func.max(Invoice.issue_date)).where(
            Invoice.status == InvoiceStatus.ISSUED, Invoice.issue_date <= today
        )
    )
    if isinstance(last, str):  # SQLite aggregate of a date column
        last = dt.date.fromisoformat(last[:10])
    return f"{last or add_months(today.replace(day=1), -1):%Y-%m}"


def month_to_control(session: Session, today: dt.date | None = None) -> str:
    """The month the control opens on: the month to bill once its run has made drafts, else
    the last month with issued documents (its control against the month before)."""
    today = today or clock.today()
    state = month_to_bill(session, today)
    return state.period if state.runs else month_with_documents(session, today)


def _last_billed(session: Session, before: str) -> str | None:
    previous = f"{add_months(dt.date.fromisoformat(before + '-01'), -1):%Y-%m}"
    return previous if month_state(session, previous).runs else None


def billing_section(session: Session, today: dt.date) -> Section:
    from app.control.marks import control_state

    state = month_to_bill(session, today)
    month = f"{state.period[5:]}/{state.period[:4]}"
    late = state.period < f"{today:%Y-%m}"
    if state.runs == 0:
        text = _("Facturation de {month} : pas encore lancée").format(month=month)
    elif state.drafts:
        text = ngettext(
            "Facturation de {month} : {n} brouillon à contrôler et émettre",
            "Facturation de {month} : {n} brouillons à contrôler et émettre",
            state.drafts,
        ).format(month=month, n=state.drafts)
    else:
        text = ngettext(
            "Facturation de {month} : émise ({n} facture)",
            "Facturation de {month} : émise ({n} factures)",
            state.issued,
        ).format(month=month, n=state.issued)
    items = [Item(text, Target("billing", state.period), late=late)]
    # The control of the month being billed, else of the last month billed (done after).
    checked = state.period if state.runs else _last_billed(session, state.period)
    if checked is not None:
        control = control_state(session, checked)
        items.append(Item(control.text(), Target("control", checked), late=not control.done))
    return Section("billing", _("Mois à facturer"), text, items)


# --- direct debits --------------------------------------------------------------------------
def sepa_section(session: Session, today: dt.date) -> Section:
    from app.payments.sepa import candidates

    due = [
        c for c in candidates(session, today + dt.timedelta(days=SEPA_AHEAD_DAYS)) if not c.problem
    ]
    waiting = list(
        session.scalars(
            select(SepaBatch)
            .where(SepaBatch.status == "exported")
            .order_by(SepaBatch.collection_date)
        )
    )
    items = []
    total = sum((c.amount for c in due), ZERO)
    if due:
        first = min(c.due_date for c in due)
        items.append(
            Item(
                ngettext(
                    "{n} prélèvement à remettre à la banque ({total}, dès le {day})",
                    "{n} prélèvements à remettre à la banque ({total}, dès le {day})",
                    len(due),
                ).format(n=len(due), total=format_amount(total), day=_date(first)),
                Target("sepa", 0),
                total,
                late=first <= today,
            )
        )
    for batch in waiting:
        items.append(
            Item(
                _("Lot {ref} du {day} : envoyé, en attente de confirmation").format(
                    ref=batch.reference, day=_date(batch.collection_date)
                ),
                Target("sepa", batch.id),
                batch.total,
                late=batch.collection_date < today,
            )
        )
    summary = (
        ngettext("{n} prélèvement à remettre", "{n} prélèvements à remettre", len(due)).format(
            n=len(due)
        )
        if due
        else _("Aucun prélèvement à remettre")
    )
    return Section("sepa", _("Prélèvements SEPA"), summary, items[:MAX_ITEMS], total)


# --- contracts ------------------------------------------------------------------------------
def contracts_section(session: Session, today: dt.date) -> Section:
    from app.revisions.renewals import upcoming
    from app.revisions.runs import due_revisions

    items = [
        Item(
            _("Révision au {day} : {code} — {client}").format(
                day=_date(r.revision_date), code=r.contract_code, client=r.client_name
            ),
            Target("contract", r.contract_id),
            late=r.late,
        )
        for r in due_revisions(session, today + dt.timedelta(days=REVISION_AHEAD_DAYS), today=today)
    ]
    revisions = len(items)
    for u in upcoming(session, today, horizon_days=CONTRACT_AHEAD_DAYS):
        if u.notice_deadline is not None and u.event == "renewal" and u.days_left < 0:
            text = _("Reconduit le {day} (préavis dépassé) : {code} — {client}")
            day = u.term_end + dt.timedelta(days=1)
        elif u.notice_deadline is not None and u.event == "renewal":
            text = _("Préavis avant le {day} : {code} — {client} (sinon reconduit)")
            day = u.notice_deadline
        else:
            text, day = _("Fin le {day} : {code} — {client}"), u.term_end
        items.append(
            Item(
                text.format(day=_date(day), code=u.contract_code, client=u.client_name),
                Target("contract", u.contract_id),
                late=u.alert,
            )
        )
    ends = len(items) - revisions
    parts = []
    if revisions:
        parts.append(
            ngettext("{n} révision à appliquer", "{n} révisions à appliquer", revisions).format(
                n=revisions
            )
        )
    if ends:
        parts.append(
            ngettext(
                "{n} contrat arrive à échéance", "{n} contrats arrivent à échéance", ends
            ).format(n=ends)
        )
    summary = ", ".join(parts) if parts else _("Aucun contrat à réviser ni à échéance")
    return Section("contracts", _("Contrats"), summary, items[:MAX_ITEMS])


# --- turnover -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Turnover:
    """Issued turnover HT per month (index 0 = January) of a year and of the year before."""

    year: int
    this_year: list[Decimal]
    last_year: list[Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.this_year, ZERO)

    @property
    def total_last(self) -> Decimal:
        return sum(self.last_year, ZERO)


def turnover(session: Session, year: int) -> Turnover:
    from app.stats import revenue_points

    months = {y: [ZERO] * 12 for y in (year, year - 1)}
    for p in revenue_points(session):
        if p.year in months:
            months[p.year][p.month - 1] += p.amount
    return Turnover(year, months[year], months[year - 1])


def turnover_by(session: Session, year: int, by: str) -> list[tuple[str, Decimal, Decimal]]:
    """(family or client, this year, last year) HT, largest this year first."""
    from app.stats import revenue_points

    if by not in ("family", "client"):
        raise ValueError(by)
    table: dict[str, list[Decimal]] = {}
    for p in revenue_points(session, by_client=by == "client"):
        if p.year in (year, year - 1):
            pair = table.setdefault(p.family, [ZERO, ZERO])
            pair[0 if p.year == year else 1] += p.amount
    rows = [(label, this, last) for label, (this, last) in table.items()]
    rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
    return rows
