"""Control of a month (provisional or issued) against M-1: the query layer.

``current`` = the invoices of M, draft or issued (credit notes negative);
``previous`` = the issued invoices of M-1. An invoice made by a month-end run belongs to
the month that run billed, even when a catch-up run is dated later (``billing run
--issue-date``, the wizard's « Date d'émission »); any other invoice to its issue month. Amounts are HT, taken from the invoice
lines so that each line counts in its article family; a line not attached to a contract
line is attributed to the invoice's contract when it has one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from app.billing.contracts import effective_end
from app.billing.plan import add_months, parse_period
from app.control.compare import Anomaly, ContractMonth, FamilyTotal, anomalies, family_totals
from app.errors import ValidationError
from app.money import ZERO, to_decimal
from models.billing import BillingRun
from models.catalog import ArticleFamily
from models.clients import Client
from models.collections import ControlSettings
from models.contracts import Contract, ContractLine, ContractStatus, Frequency
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from models.revisions import Revision

NO_FAMILY = "Sans famille"


@dataclass(frozen=True)
class MonthControl:
    period: str
    previous: str
    by_family: list[FamilyTotal]
    anomalies: list[Anomaly]
    threshold: Decimal
    drafts: int  # draft invoices counted in M (provisional control when > 0)

    @property
    def total_current(self) -> Decimal:
        return sum((f.current for f in self.by_family), ZERO)

    @property
    def total_previous(self) -> Decimal:
        return sum((f.previous for f in self.by_family), ZERO)

    def as_json(self) -> dict[str, object]:
        """The shape printed by ``propreo billing control --json``."""
        return {
            "period": self.period,
            "previous": self.previous,
            "by_family": [
                {
                    "family": f.family,
                    "current": str(f.current),
                    "previous": str(f.previous),
                    "delta": str(f.delta),
                }
                for f in self.by_family
            ],
            "anomalies": [
                {
                    "kind": a.kind,
                    "contract": a.contract,
                    "client": a.client,
                    "current": str(a.current),
                    "previous": str(a.previous),
                }
                for a in self.anomalies
            ],
        }


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    try:
        return parse_period(period)
    except ValueError:
        raise ValidationError(
            "Mois", "{field} : format attendu AAAA-MM, année de 1900 à 2099."
        ) from None


def get_threshold(session: Session) -> Decimal:
    row = session.get(ControlSettings, 1)
    return row.change_threshold if row is not None else Decimal("10")


def set_threshold(session: Session, value: Decimal | str) -> ControlSettings:
    from app import audit

    threshold = to_decimal(value, field="seuil")
    if threshold < 0 or threshold > 1000:
        raise ValidationError("Seuil de variation", "{field} : entre 0 et 1000 %.")
    row = session.get(ControlSettings, 1)
    if row is None:
        row = ControlSettings(id=1)
        session.add(row)
    old = row.change_threshold
    row.change_threshold = threshold
    session.flush()
    audit.record(
        session,
        "control_settings",
        1,
        "update",
        f"Seuil de contrôle M/M-1 : {old} % → {threshold} %",
    )
    return row


@dataclass
class _Line:
    amount: Decimal
    family: str
    contract_id: int | None
    regular: bool
    prorata_or_regul: bool
    in_current: bool


def _load_lines(
    session: Session, first: dt.date, last: dt.date, prev_first: dt.date
) -> tuple[list[_Line], int]:
    families = dict(session.execute(select(ArticleFamily.id, ArticleFamily.label)).all())
    current, previous = f"{first:%Y-%m}", f"{prev_first:%Y-%m}"
    run_period = dict(
        session.execute(
            select(BillingRun.id, BillingRun.period).where(
                BillingRun.period.in_((previous, current))
            )
        ).all()
    )
    rows = session.execute(
        select(
            InvoiceLine.total_ht,
            InvoiceLine.kind,
            InvoiceLine.family_id,
            InvoiceLine.contract_line_id,
            Invoice.id,
            Invoice.kind,
            Invoice.status,
            Invoice.issue_date,
            Invoice.contract_id,
            Invoice.run_id,
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            or_(
                and_(Invoice.issue_date >= prev_first, Invoice.issue_date <= last),
                Invoice.run_id.in_(list(run_period)),
            )
        )
    ).all()
    # The month each invoice belongs to (see the module docstring); M-1 counts issued ones.
    # An invoice of another month's run dated in M or M-1 (a late catch-up) is left out.
    kept = []
    for *values, run_id in rows:
        month = run_period.get(run_id) if run_id is not None else f"{values[7]:%Y-%m}"
        in_current = month == current
        if month in (previous, current) and (in_current or values[6] == InvoiceStatus.ISSUED):
            kept.append((*values, in_current))
    line_ids = {r[3] for r in kept if r[3] is not None}
    contract_of: dict[int, int] = {}
    monthly: set[int] = set()
    if line_ids:
        for cl in session.scalars(
            select(ContractLine)
            .where(ContractLine.id.in_(line_ids))
            .options(selectinload(ContractLine.versions))
        ):
            contract_of[cl.id] = cl.contract_id
            in_force = [v for v in cl.versions if v.valid_from <= last] or cl.versions[:1]
            if in_force and in_force[-1].frequency == Frequency.MONTHLY:
                monthly.add(cl.id)
    out: list[_Line] = []
    drafts: set[int] = set()
    for (
        total,
        line_kind,
        family_id,
        cl_id,
        inv_id,
        inv_kind,
        status,
        _issue_date,
        inv_contract,
        in_current,
    ) in kept:
        sign = -1 if inv_kind == InvoiceKind.CREDIT_NOTE else 1
        if in_current and status == InvoiceStatus.DRAFT:
            drafts.add(inv_id)
        out.append(
            _Line(
                amount=sign * total,
                family=families.get(family_id, NO_FAMILY),
                contract_id=contract_of.get(cl_id, inv_contract) if cl_id else inv_contract,
                # Monthly contract lines and free lines added by hand on a contract's invoice.
                regular=(
                    (cl_id is None or cl_id in monthly)
                    and line_kind in (LineKind.NORMAL, LineKind.FREE)
                    and inv_kind == InvoiceKind.INVOICE
                ),
                prorata_or_regul=line_kind in (LineKind.PRORATA, LineKind.REGULARISATION),
                in_current=in_current,
            )
        )
    return out, len(drafts)


def _in_force(contract: Contract, first: dt.date, last: dt.date) -> bool:
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.TERMINATED):
        return False
    end = effective_end(contract)
    if contract.start_date > last or (end is not None and end < first):
        return False
    if any(
        s.line_id is None and s.start_date <= first and s.end_date >= last
        for s in contract.suspensions
    ):
        return False
    for cl in contract.lines:
        versions = [v for v in cl.versions if v.valid_from <= last]
        if not versions:
            continue
        v = versions[-1]
        if (
            not v.removed
            and v.frequency == Frequency.MONTHLY
            and (v.start_date is None or v.start_date <= last)
            and (v.end_date is None or v.end_date >= first)
        ):
            return True
    return False


def _explanations(
    contract: Contract,
    revised: set[int],
    window: tuple[dt.date, dt.date],
    regul: bool,
) -> tuple[str, ...]:
    """Why the amount may legitimately differ between M-1 and M (empty: no reason known)."""
    start, last = window  # (first day of M-1, last day of M]
    reasons: list[str] = []
    for a in contract.amendments:
        if start < a.effective_date <= last:
            reasons.append(f"avenant n° {a.number} du {a.effective_date:%d/%m/%Y}")
    if contract.id in revised:
        reasons.append("révision de prix")
    if start < contract.start_date <= last:
        reasons.append(f"début le {contract.start_date:%d/%m/%Y}")
    end = effective_end(contract) or contract.end_date
    if end is not None and start <= end < last:
        reasons.append(f"fin le {end:%d/%m/%Y}")
    for s in contract.suspensions:
        if s.start_date <= last and s.end_date >= start:
            reasons.append(f"suspension du {s.start_date:%d/%m/%Y} au {s.end_date:%d/%m/%Y}")
    if contract.status == ContractStatus.SUSPENDED:
        reasons.append("contrat suspendu")
    if regul:
        reasons.append("prorata ou régularisation")
    return tuple(reasons)


def control_month(
    session: Session, period: str, *, threshold: Decimal | None = None
) -> MonthControl:
    """Totals by article family for M and M-1 and the regularity anomalies of M."""
    first, last = period_bounds(period)
    prev_first = add_months(first, -1)
    previous = f"{prev_first:%Y-%m}"
    threshold = get_threshold(session) if threshold is None else threshold
    lines, drafts = _load_lines(session, first, last, prev_first)
    fam_cur: dict[str, Decimal] = defaultdict(lambda: ZERO)
    fam_prev: dict[str, Decimal] = defaultdict(lambda: ZERO)
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    regul: set[int] = set()
    for line in lines:
        (fam_cur if line.in_current else fam_prev)[line.family] += line.amount
        if line.contract_id is None:
            continue
        s = sums[line.contract_id]
        s["current" if line.in_current else "previous"] += line.amount
        if line.regular:
            s["current_regular" if line.in_current else "previous_regular"] += line.amount
        if line.prorata_or_regul:
            regul.add(line.contract_id)
    contracts = list(
        session.scalars(
            select(Contract)
            .where(
                or_(
                    Contract.id.in_(list(sums)),
                    Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.TERMINATED)),
                )
            )
            .options(
                selectinload(Contract.lines).selectinload(ContractLine.versions),
                selectinload(Contract.amendments),
                selectinload(Contract.suspensions),
            )
        )
    )
    clients = dict(
        session.execute(
            select(Client.id, Client.name).where(Client.id.in_({c.client_id for c in contracts}))
        ).all()
    )
    revised = set(
        session.scalars(
            select(Revision.contract_id).where(
                Revision.effective_date > prev_first, Revision.effective_date <= last
            )
        )
    )
    rows = []
    for c in contracts:
        s = sums.get(c.id, {})
        end = effective_end(c)
        rows.append(
            ContractMonth(
                contract_id=c.id,
                contract=c.code,
                client=clients.get(c.client_id, ""),
                current=s.get("current", ZERO),
                previous=s.get("previous", ZERO),
                current_regular=s.get("current_regular", ZERO),
                previous_regular=s.get("previous_regular", ZERO),
                in_force=_in_force(c, first, last),
                ended_before=end is not None and end < first,
                explanations=_explanations(c, revised, (prev_first, last), c.id in regul),
            )
        )
    return MonthControl(
        period=f"{first:%Y-%m}",
        previous=previous,
        by_family=family_totals(dict(fam_cur), dict(fam_prev)),
        anomalies=anomalies(rows, threshold),
        threshold=threshold,
        drafts=drafts,
    )


def run_total_ht(session: Session, period: str) -> Decimal:
    """Σ HT of the invoices created by the runs of ``period`` (to check the control's totals)."""
    first, _last = period_bounds(period)
    return sum(
        session.scalars(
            select(Invoice.total_ht)
            .join(BillingRun, BillingRun.id == Invoice.run_id)
            .where(BillingRun.period == f"{first:%Y-%m}")
        ),
        ZERO,
    )
