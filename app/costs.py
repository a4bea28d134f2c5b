"""Cost grid: loaded hourly cost of a qualification at a date, task times (pure + queries).

Loaded hourly cost = hourly wage × (1 + employer charges rate / 100), kept at 4 decimals
like any unit price; the cost builders of quotes round money only on their totals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, identifiers
from app.errors import NotFoundError, ValidationError, ValidationErrors
from app.money import format_amount, quantize, round_unit_price, to_decimal
from app.users import require
from models.costs import FREQUENCIES, HourlyCost, Qualification, TaskTemplate

# --- pure ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostPoint:
    valid_from: dt.date
    hourly_wage: Decimal
    charges_rate: Decimal  # percent


def loaded_cost(hourly_wage: Decimal, charges_rate: Decimal) -> Decimal:
    """Wage plus employer charges, per hour (4 decimals, half-up)."""
    return round_unit_price(hourly_wage * (Decimal(1) + charges_rate / Decimal(100)))


def cost_point_at(points: Sequence[CostPoint], day: dt.date) -> CostPoint | None:
    """The grid line in force on ``day``: the latest one starting on or before it."""
    valid = [p for p in points if p.valid_from <= day]
    return max(valid, key=lambda p: p.valid_from) if valid else None


def minutes_per_pass(
    minutes: Decimal | None, productivity_m2_per_hour: Decimal | None, surface: Decimal | None
) -> Decimal:
    """Time of one pass: a fixed time, or the surface divided by the productivity."""
    if minutes is not None:
        return minutes
    if productivity_m2_per_hour and surface:
        return quantize(surface / productivity_m2_per_hour * Decimal(60), 3)
    return Decimal("0")


def hours_per_month(minutes: Decimal, frequency: str) -> Decimal:
    """Monthly hours of a task done at ``frequency`` (passes per year / 12)."""
    per_year = FREQUENCIES[frequency][1]
    return quantize(minutes * Decimal(per_year) / Decimal(12) / Decimal(60), 3)


# --- queries ---------------------------------------------------------------------------------


def points_of(qualification: Qualification) -> list[CostPoint]:
    return [CostPoint(c.valid_from, c.hourly_wage, c.charges_rate) for c in qualification.costs]


def get_qualification(session: Session, code: str) -> Qualification:
    q = session.scalar(select(Qualification).where(Qualification.code == code.upper()))
    if q is None:
        raise NotFoundError("Qualification « {code} » inconnue.", code=code)
    return q


def hourly_cost(session: Session, qualification_code: str, day: dt.date) -> Decimal:
    """Loaded hourly cost of a qualification on a date; raises when no grid line applies."""
    q = get_qualification(session, qualification_code)
    point = cost_point_at(points_of(q), day)
    if point is None:
        raise NotFoundError(
            "Aucun coût horaire pour la qualification {code} au {day}.",
            code=q.code,
            day=day.strftime("%d/%m/%Y"),
        )
    return loaded_cost(point.hourly_wage, point.charges_rate)


@dataclass(frozen=True)
class GridRow:
    id: int
    qualification_id: int
    qualification: str
    valid_from: dt.date
    hourly_wage: Decimal
    charges_rate: Decimal
    loaded_cost: Decimal


def cost_grid(session: Session) -> list[GridRow]:
    rows = []
    for q in session.scalars(select(Qualification).order_by(Qualification.position)):
        for c in q.costs:
            rows.append(
                GridRow(
                    c.id,
                    q.id,
                    q.code,
                    c.valid_from,
                    c.hourly_wage,
                    c.charges_rate,
                    loaded_cost(c.hourly_wage, c.charges_rate),
                )
            )
    return rows


def qualifications(session: Session, *, include_inactive: bool = True) -> list[Qualification]:
    query = select(Qualification).order_by(Qualification.position, Qualification.code)
    if not include_inactive:
        query = query.where(Qualification.active)
    return list(session.scalars(query))


def save_qualification(
    session: Session,
    qualification_id: int | None,
    code: str,
    label: str,
    position: int = 0,
    active: bool = True,
) -> Qualification:
    require(session, "settings")
    errors: list[ValidationError] = []
    try:
        code = identifiers.text(code, "Code qualification", 10, True).upper()
    except ValidationError as exc:
        errors.append(exc)
    try:
        label = identifiers.text(label, "Libellé", 100, True)
    except ValidationError as exc:
        errors.append(exc)
    if not errors and session.scalar(
        select(Qualification.id).where(
            Qualification.code == code, Qualification.id != (qualification_id or 0)
        )
    ):
        errors.append(
            ValidationError("Code qualification", "Le {field} « {c} » existe déjà.", c=code)
        )
    if errors:
        raise ValidationErrors(errors)
    values = {"code": code, "label": label, "position": position, "active": active}
    if qualification_id is None:
        created = Qualification(**values)
        session.add(created)
        session.flush()
        audit.record(session, "qualification", created.id, "create", f"Qualification {code} créée")
        return created
    q = session.get(Qualification, qualification_id)
    if q is None:
        raise NotFoundError("Qualification introuvable.")
    changes = audit.diff(q, values)
    if changes:
        audit.record(
            session,
            "qualification",
            q.id,
            "update",
            f"Qualification {code} modifiée",
            changes=changes,
        )
    return q


def set_hourly_cost(
    session: Session,
    qualification_id: int,
    valid_from: dt.date,
    hourly_wage: Any,
    charges_rate: Any,
) -> HourlyCost:
    """Add (or correct) the grid line of a qualification starting on ``valid_from``."""
    require(session, "settings")
    errors: list[ValidationError] = []
    wage = rate = Decimal("0")
    try:
        wage = to_decimal(hourly_wage, field="Taux horaire")
        if wage <= 0:
            raise ValidationError("Taux horaire", "Le {field} doit être positif.")
        wage = round_unit_price(wage)
    except ValidationError as exc:
        errors.append(exc)
    try:
        rate = to_decimal(charges_rate, field="Taux de charges")
        if rate < 0 or rate > 200:
            raise ValidationError("Taux de charges", "Le {field} doit être entre 0 et 200 %.")
        rate = quantize(rate, 6)
    except ValidationError as exc:
        errors.append(exc)
    q = session.get(Qualification, qualification_id)
    if q is None:
        errors.append(ValidationError("Qualification", "Choisissez une {field}."))
    if errors or q is None:  # no qualification: its error is in the list
        raise ValidationErrors(errors)
    line = session.scalar(
        select(HourlyCost).where(
            HourlyCost.qualification_id == q.id, HourlyCost.valid_from == valid_from
        )
    )
    if line is None:
        line = HourlyCost(
            qualification_id=q.id, valid_from=valid_from, hourly_wage=wage, charges_rate=rate
        )
        session.add(line)
        session.flush()
        action = "create"
        changes = None
    else:
        changes = audit.diff(line, {"hourly_wage": wage, "charges_rate": rate})
        action = "update"
        if not changes:
            return line  # saved untouched: nothing to trace
    audit.record(
        session,
        "hourly_cost",
        line.id,
        action,
        f"Coût horaire {q.code} au {valid_from:%d/%m/%Y} : {format_amount(wage)} + {rate} % "
        f"= {format_amount(loaded_cost(wage, rate))}",
        changes=changes,
    )
    session.expire(q, ["costs"])
    return line


@dataclass
class TaskTemplateForm:
    label: str = ""
    zone: str = ""
    frequency: str = "daily"
    minutes_per_pass: str = ""
    productivity_m2_per_hour: str = ""
    qualification_id: int | None = None
    active: bool = True


def _optional_quantity(text: str, field: str) -> Decimal | None:
    if not (text or "").strip():
        return None
    value = to_decimal(text, field=field)
    if value <= 0:
        raise ValidationError(field, "Le champ « {field} » doit être positif.")
    return quantize(value, 3)


def save_task_template(
    session: Session, template_id: int | None, form: TaskTemplateForm
) -> TaskTemplate:
    require(session, "settings")
    errors: list[ValidationError] = []
    values: dict[str, Any] = {}
    for name, fn, args in (
        ("label", identifiers.text, (form.label, "Tâche", 200, True)),
        ("zone", identifiers.text, (form.zone, "Zone", 100)),
        ("minutes_per_pass", _optional_quantity, (form.minutes_per_pass, "Minutes par passage")),
        (
            "productivity_m2_per_hour",
            _optional_quantity,
            (form.productivity_m2_per_hour, "Productivité (m²/h)"),
        ),
    ):
        try:
            values[name] = fn(*args)
        except ValidationError as exc:
            errors.append(exc)
    if form.frequency not in FREQUENCIES:
        errors.append(ValidationError("Fréquence", "{field} inconnue."))
    if (
        not errors
        and values["minutes_per_pass"] is None
        and values["productivity_m2_per_hour"] is None
    ):
        errors.append(
            ValidationError(
                "Minutes par passage",
                "Indiquez les {field} ou une productivité en m²/h.",
            )
        )
    if errors:
        raise ValidationErrors(errors)
    values.update(
        frequency=form.frequency, qualification_id=form.qualification_id, active=form.active
    )
    if template_id is None:
        created = TaskTemplate(**values)
        session.add(created)
        session.flush()
        audit.record(
            session, "task_template", created.id, "create", f"Tâche type « {created.label} » créée"
        )
        return created
    t = session.get(TaskTemplate, template_id)
    if t is None:
        raise NotFoundError("Tâche type introuvable.")
    changes = audit.diff(t, values)
    if changes:
        audit.record(
            session,
            "task_template",
            t.id,
            "update",
            f"Tâche type « {t.label} » modifiée",
            changes=changes,
        )
    return t


def task_templates(session: Session) -> list[TaskTemplate]:
    return list(
        session.scalars(select(TaskTemplate).order_by(TaskTemplate.zone, TaskTemplate.label))
    )
