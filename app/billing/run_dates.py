"""The issue date of a month-end run, as the run wizard and ``billing run --issue-date`` offer it.

An invoice is dated the day it is issued (art. 242 nonies A, annexe II du CGI). A run made on
time is dated the last day of the month billed; a catch-up run (a month forgotten and billed
weeks later) is dated its real day of issue. Never before the month billed: its services
would then be invoiced before they were rendered.
"""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy.orm import Session

from app.billing.runs import RunResult, run_month
from app.errors import ValidationError
from app.progress import Progress

FIELD = "Date d'émission"


def month_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def check_issue_date(day: dt.date, period: str) -> dt.date:
    """The date asked for, refused when it precedes the month billed (same rule as the CLI)."""
    if day.strftime("%Y-%m") < period:
        raise ValidationError(
            FIELD,
            "La date d'émission {day} précède le mois facturé {period}.",
            day=day.strftime("%d/%m/%Y"),
            period=period,
        )
    return day


def run_month_dated(
    session: Session,
    period: str,
    issue_date: dt.date,
    *,
    progress: Progress | None = None,
) -> RunResult:
    """Create the drafts of ``period`` dated ``issue_date`` (checked first: nothing written
    when the date precedes the month billed)."""
    return run_month(
        session, period, issue_date=check_issue_date(issue_date, period), progress=progress
    )
