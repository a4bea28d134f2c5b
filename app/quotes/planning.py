"""Planning of accepted extra works (TC): jobs with date, team and duration, a week view,
and progress (% or done) recorded on site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import audit
from app.errors import NotFoundError, StateError, ValidationError
from app.money import round_quantity, to_decimal
from app.workflow import Workflow
from models.clients import Client, Site
from models.quotes import JobStatus, PlannedJob, Quote, QuoteKind, QuoteStatus

J = JobStatus
# Progress moves a job: started (> 0 %), done (100 %); a progress set lower again (a typing
# error corrected) moves it back.
JOB_WORKFLOW = Workflow(
    "Intervention",
    dict(J.LABELS),
    frozenset({(a, b) for a in (J.PLANNED, J.IN_PROGRESS, J.DONE) for b in J.LABELS if a != b}),
)

HUNDRED = Decimal(100)


def get_job(session: Session, job_id: int) -> PlannedJob:
    job = session.get(PlannedJob, job_id)
    if job is None:
        raise NotFoundError("Intervention planifiée introuvable.")
    return job


def _check_time(start_time: str) -> str:
    try:
        dt.time.fromisoformat(start_time)
    except ValueError:
        raise ValidationError(
            "Heure", "« {value} » n'est pas une heure valide (HH:MM).", value=start_time
        ) from None
    return start_time[:5]


def plan_job(
    session: Session,
    quote_id: int,
    planned_date: dt.date,
    *,
    team: str = "",
    duration_hours: Decimal | str = Decimal(0),
    start_time: str = "08:00",
    notes: str = "",
) -> PlannedJob:
    """Plan (one more) job for an accepted TC quote."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFoundError("Devis introuvable.")
    if quote.kind != QuoteKind.EXTRA_WORK or quote.status != QuoteStatus.ACCEPTED:
        raise StateError("Seuls les travaux complémentaires acceptés se planifient.")
    duration = round_quantity(to_decimal(duration_hours, field="Durée (h)"))
    if duration < 0:
        raise ValidationError("Durée (h)", "La durée ne peut pas être négative.")
    job = PlannedJob(
        quote_id=quote.id,
        site_id=quote.site_id,
        planned_date=planned_date,
        start_time=_check_time(start_time),
        team=team.strip()[:200],
        duration_hours=duration,
        notes=notes.strip(),
        status=JobStatus.PLANNED,
        progress_percent=Decimal(0),
        invoiced_percent=Decimal(0),
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        "planned_job",
        job.id,
        "create",
        f"Intervention du devis {quote.reference} planifiée le {planned_date:%d/%m/%Y}",
        client_id=quote.client_id,
    )
    return job


def reschedule_job(
    session: Session,
    job_id: int,
    planned_date: dt.date,
    *,
    team: str,
    duration_hours: Decimal | str,
    start_time: str = "08:00",
) -> PlannedJob:
    job = get_job(session, job_id)
    if job.status == JobStatus.DONE:
        raise StateError("Une intervention terminée ne se replanifie pas.")
    changes = audit.diff(
        job,
        {
            "planned_date": planned_date,
            "team": team.strip()[:200],
            "duration_hours": round_quantity(to_decimal(duration_hours, field="Durée (h)")),
            "start_time": _check_time(start_time),
        },
    )
    if changes:
        audit.record(
            session,
            "planned_job",
            job.id,
            "update",
            "Intervention replanifiée",
            client_id=job.quote.client_id,
            changes=changes,
        )
    return job


def record_progress(
    session: Session, job_id: int, percent: Decimal | str, day: dt.date
) -> PlannedJob:
    """Record how far the job is (0–100 %); 100 % marks it done on ``day``."""
    job = get_job(session, job_id)
    value = to_decimal(percent, field="Avancement (%)")
    if not Decimal(0) <= value <= HUNDRED:
        raise ValidationError("Avancement (%)", "L'avancement doit être compris entre 0 et 100 %.")
    if value < job.invoiced_percent:
        raise ValidationError(
            "Avancement (%)",
            "{invoiced} % de ces travaux sont déjà facturés : l'avancement ne peut pas être "
            "inférieur.",
            invoiced=f"{job.invoiced_percent.normalize():f}",
        )
    old = job.progress_percent
    job.progress_percent = value.quantize(Decimal("0.000001"))
    done = value == HUNDRED
    target = J.DONE if done else J.IN_PROGRESS if value > 0 else J.PLANNED
    if target != job.status:
        JOB_WORKFLOW.move(job, target)
    job.done_date = day if done else None
    audit.record(
        session,
        "planned_job",
        job.id,
        "progress",
        f"Avancement {old.normalize():f} % → {value.normalize():f} %",
        client_id=job.quote.client_id,
    )
    return job


def mark_done(session: Session, job_id: int, day: dt.date) -> PlannedJob:
    return record_progress(session, job_id, HUNDRED, day)


@dataclass(frozen=True)
class JobRow:
    id: int
    quote_id: int
    quote_reference: str
    client: str
    site: str
    title: str
    planned_date: dt.date
    start_time: str
    team: str
    duration_hours: Decimal
    status: str
    status_label: str
    progress_percent: Decimal
    invoiced_percent: Decimal
    amount_ht: Decimal

    @property
    def to_invoice_percent(self) -> Decimal:
        return self.progress_percent - self.invoiced_percent


def _row(job: PlannedJob, clients: dict[int, str], sites: dict[int, str]) -> JobRow:
    q = job.quote
    return JobRow(
        id=job.id,
        quote_id=q.id,
        quote_reference=q.reference,
        client=clients.get(q.client_id, ""),
        site=sites.get(job.site_id or 0, ""),
        title=q.title,
        planned_date=job.planned_date,
        start_time=job.start_time,
        team=job.team,
        duration_hours=job.duration_hours,
        status=job.status,
        status_label=JobStatus.LABELS[job.status],
        progress_percent=job.progress_percent,
        invoiced_percent=job.invoiced_percent,
        amount_ht=q.total_ht,
    )


def job_rows(
    session: Session, start: dt.date | None = None, end: dt.date | None = None
) -> list[JobRow]:
    query = select(PlannedJob).options(selectinload(PlannedJob.quote))
    if start is not None:
        query = query.where(PlannedJob.planned_date >= start)
    if end is not None:
        query = query.where(PlannedJob.planned_date <= end)
    jobs = list(session.scalars(query.order_by(PlannedJob.planned_date, PlannedJob.start_time)))
    clients = dict(session.execute(select(Client.id, Client.name)).all())
    sites = dict(session.execute(select(Site.id, Site.name)).all())
    return [_row(j, clients, sites) for j in jobs]


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeekView:
    monday: dt.date
    days: tuple[tuple[dt.date, tuple[JobRow, ...]], ...]  # Monday → Sunday
    hours: Decimal

    @property
    def label(self) -> str:
        sunday = self.monday + dt.timedelta(days=6)
        week = self.monday.isocalendar().week
        return f"Semaine {week} — du {self.monday:%d/%m/%Y} au {sunday:%d/%m/%Y}"


def week_view(session: Session, day: dt.date) -> WeekView:
    """The jobs of the week containing ``day``, per day."""
    monday = monday_of(day)
    rows = job_rows(session, monday, monday + dt.timedelta(days=6))
    days = tuple(
        (d, tuple(r for r in rows if r.planned_date == d))
        for d in (monday + dt.timedelta(days=i) for i in range(7))
    )
    return WeekView(monday, days, sum((r.duration_hours for r in rows), Decimal("0.000")))
