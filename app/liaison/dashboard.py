"""Tableau de compte rendu of the liaison book: open / overdue / closed entries by
department, category and assignee, average time to close, weekly trend.

:func:`compute_dashboard` is a pure function over :class:`EntryFacts`; :func:`load_dashboard`
reads the rows matching a filter and calls it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from app.i18n import _
from app.liaison.entries import CLOSED, is_overdue, local_today
from app.liaison.views import EntryFilter, list_entries

NONE_LABEL = "(non renseigné)"


@dataclass(frozen=True)
class EntryFacts:
    received: dt.datetime
    closed: dt.datetime | None
    status: str
    due_date: dt.date | None
    department: str = ""
    category: str = ""
    assignee: str = ""


@dataclass
class Counts:
    label: str
    open: int = 0  # not closed (open, in progress, waiting for the client)
    overdue: int = 0  # not closed and past its alert date (included in ``open``)
    closed: int = 0

    @property
    def total(self) -> int:
        return self.open + self.closed


@dataclass(frozen=True)
class WeekPoint:
    week_start: dt.date  # Monday
    created: int
    closed: int

    @property
    def label(self) -> str:
        year, week, _day = self.week_start.isocalendar()
        return f"{year}-S{week:02d}"


@dataclass
class Dashboard:
    total: Counts
    by_department: list[Counts] = field(default_factory=list)
    by_category: list[Counts] = field(default_factory=list)
    by_assignee: list[Counts] = field(default_factory=list)
    average_close: dt.timedelta | None = None
    weeks: list[WeekPoint] = field(default_factory=list)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone().date()


def _group(
    facts: Iterable[EntryFacts], key: Callable[[EntryFacts], str], today: dt.date
) -> list[Counts]:
    groups: dict[str, Counts] = {}
    for f in facts:
        label = key(f) or NONE_LABEL
        counts = groups.setdefault(label, Counts(label))
        _add(counts, f, today)
    return sorted(groups.values(), key=lambda c: (-c.total, c.label.casefold()))


def _add(counts: Counts, f: EntryFacts, today: dt.date) -> None:
    if f.status == CLOSED:
        counts.closed += 1
    else:
        counts.open += 1
        if is_overdue(f.status, f.due_date, today):
            counts.overdue += 1


def compute_dashboard(facts: list[EntryFacts], today: dt.date) -> Dashboard:
    total = Counts(_("Total"))
    for f in facts:
        _add(total, f, today)
    durations = [f.closed - f.received for f in facts if f.status == CLOSED and f.closed]
    average = sum(durations, dt.timedelta()) / len(durations) if durations else None
    return Dashboard(
        total=total,
        by_department=_group(facts, lambda f: f.department, today),
        by_category=_group(facts, lambda f: f.category, today),
        by_assignee=_group(facts, lambda f: f.assignee, today),
        average_close=average,
        weeks=weekly_trend(facts),
    )


def weekly_trend(facts: list[EntryFacts]) -> list[WeekPoint]:
    """Entries received and closed per ISO week, every week of the span (zeros included)."""
    created: dict[dt.date, int] = {}
    closed: dict[dt.date, int] = {}
    for f in facts:
        week = _monday(_local_day(f.received))
        created[week] = created.get(week, 0) + 1
        if f.status == CLOSED and f.closed:
            week = _monday(_local_day(f.closed))
            closed[week] = closed.get(week, 0) + 1
    weeks = set(created) | set(closed)
    if not weeks:
        return []
    points = []
    week = min(weeks)
    while week <= max(weeks):
        points.append(WeekPoint(week, created.get(week, 0), closed.get(week, 0)))
        week += dt.timedelta(days=7)
    return points


def format_duration(value: dt.timedelta | None) -> str:
    """« 2 j 4 h » (whole hours, rounded down), « 3 h 20 min » under a day."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("{d} j {h} h").format(d=days, h=hours)
    return _("{h} h {m} min").format(h=hours, m=mins)


def load_dashboard(
    session: Session, flt: EntryFilter | None = None, *, today: dt.date | None = None
) -> Dashboard:
    today = today or local_today()
    rows = list_entries(session, flt, today=today)
    facts = [
        EntryFacts(
            received=r.received_at,
            closed=r.closed_at,
            status=r.status,
            due_date=r.due_date,
            department=r.department,
            category=r.category,
            assignee=r.assignee,
        )
        for r in rows
    ]
    return compute_dashboard(facts, today)


# --- exports -----------------------------------------------------------------------------
TABLE_HEADERS = ["Axe", "Valeur", "Ouvertes", "Dont en retard", "Clôturées", "Total"]


def dashboard_rows(board: Dashboard) -> list[list[object]]:
    """The dashboard as one flat table (the .xlsx export and the PDF tables)."""
    rows: list[list[object]] = []
    for axis, groups in (
        (_("Service"), board.by_department),
        (_("Catégorie"), board.by_category),
        (_("Attribuée à"), board.by_assignee),
    ):
        for c in groups:
            rows.append([axis, c.label, c.open, c.overdue, c.closed, c.total])
    t = board.total
    rows.append([_("Total"), "", t.open, t.overdue, t.closed, t.total])
    return rows


def export_dashboard_xlsx(board: Dashboard, path: str | Path) -> Path:
    from reports.xlsx import write_table

    rows = dashboard_rows(board)
    rows.append([_("Délai moyen de clôture"), format_duration(board.average_close), "", "", "", ""])
    return write_table(path, _("Compte rendu liaison"), TABLE_HEADERS, rows)


def export_dashboard_pdf(
    board: Dashboard, path: str | Path, *, firm: str, period: str, filters: str = ""
) -> Path:
    """The PDF report (long work: call it outside any write transaction)."""
    from reports.liaison_report import LiaisonReport, Section, build_report

    def section(title: str, groups: list[Counts], axis: str) -> Section:
        return Section(
            title,
            [axis, *TABLE_HEADERS[2:]],
            [[c.label, c.open, c.overdue, c.closed, c.total] for c in groups],
        )

    report = LiaisonReport(
        firm=firm,
        title=_("Cahier de liaison — tableau de compte rendu"),
        period=period,
        filters=filters,
        summary=[
            (_("Fiches"), str(board.total.total)),
            (_("Ouvertes"), str(board.total.open)),
            (_("Dont en retard"), str(board.total.overdue)),
            (_("Clôturées"), str(board.total.closed)),
            (_("Délai moyen de clôture"), format_duration(board.average_close)),
        ],
        sections=[
            section(_("Par service"), board.by_department, _("Service")),
            section(_("Par catégorie"), board.by_category, _("Catégorie")),
            section(_("Par personne"), board.by_assignee, _("Attribuée à")),
            Section(
                _("Évolution par semaine"),
                [_("Semaine"), _("Du"), _("Reçues"), _("Clôturées")],
                [
                    [w.label, w.week_start.strftime("%d/%m/%Y"), w.created, w.closed]
                    for w in board.weeks
                ],
            ),
        ],
    )
    return build_report(report, path)
