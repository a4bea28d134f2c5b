"""Edit the patterns of the numbering series (first-run wizard, settings).

A pattern may change only while its series has issued no number: once an invoice number
has been given, the sequence (and its look) must stay continuous for the year and the
``check`` command compares the register with the pattern's counters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.errors import ValidationError, ValidationErrors
from app.numbering import format_number, get_series, validate_pattern
from models.company import IssuedNumber, NumberSeries


@dataclass(frozen=True)
class SeriesRow:
    """One numbering series as the settings page shows it."""

    code: str
    label: str
    pattern: str
    yearly_reset: bool
    issued: int
    example: str

    @property
    def editable(self) -> bool:
        return self.issued == 0


def example_number(pattern: str, day: dt.date | None = None) -> str:
    """What the first number of ``pattern`` looks like on ``day`` (today by default)."""
    return format_number(pattern, 1, day or dt.date.today())


def list_series(session: Session, day: dt.date | None = None) -> list[SeriesRow]:
    counts = dict(
        session.execute(
            select(IssuedNumber.series_id, func.count()).group_by(IssuedNumber.series_id)
        ).all()
    )
    return [
        SeriesRow(
            code=s.code,
            label=s.label,
            pattern=s.pattern,
            yearly_reset=s.yearly_reset,
            issued=int(counts.get(s.id, 0)),
            example=example_number(s.pattern, day),
        )
        for s in session.scalars(select(NumberSeries).order_by(NumberSeries.id))
    ]


def set_series_patterns(session: Session, patterns: dict[str, str]) -> list[str]:
    """Give several series a new pattern at once; returns the codes really changed.

    Every pattern is checked first (errors name the series as the field label, e.g.
    « Factures »); nothing is written when one is wrong.
    """
    errors: list[ValidationError] = []
    changes: list[tuple[NumberSeries, str]] = []
    for code, raw in patterns.items():
        series = get_series(session, code)
        pattern = raw.strip()
        if pattern == series.pattern:
            continue
        try:
            validate_pattern(pattern, series.yearly_reset)
        except ValidationError as exc:
            # Same message, but naming the series so the page shows it on the right row.
            values = {k: v for k, v in exc.values.items() if k != "field"}
            errors.append(ValidationError(series.label, exc.template, **values))
            continue
        issued = session.scalar(select(func.count()).where(IssuedNumber.series_id == series.id))
        if issued:
            errors.append(
                ValidationError(
                    series.label,
                    "La série « {series} » a déjà attribué {count} numéro(s) : son modèle "
                    "ne peut plus changer.",
                    series=series.label,
                    count=issued,
                )
            )
            continue
        clash = session.scalar(
            select(NumberSeries.label).where(
                NumberSeries.pattern == pattern, NumberSeries.id != series.id
            )
        )
        if clash is None:
            clash = next((s.label for s, p in changes if p == pattern), None)
        if clash is not None:
            errors.append(
                ValidationError(
                    series.label,
                    "Le modèle « {pattern} » est déjà celui de la série « {other} » : deux "
                    "séries donneraient le même numéro.",
                    pattern=pattern,
                    other=clash,
                )
            )
            continue
        changes.append((series, pattern))
    if errors:
        raise ValidationErrors(errors)
    for series, pattern in changes:
        old = series.pattern
        series.pattern = pattern
        audit.record(
            session,
            "number_series",
            series.id,
            "update",
            f"Modèle de numérotation « {series.label} » : {old} → {pattern}",
            changes={"pattern": (old, pattern)},
        )
    session.flush()
    return [series.code for series, _ in changes]
