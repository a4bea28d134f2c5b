from __future__ import annotations

import datetime as dt

import pytest

from app.errors import ValidationError
from app.terms import (
    DAYS_END_OF_MONTH,
    END_OF_MONTH_PLUS,
    NET,
    ON_RECEIPT,
    PaymentTerms,
)

D = dt.date


@pytest.mark.parametrize(
    ("kind", "days", "issued", "due"),
    [
        (ON_RECEIPT, 0, D(2026, 10, 31), D(2026, 10, 31)),
        (NET, 30, D(2026, 10, 31), D(2026, 11, 30)),
        (NET, 45, D(2026, 1, 31), D(2026, 3, 17)),
        # « 45 jours fin de mois »: +45 days (15/12) then end of that month
        (DAYS_END_OF_MONTH, 45, D(2026, 10, 31), D(2026, 12, 31)),
        (DAYS_END_OF_MONTH, 45, D(2026, 10, 10), D(2026, 11, 30)),
        # « fin de mois + 45 jours »: end of month (31/10) then +45 days
        (END_OF_MONTH_PLUS, 45, D(2026, 10, 10), D(2026, 12, 15)),
        (END_OF_MONTH_PLUS, 30, D(2026, 1, 15), D(2026, 3, 2)),
        (DAYS_END_OF_MONTH, 30, D(2024, 1, 31), D(2024, 3, 31)),
    ],
)
def test_due_dates(kind: str, days: int, issued: dt.date, due: dt.date) -> None:
    assert PaymentTerms(kind, days).due_date(issued) == due


def test_legal_limits_and_labels() -> None:
    with pytest.raises(ValidationError, match="45 jours"):
        PaymentTerms(DAYS_END_OF_MONTH, 60)
    with pytest.raises(ValidationError, match="entre 0 et 60"):
        PaymentTerms(NET, 90)
    assert PaymentTerms(END_OF_MONTH_PLUS, 10).label() == "Fin de mois + 10 jours"
    assert PaymentTerms(DAYS_END_OF_MONTH, 45).label() == "45 jours fin de mois"


def test_periodic_invoices_are_due_45_days_after_issue_at_most() -> None:
    terms = PaymentTerms(DAYS_END_OF_MONTH, 45)
    # « 45 jours fin de mois » from 30/09 is 30/11 (61 days): capped at 14/11 when periodic
    assert terms.due_date(D(2026, 9, 30)) == D(2026, 11, 30)
    assert terms.due_date(D(2026, 9, 30), periodic=True) == D(2026, 11, 14)
    # shorter terms are untouched
    assert PaymentTerms(NET, 30).due_date(D(2026, 9, 30), periodic=True) == D(2026, 10, 30)
