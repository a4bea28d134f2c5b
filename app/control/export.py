"""The month control as a report (PDF / .xlsx) of plain values."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from app.billing.run_build import month_label
from app.control.month import MonthControl, control_month, period_bounds
from models.company import CompanySettings
from reports.control_pdf import AnomalyLine, ControlReport, FamilyLine


def report_of(result: MonthControl, company: str) -> ControlReport:
    first, _ = period_bounds(result.period)
    previous, _ = period_bounds(result.previous)
    return ControlReport(
        company=company,
        period=month_label(first),
        previous=month_label(previous),
        provisional=result.drafts > 0,
        threshold=result.threshold,
        families=tuple(
            FamilyLine(f.family, f.current, f.previous, f.delta, f.percent)
            for f in result.by_family
        ),
        anomalies=tuple(
            AnomalyLine(a.label, a.contract, a.client, a.current, a.previous, a.detail)
            for a in result.anomalies
        ),
    )


def control_report(
    session: Session, period: str, *, threshold: Decimal | None = None
) -> ControlReport:
    company = session.get(CompanySettings, 1)
    return report_of(
        control_month(session, period, threshold=threshold), company.name if company else ""
    )
