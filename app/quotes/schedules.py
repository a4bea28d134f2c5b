"""The site's cadencier (task schedule): read, replace as a whole, start from task templates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFoundError, ValidationError, ValidationErrors
from app.i18n import ngettext
from app.money import round_quantity, to_decimal
from app.sites import surfaces_of
from models.clients import Site
from models.costs import FREQUENCIES, Qualification, TaskTemplate
from models.schedules import FrequencyPeriod, TaskSchedule


@dataclass
class ScheduleRow:
    """One cadencier line as the screen edits it (text or Decimal values)."""

    task: str = ""
    zone: str = ""
    frequency: Decimal | str = "1"
    period: str = FrequencyPeriod.WEEK
    minutes: Decimal | str | None = None
    surface: Decimal | str | None = None
    productivity: Decimal | str | None = None
    qualification: str = "AS1"


def qualification_codes(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Qualification.code)
            .where(Qualification.active)
            .order_by(Qualification.position, Qualification.code)
        )
    )


def schedule_rows(session: Session, site_id: int) -> list[ScheduleRow]:
    codes = dict(session.execute(select(Qualification.id, Qualification.code)).all())
    return [
        ScheduleRow(
            task=t.task,
            zone=t.zone,
            frequency=t.frequency,
            period=t.period,
            minutes=t.minutes_per_pass,
            surface=t.surface_m2,
            productivity=t.productivity_m2_h,
            qualification=codes.get(t.qualification_id or 0, "AS1"),
        )
        for t in session.scalars(
            select(TaskSchedule)
            .where(TaskSchedule.site_id == site_id, TaskSchedule.active)
            .order_by(TaskSchedule.position, TaskSchedule.id)
        )
    ]


@dataclass(frozen=True)
class TemplateProposal:
    """What « Ajouter les tâches types » adds to a cadencier, and what it leaves out."""

    rows: list[ScheduleRow]
    already: int  # templates already in the cadencier (same task and zone)
    no_surface: list[str]  # « task (zone) » timed by surface, for a zone the site lacks

    @property
    def message(self) -> str:
        parts = [
            ngettext("{n} tâche type ajoutée", "{n} tâches type ajoutées", len(self.rows)).format(
                n=len(self.rows)
            )
        ]
        if self.already:
            parts.append(f"{self.already} déjà au cadencier")
        if self.no_surface:
            parts.append(
                "non ajoutées faute de surface pour leur zone (renseignez les surfaces du "
                "chantier) : " + ", ".join(self.no_surface)
            )
        return " ; ".join(parts) + "."


def _key(task: str, zone: str) -> tuple[str, str]:
    return task.strip().casefold(), zone.strip().casefold()


def template_rows(
    session: Session, site_id: int | None = None, existing: Iterable[tuple[str, str]] = ()
) -> TemplateProposal:
    """The catalogue's task templates as cadencier lines (passes per year), each with its
    duration: minutes per pass, or the site's surface of the template's zone ÷ productivity.
    A template already in the cadencier (``existing``: task and zone) is not added twice; one
    timed by surface for a zone the site has no surface for is left out (listed)."""
    codes = dict(session.execute(select(Qualification.id, Qualification.code)).all())
    site = session.get(Site, site_id) if site_id else None
    surfaces = {zone.casefold(): area for zone, area in (surfaces_of(site) if site else {}).items()}
    have = {_key(task, zone) for task, zone in existing}
    rows, no_surface, already = [], [], 0
    for t in session.scalars(
        select(TaskTemplate).where(TaskTemplate.active).order_by(TaskTemplate.id)
    ):
        if _key(t.label, t.zone) in have:
            already += 1
            continue
        surface = surfaces.get(t.zone.strip().casefold())
        if t.minutes_per_pass is None and surface is None:
            no_surface.append(f"{t.label} ({t.zone})")
            continue
        have.add(_key(t.label, t.zone))
        rows.append(
            ScheduleRow(
                task=t.label,
                zone=t.zone,
                frequency=Decimal(FREQUENCIES.get(t.frequency, ("", 52))[1]),
                period=FrequencyPeriod.YEAR,
                minutes=t.minutes_per_pass,
                surface=surface if t.minutes_per_pass is None else None,
                productivity=t.productivity_m2_per_hour if t.minutes_per_pass is None else None,
                qualification=codes.get(t.qualification_id or 0, "AS1"),
            )
        )
    return TemplateProposal(rows, already, no_surface)


def _optional(value: Decimal | str | None, field: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return round_quantity(to_decimal(value, field=field))


def _line(row: ScheduleRow, index: int, quals: dict[str, int]) -> TaskSchedule:
    label = f"Tâche {index}"
    if not row.task.strip():
        raise ValidationError(label, "{field} : le libellé de la tâche est obligatoire.")
    frequency = round_quantity(to_decimal(row.frequency, field=f"{label} — fréquence"))
    if frequency <= 0:
        raise ValidationError(label, "{field} : la fréquence doit être positive.")
    if row.period not in FrequencyPeriod.ALL:
        raise ValidationError(label, "{field} : période « {p} » inconnue.", p=row.period)
    minutes = _optional(row.minutes, f"{label} — minutes par passage")
    surface = _optional(row.surface, f"{label} — surface")
    productivity = _optional(row.productivity, f"{label} — productivité")
    if minutes is None and not (surface and productivity):
        raise ValidationError(
            label, "{field} : indiquer les minutes par passage, ou la surface et la productivité."
        )
    if row.qualification not in quals:
        raise ValidationError(
            label, "{field} : qualification « {code} » inconnue.", code=row.qualification
        )
    return TaskSchedule(
        task=row.task.strip()[:200],
        zone=row.zone.strip()[:100],
        frequency=frequency,
        period=row.period,
        minutes_per_pass=minutes,
        surface_m2=surface,
        productivity_m2_h=productivity,
        qualification_id=quals[row.qualification],
    )


def _content(line: TaskSchedule) -> tuple[Any, ...]:
    """What a cadencier line says (not where or when it was stored)."""
    return (
        line.task,
        line.zone,
        line.frequency,
        line.period,
        line.minutes_per_pass,
        line.surface_m2,
        line.productivity_m2_h,
        line.qualification_id,
    )


def save_schedule(session: Session, site_id: int, rows: list[ScheduleRow]) -> list[TaskSchedule]:
    """Replace the site's cadencier by ``rows`` (the old lines are kept, inactive)."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError("Chantier introuvable.")
    quals = dict(session.execute(select(Qualification.code, Qualification.id)).all())
    lines: list[TaskSchedule] = []
    errors: list[ValidationError] = []
    for index, row in enumerate(rows, start=1):
        try:
            lines.append(_line(row, index, quals))
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationErrors(errors)
    current = list(
        session.scalars(
            select(TaskSchedule)
            .where(TaskSchedule.site_id == site_id, TaskSchedule.active)
            .order_by(TaskSchedule.position, TaskSchedule.id)
        )
    )
    if [_content(line) for line in current] == [_content(line) for line in lines]:
        return current  # saved untouched: nothing written, no history entry
    for old in current:
        old.active = False
    for position, line in enumerate(lines, start=1):
        line.site_id, line.position = site_id, position
        session.add(line)
    session.flush()
    audit.record(
        session,
        "site",
        site_id,
        "schedule",
        ngettext(
            "Cadencier du chantier {code} enregistré ({n} tâche)",
            "Cadencier du chantier {code} enregistré ({n} tâches)",
            len(lines),
        ).format(code=site.code, n=len(lines)),
        client_id=site.client_id,
    )
    return lines
