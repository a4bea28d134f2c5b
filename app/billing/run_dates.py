"""The issue date of a month-end run, as the run wizard and ``billing run --issue-date`` offer it.

The rules are in :mod:`app.billing.issue_dates` (never after today; the month's last day when
past, today otherwise; beyond the coming month only when confirmed). A catch-up run (a month
forgotten and billed weeks later) is dated its real day of issue.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app.billing.issue_dates import FIELD, check_run_date, default_issue_date, month_end
from app.billing.runs import RunResult, active_contracts, run_month
from app.documents import render
from app.progress import Progress

__all__ = [
    "FIELD",
    "check_run_date",
    "default_issue_date",
    "month_end",
    "run_month_dated",
    "warm_checking_workers",
]


def warm_checking_workers(session: Session) -> bool:
    """Start the validation workers now when the run will make enough drafts to check them
    on the pool: their start (interpreter, XSD, schematrons compiled: ≈ 1 s of CPU each)
    then overlaps the making of the drafts instead of delaying their check. The run wizard
    and ``billing run`` both call it before the run; unused, the workers stop on their own."""
    if active_contracts(session) < render.POOL_THRESHOLD:
        return False
    render.start_pool()
    return True


def run_month_dated(
    session: Session,
    period: str,
    issue_date: dt.date | None = None,
    *,
    advance: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Create the drafts of ``period`` dated ``issue_date`` (by default the month's last day
    when past, today otherwise), checked first: nothing written when the date is refused."""
    day = check_run_date(issue_date or default_issue_date(period), period, advance=advance)
    warm_checking_workers(session)
    return run_month(session, period, issue_date=day, advance=advance, progress=progress)
