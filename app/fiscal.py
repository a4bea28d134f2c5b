"""The firm's fiscal years (exercices): closing day/month and an irregular first exercise.

A French firm closes its books once a year on a date of its choosing (31/12 by default; many
cleaning firms close on 30/06 or 30/09). The first exercise may be shorter or longer (up to
24 months) than a year: it runs from ``first_start`` to ``first_end``, then every exercise
runs from the day after a closing to the next closing. The FEC and the sales journal of an
exercise use these dates (art. A47 A-1 LPF: the file is named after the closing date).

Pure functions over :class:`FiscalCalendar`; :func:`calendar_of` reads the company settings.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import Session

from app.errors import NotFoundError, ValidationError

CLOSING_FIELD = "Clôture de l'exercice"
FIRST_START_FIELD = "Début du premier exercice"
FIRST_END_FIELD = "Clôture du premier exercice"
MAX_FIRST_MONTHS = 24


@dataclass(frozen=True)
class Exercise:
    start: dt.date
    end: dt.date

    @property
    def calendar_year(self) -> bool:
        return (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31)

    @property
    def label(self) -> str:
        return f"Exercice du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"

    @property
    def slug(self) -> str:
        """Short name for files: ``2026`` for a calendar year, else ``2025-07_2026-06``."""
        if self.calendar_year and self.start.year == self.end.year:
            return f"{self.end:%Y}"
        return f"{self.start:%Y-%m}_{self.end:%Y-%m}"


@dataclass(frozen=True)
class FiscalCalendar:
    close_month: int = 12
    close_day: int = 31
    first_start: dt.date | None = None
    first_end: dt.date | None = None

    def closing_in(self, year: int) -> dt.date:
        """The regular closing date falling in ``year`` (31/02 or 29/02 → end of February)."""
        last = calendar.monthrange(year, self.close_month)[1]
        return dt.date(year, self.close_month, min(self.close_day, last))

    def exercise_of(self, day: dt.date) -> Exercise:
        """The exercise containing ``day`` (any day up to the first closing belongs to the
        first exercise when one is set)."""
        if self.first_start and self.first_end and day <= self.first_end:
            return Exercise(self.first_start, self.first_end)
        end = self.closing_in(day.year)
        if day > end:
            end = self.closing_in(day.year + 1)
        start = self.closing_in(end.year - 1) + dt.timedelta(days=1)
        if self.first_end and start <= self.first_end:
            start = self.first_end + dt.timedelta(days=1)
        return Exercise(start, end)

    def exercise_closing_in(self, year: int) -> Exercise:
        """The exercise whose closing falls in ``year`` (« exercice 2026 »)."""
        if self.first_end and year < self.first_end.year:
            raise NotFoundError(
                "Aucun exercice ne se clôt en {year} : le premier exercice se clôt le {end}.",
                year=year,
                end=f"{self.first_end:%d/%m/%Y}",
            )
        if self.first_end and year == self.first_end.year:
            return self.exercise_of(self.first_end)
        return self.exercise_of(self.closing_in(year))

    def recent(self, today: dt.date, count: int = 6) -> list[Exercise]:
        """The exercise containing ``today`` and the ones before it, newest first."""
        result = [self.exercise_of(today)]
        while len(result) < count:
            previous = result[-1].start - dt.timedelta(days=1)
            if self.first_start and previous < self.first_start:
                break
            result.append(self.exercise_of(previous))
        return result


def calendar_of(session: Session) -> FiscalCalendar:
    from models.company import CompanySettings

    company = session.get(CompanySettings, 1)
    if company is None:
        return FiscalCalendar()
    return FiscalCalendar(
        company.fiscal_close_month,
        company.fiscal_close_day,
        company.fiscal_first_start,
        company.fiscal_first_end,
    )


def exercise(session: Session, which: int | dt.date) -> Exercise:
    """The exercise closing in year ``which`` (int) or containing the date ``which``."""
    from app import input_rules

    year = which.year if isinstance(which, dt.date) else which
    if not input_rules.FIRST_DAY.year < year < input_rules.LAST_DAY.year:
        raise ValidationError(
            "Exercice", "Exercice {year} hors des limites admises (années 1901 à 2098).", year=year
        )
    cal = calendar_of(session)
    if isinstance(which, dt.date):
        return cal.exercise_of(which)
    return cal.exercise_closing_in(which)


def recent_exercises(session: Session, today: dt.date, count: int = 6) -> list[Exercise]:
    return calendar_of(session).recent(today, count)


# --- validation of the settings form ---------------------------------------------------


def parse_closing(text: str) -> tuple[int, int]:
    """« 30/06 » → (30, 6). The day must exist in that month (29/02 = end of February)."""
    value = (text or "").strip() or "31/12"
    parts = value.replace("-", "/").replace(".", "/").split("/")
    try:
        day, month = (int(p) for p in parts)
    except ValueError:
        raise ValidationError(
            CLOSING_FIELD, "{field} : « {value} » n'est pas un jour JJ/MM (ex. 30/06).", value=value
        ) from None
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
        raise ValidationError(
            CLOSING_FIELD, "{field} : le {value} n'existe pas (ex. 31/12, 30/06).", value=value
        )
    return day, month


def parse_date(text: str, field: str) -> dt.date | None:
    value = (text or "").strip()
    if not value:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValidationError(
        field, "{field} : « {value} » n'est pas une date JJ/MM/AAAA.", value=value
    )


def validate_first_exercise(
    day: int, month: int, start: dt.date | None, end: dt.date | None
) -> list[ValidationError]:
    """Both dates or neither; the first closing falls on the closing day/month; the first
    exercise lasts at most 24 months."""
    if start is None and end is None:
        return []
    if start is None:
        return [ValidationError(FIRST_START_FIELD, "{field} : date obligatoire avec la clôture.")]
    if end is None:
        return [ValidationError(FIRST_END_FIELD, "{field} : date obligatoire avec le début.")]
    errors = []
    if FiscalCalendar(month, day).closing_in(end.year) != end:
        errors.append(
            ValidationError(
                FIRST_END_FIELD,
                "{field} : le {end} ne tombe pas le jour de clôture ({closing}).",
                end=f"{end:%d/%m/%Y}",
                closing=f"{day:02d}/{month:02d}",
            )
        )
    if end <= start:
        errors.append(ValidationError(FIRST_END_FIELD, "{field} : doit suivre le début."))
    elif end >= start + relativedelta(months=MAX_FIRST_MONTHS):
        errors.append(
            ValidationError(FIRST_END_FIELD, "{field} : le premier exercice dure au plus 24 mois.")
        )
    return errors
