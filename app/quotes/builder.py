"""Cost builder: from a site's cadencier to a selling price (pure, exact decimals).

cadencier → hours per month (per task, rounded to the thousandth of an hour)
× loaded hourly cost of each task's qualification (at the quote date, looked up by the caller)
+ products + equipment (per month) + overheads % of that direct cost
= cost price; then a margin % (on the selling price, "taux de marque") or a target price
gives the selling price per month and per year.

For a one-off job (TC) the same arithmetic runs on the total hours of the job instead of
hours per month, and there is no yearly price.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from app.errors import ValidationError
from app.money import ZERO, round_money, round_quantity, to_decimal

HUNDRED = Decimal(100)
WEEKS_PER_YEAR = Decimal(52)
MONTHS_PER_YEAR = Decimal(12)

PERIODS = ("day", "week", "month", "year")


@dataclass(frozen=True)
class TaskLine:
    """One cadencier line as the builder sees it."""

    task: str
    qualification: str
    frequency: Decimal = Decimal(1)
    period: str = "week"  # day (working day), week, month, year; ignored for a one-off job
    minutes_per_pass: Decimal | None = None
    surface_m2: Decimal | None = None
    productivity_m2_h: Decimal | None = None
    zone: str = ""


@dataclass(frozen=True)
class BuilderInput:
    tasks: Sequence[TaskLine]
    # Qualification code → loaded hourly cost (wage + employer charges) at the quote date.
    hourly_costs: Mapping[str, Decimal]
    products: Decimal = ZERO
    equipment: Decimal = ZERO
    overheads_percent: Decimal = ZERO
    margin_percent: Decimal | None = None
    target_price: Decimal | None = None
    one_off: bool = False
    days_per_week: Decimal = Decimal(5)


@dataclass(frozen=True)
class BuilderResult:
    task_hours: tuple[Decimal, ...]
    hours: Decimal  # per month, or in total for a one-off job
    hours_by_qualification: dict[str, Decimal]
    labour_by_qualification: dict[str, Decimal]
    labour: Decimal
    products: Decimal
    equipment: Decimal
    overheads: Decimal
    cost_price: Decimal
    selling_price: Decimal  # per month, or in total for a one-off job
    selling_price_year: Decimal | None
    margin: Decimal
    margin_percent: Decimal  # margin / selling price, 2 decimals
    one_off: bool = False
    warnings: list[str] = field(default_factory=list)


def passes_per_month(line: TaskLine, days_per_week: Decimal) -> Decimal:
    """Average passes in a month (52 weeks / 12 months); not rounded."""
    f = line.frequency
    if line.period == "day":
        return f * days_per_week * WEEKS_PER_YEAR / MONTHS_PER_YEAR
    if line.period == "week":
        return f * WEEKS_PER_YEAR / MONTHS_PER_YEAR
    if line.period == "month":
        return f
    if line.period == "year":
        return f / MONTHS_PER_YEAR
    raise ValidationError("Fréquence", "Période « {period} » inconnue.", period=line.period)


def minutes_per_pass(line: TaskLine) -> Decimal:
    """Time of one pass: given directly, or surface ÷ productivity (m²/h) × 60."""
    if line.minutes_per_pass is not None:
        if line.minutes_per_pass < 0:
            raise ValidationError(
                "Minutes par passage", "Le temps de « {task} » est négatif.", task=line.task
            )
        return line.minutes_per_pass
    if line.surface_m2 is None or not line.productivity_m2_h:
        raise ValidationError(
            "Minutes par passage",
            "« {task} » : indiquer les minutes par passage, ou la surface et la productivité "
            "(m²/h).",
            task=line.task,
        )
    return line.surface_m2 * 60 / line.productivity_m2_h


def task_hours(line: TaskLine, *, one_off: bool, days_per_week: Decimal) -> Decimal:
    if line.frequency < 0:
        raise ValidationError(
            "Fréquence", "La fréquence de « {task} » est négative.", task=line.task
        )
    passes = line.frequency if one_off else passes_per_month(line, days_per_week)
    return round_quantity(passes * minutes_per_pass(line) / 60)


def compute(data: BuilderInput) -> BuilderResult:
    """Price a cadencier. Every money amount is rounded half-up to the cent once."""
    for label, value in (
        ("Produits", data.products),
        ("Matériel", data.equipment),
        ("Frais généraux (%)", data.overheads_percent),
    ):
        if value < 0:
            raise ValidationError(label, "« {field} » ne peut pas être négatif.")
    hours_list = [
        task_hours(t, one_off=data.one_off, days_per_week=data.days_per_week) for t in data.tasks
    ]
    by_qualification: dict[str, Decimal] = {}
    for line, hours in zip(data.tasks, hours_list, strict=True):
        by_qualification[line.qualification] = (
            by_qualification.get(line.qualification, ZERO) + hours
        )
    labour_by_q: dict[str, Decimal] = {}
    for code, hours in sorted(by_qualification.items()):
        if code not in data.hourly_costs:
            raise ValidationError(
                "Qualification",
                "Aucun coût horaire pour la qualification « {code} » à la date du devis.",
                code=code,
            )
        labour_by_q[code] = round_money(hours * data.hourly_costs[code])
    labour = sum(labour_by_q.values(), ZERO)
    products = round_money(data.products)
    equipment = round_money(data.equipment)
    direct = labour + products + equipment
    overheads = round_money(direct * data.overheads_percent / HUNDRED)
    cost = direct + overheads
    selling = _selling_price(cost, data)
    margin = selling - cost
    margin_percent = round_money(margin * HUNDRED / selling) if selling else ZERO
    warnings = []
    if margin < 0:
        warnings.append("Prix de vente inférieur au prix de revient.")
    return BuilderResult(
        task_hours=tuple(hours_list),
        hours=sum(hours_list, Decimal("0.000")),
        hours_by_qualification=dict(sorted(by_qualification.items())),
        labour_by_qualification=labour_by_q,
        labour=labour,
        products=products,
        equipment=equipment,
        overheads=overheads,
        cost_price=cost,
        selling_price=selling,
        selling_price_year=None if data.one_off else selling * MONTHS_PER_YEAR,
        margin=margin,
        margin_percent=margin_percent,
        one_off=data.one_off,
        warnings=warnings,
    )


def _selling_price(cost: Decimal, data: BuilderInput) -> Decimal:
    if data.target_price is not None:
        if data.target_price < 0:
            raise ValidationError("Prix cible", "Le prix cible ne peut pas être négatif.")
        return round_money(data.target_price)
    margin = data.margin_percent if data.margin_percent is not None else ZERO
    if not (ZERO <= margin < HUNDRED):
        raise ValidationError(
            "Marge (%)", "La marge doit être comprise entre 0 et 100 % du prix de vente."
        )
    return round_money(cost * HUNDRED / (HUNDRED - margin))


# --- snapshot kept with the quote -------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def snapshot(data: BuilderInput, result: BuilderResult) -> str:
    """JSON of the inputs (incl. the hourly costs used) and results, decimals as strings."""
    payload = {
        "input": _plain(
            {
                "tasks": [asdict(t) for t in data.tasks],
                "hourly_costs": dict(data.hourly_costs),
                "products": data.products,
                "equipment": data.equipment,
                "overheads_percent": data.overheads_percent,
                "margin_percent": data.margin_percent,
                "target_price": data.target_price,
                "one_off": data.one_off,
                "days_per_week": data.days_per_week,
            }
        ),
        "result": _plain(asdict(result)),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else to_decimal(value)


def input_from_snapshot(text: str) -> BuilderInput | None:
    """The builder inputs kept with a quote (None when the quote was not priced so)."""
    if not text:
        return None
    raw = json.loads(text)["input"]
    tasks = [
        TaskLine(
            task=t["task"],
            qualification=t["qualification"],
            frequency=to_decimal(t["frequency"]),
            period=t["period"],
            minutes_per_pass=_dec(t["minutes_per_pass"]),
            surface_m2=_dec(t["surface_m2"]),
            productivity_m2_h=_dec(t["productivity_m2_h"]),
            zone=t.get("zone", ""),
        )
        for t in raw["tasks"]
    ]
    return BuilderInput(
        tasks=tasks,
        hourly_costs={k: to_decimal(v) for k, v in raw["hourly_costs"].items()},
        products=to_decimal(raw["products"]),
        equipment=to_decimal(raw["equipment"]),
        overheads_percent=to_decimal(raw["overheads_percent"]),
        margin_percent=_dec(raw["margin_percent"]),
        target_price=_dec(raw["target_price"]),
        one_off=bool(raw["one_off"]),
        days_per_week=to_decimal(raw["days_per_week"]),
    )
