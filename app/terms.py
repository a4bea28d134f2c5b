"""Payment terms and due dates (pure functions).

The four usual French terms (docs/DOMAIN.md « Payment terms »): on receipt, N days net,
N days end of month (add N days, then go to the end of that month), end of month + N days (go to the end
of the month, then add N days). The two "fin de mois" readings are distinct kinds.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from app.errors import ValidationError
from app.i18n import _

ON_RECEIPT = "on_receipt"
NET = "net"
DAYS_END_OF_MONTH = "days_eom"  # « 45 jours fin de mois »: +45 days, then month end
END_OF_MONTH_PLUS = "eom_plus"  # « fin de mois + 45 jours »: month end, then +45 days

KINDS = {
    ON_RECEIPT: "À réception",
    NET: "{days} jours net",
    DAYS_END_OF_MONTH: "{days} jours fin de mois",
    END_OF_MONTH_PLUS: "Fin de mois + {days} jours",
}

# L441-10 / L441-11 Code de commerce: 60 days from invoice, or 45 days end of month.
MAX_DAYS = 60
# Periodic invoices (art. 289 I-3 CGI; a contract's month-end invoice): 45 days from issue.
PERIODIC_MAX_DAYS = 45


def end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class PaymentTerms:
    kind: str = NET
    days: int = 30

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValidationError(
                "Conditions de règlement",
                "Conditions de règlement inconnues : « {kind} ».",
                kind=self.kind,
            )
        if self.days < 0 or self.days > MAX_DAYS:
            raise ValidationError(
                "Délai de paiement",
                "Le délai de paiement doit être compris entre 0 et {max} jours.",
                max=MAX_DAYS,
            )
        if self.kind in (DAYS_END_OF_MONTH, END_OF_MONTH_PLUS) and self.days > 45:
            raise ValidationError(
                "Délai de paiement",
                "Un délai « fin de mois » ne peut dépasser 45 jours (art. L441-10 du Code de commerce).",
            )

    def due_date(self, issue_date: dt.date, *, periodic: bool = False) -> dt.date:
        """The due date as a calendar date; a periodic invoice is never due later than
        45 days after its issue (docs/DOMAIN.md « Payment terms »), whatever the client's usual
        terms."""
        due = self._due_date(issue_date)
        if periodic:
            due = min(due, issue_date + dt.timedelta(days=PERIODIC_MAX_DAYS))
        return due

    def _due_date(self, issue_date: dt.date) -> dt.date:
        if self.kind == ON_RECEIPT:
            return issue_date
        if self.kind == NET:
            return issue_date + dt.timedelta(days=self.days)
        if self.kind == DAYS_END_OF_MONTH:
            return end_of_month(issue_date + dt.timedelta(days=self.days))
        return end_of_month(issue_date) + dt.timedelta(days=self.days)

    def label(self) -> str:
        return _(KINDS[self.kind]).format(days=self.days)
