"""The date an invoice or credit note is issued on (every issuing path, CLI and GUI).

An invoice is dated the day it is issued (art. 242 nonies A, annexe II du CGI): never after
today, whatever the path (month-end run, one-off or TC invoice, down-payment, manual
invoice, credit note). A month-end run is dated the last day of the month billed when that
day is past, today otherwise; billing the coming month in advance is normal, a month further
ahead needs an express confirmation (``billing run --advance``, a question in the GUI).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import ConfirmationRequired, ValidationError
from models.closings import MonthClosing

FIELD = "Date d'émission"


def month_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def check_not_future(day: dt.date, *, today: dt.date | None = None, field: str = FIELD) -> dt.date:
    """``day``, refused when after today: a document is dated the day it is issued."""
    today = today or clock.today()
    if day > today:
        raise ValidationError(
            field,
            "{field} : le {day} est postérieur à aujourd'hui ({today}). Une facture ou un "
            "avoir est daté du jour de son émission, jamais d'une date à venir.",
            day=f"{day:%d/%m/%Y}",
            today=f"{today:%d/%m/%Y}",
        )
    return day


def check_open_months(session: Session, days: Iterable[dt.date], *, field: str = FIELD) -> None:
    """Refuse a date in a month closed by ``propreo cloture`` (app.closings): its signed
    chain head is final, no document may be dated in it any more."""
    periods = sorted({f"{day:%Y-%m}" for day in days})
    if not periods:
        return
    closed = session.scalars(
        select(MonthClosing.period)
        .where(MonthClosing.period.in_(periods))
        .order_by(MonthClosing.period)
    ).first()
    if closed is not None:
        raise ValidationError(
            field,
            "Le mois {month} est clôturé : aucune facture ni aucun avoir ne peut plus y être "
            "daté. Datez le document d'aujourd'hui (ou d'un mois non clôturé).",
            month=f"{closed[5:7]}/{closed[:4]}",
        )


def check_run_month_open(session: Session, day: dt.date, period: str, *, by_default: bool) -> None:
    """:func:`check_open_months` for a run; when nobody chose its date (the month's last
    day, by default), the refusal says so and how to choose another."""
    try:
        check_open_months(session, [day])
    except ValidationError:
        if not by_default:
            raise
        raise ValidationError(
            FIELD,
            "La facturation de {period} serait datée du {day} (dernier jour du mois, date "
            "proposée par défaut), mais le mois {month} est clôturé : aucune facture ne peut "
            "plus y être datée. Choisissez une date d'émission dans un mois non clôturé, "
            "aujourd'hui par exemple (en ligne de commande : --issue-date AAAA-MM-JJ).",
            period=f"{period[5:7]}/{period[:4]}",
            day=f"{day:%d/%m/%Y}",
            month=f"{day:%m/%Y}",
        ) from None


def default_issue_date(period: str, *, today: dt.date | None = None) -> dt.date:
    """The date a run of ``period`` offers: its last day when past, else today."""
    today = today or clock.today()
    return min(month_end(period), today)


def months_ahead(day: dt.date, period: str) -> int:
    """How many months the billed month ``period`` (AAAA-MM) comes after ``day``'s month."""
    return (int(period[:4]) - day.year) * 12 + int(period[5:7]) - day.month


def check_run_date(
    day: dt.date, period: str, *, today: dt.date | None = None, advance: bool = False
) -> dt.date:
    """The issue date of a run of ``period``: not after today; the month billed at most the
    one after the issue date's (advance billing of the coming month) unless ``advance``."""
    check_not_future(day, today=today)
    ahead = months_ahead(day, period)
    if ahead > 1 and not advance:
        raise ConfirmationRequired(
            FIELD,
            "Le mois facturé {period} vient {months} mois après la date d'émission {day} : "
            "c'est une facturation par avance au-delà du mois suivant, qui doit être "
            "confirmée expressément.",
            period=f"{period[5:7]}/{period[:4]}",
            months=ahead,
            day=f"{day:%d/%m/%Y}",
        )
    return day


PERIOD_FIELD = "Période de prestation"


def check_service_period(start: dt.date | None, end: dt.date | None) -> None:
    """The period of the service (BT-73/74): both ends or none, the start not after the end."""
    if (start is None) != (end is None):
        raise ValidationError(
            PERIOD_FIELD, "{field} : indiquez le premier et le dernier jour de la prestation."
        )
    if start is not None and end is not None and start > end:
        raise ValidationError(
            PERIOD_FIELD,
            "{field} : le début ({start}) est après la fin ({end}).",
            start=f"{start:%d/%m/%Y}",
            end=f"{end:%d/%m/%Y}",
        )
