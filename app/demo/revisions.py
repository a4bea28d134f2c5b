"""Demo: index series with plausible fixed values 2024–2026, revision clauses on several
contracts (one due on 1 September 2026, the demo's « today »), term end dates on two
tacitly renewed contracts, cost assumptions for the annual projection.

Values are fixed formulas (no randomness): ICHTrev-TS section N monthly from 126,8 in
January 2024 (+0,3 a month, published up to June 2026); Index Propreté quarterly from
118,4 in 2024-T1 (+0,7 a quarter, published up to 2026-T2). Runs after the contracts
step; when there is no contract yet it only creates the index series.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.revisions import clauses, indices
from app.revisions.indices import IndexForm, add_months
from models.contracts import Contract, ContractLine, ContractStatus
from models.revisions import CostAssumption, IndexValue, Periodicity

ICHT = "ICHTrev-TS section N"
PROPRETE = "Index Propreté"
DUE_DATE = dt.date(2026, 9, 1)


def icht_value(month: dt.date) -> Decimal:
    n = (month.year - 2024) * 12 + month.month - 1
    return Decimal("126.8") + Decimal("0.3") * n


def proprete_value(quarter_start: dt.date) -> Decimal:
    n = (quarter_start.year - 2024) * 4 + (quarter_start.month - 1) // 3
    return Decimal("118.4") + Decimal("0.7") * n


def _series(session: Session) -> tuple[int, int]:
    icht = indices.create_index(
        session,
        IndexForm(
            name=ICHT,
            source="INSEE — indice du coût horaire du travail révisé, tous salariés, section N",
            base="base 100 en décembre 2015",
        ),
    )
    proprete = indices.create_index(
        session,
        IndexForm(
            name=PROPRETE,
            source="Fédération des entreprises de propreté (FEP)",
            base="base 100 au 1er trimestre 2016",
            periodicity=Periodicity.QUARTERLY,
        ),
    )
    month = dt.date(2024, 1, 1)
    rows = []
    while month <= dt.date(2026, 6, 1):
        rows.append(
            IndexValue(index_id=icht.id, month=month, value=icht_value(month), origin="csv")
        )
        if month.month in (1, 4, 7, 10):
            rows.append(
                IndexValue(
                    index_id=proprete.id, month=month, value=proprete_value(month), origin="csv"
                )
            )
        month = add_months(month, 1)
    session.add_all(rows)
    session.flush()
    return icht.id, proprete.id


def _candidates(session: Session) -> list[Contract]:
    """Running contracts with recurring lines only, in code order (deterministic)."""
    stmt = (
        select(Contract)
        .where(Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.SUSPENDED)))
        .options(selectinload(Contract.lines).selectinload(ContractLine.versions))
        .order_by(Contract.code)
    )
    out = []
    for contract in session.scalars(stmt):
        if contract.start_date > dt.date(2026, 6, 1) or not contract.lines:
            continue
        versions = [line.versions[-1] for line in contract.lines if line.versions]
        if versions and all(
            v.frequency != "one_off" and not v.removed and v.annual_budget is None for v in versions
        ):
            out.append(contract)
    return out


def _anniversary(contract: Contract) -> dt.date:
    """Next anniversary of the start date after the demo's today (first of the month)."""
    day = dt.date(2026, contract.start_date.month, 1)
    return day if day > DUE_DATE else dt.date(2027, day.month, 1)


def load(session: Session, ctx: Any) -> None:
    icht_id, proprete_id = _series(session)
    contracts = _candidates(session)
    if not contracts:
        return
    # The one due now: a monthly contract, classic formula 0,15 + 0,85 × ICHT/ICHT₀.
    monthly = [
        c for c in contracts if all(line.versions[-1].frequency == "monthly" for line in c.lines)
    ]
    due = (monthly or contracts)[0]
    specs: list[tuple[Contract, clauses.ClauseForm]] = [
        (
            due,
            clauses.ClauseForm(
                fixed_part=Decimal("0.15"),
                terms=[clauses.TermForm(icht_id, Decimal("0.85"), None, dt.date(2025, 6, 1))],
                next_revision=DUE_DATE,
                index_lag_months=3,
                decimals=6,
            ),
        )
    ]
    others = [c for c in contracts if c.id != due.id][:5]
    variants = [
        # FEP formula: 0,90 × Index Propreté + 0,10 × ICHT, no fixed part.
        clauses.ClauseForm(
            fixed_part=Decimal("0"),
            terms=[
                clauses.TermForm(proprete_id, Decimal("0.90"), None, dt.date(2025, 10, 1)),
                clauses.TermForm(icht_id, Decimal("0.10"), None, dt.date(2025, 10, 1)),
            ],
            decimals=4,
        ),
        clauses.ClauseForm(
            fixed_part=Decimal("0.125"),
            terms=[clauses.TermForm(icht_id, Decimal("0.875"), None, dt.date(2025, 9, 1))],
            decimals=3,
            cap=Decimal("1.03"),
        ),
        clauses.ClauseForm(
            fixed_part=Decimal("0.15"),
            terms=[clauses.TermForm(proprete_id, Decimal("0.85"), Decimal("120.5"), None)],
            decimals=5,
            no_decrease=True,
        ),
    ]
    for n, contract in enumerate(others):
        form = variants[n % len(variants)]
        specs.append(
            (
                contract,
                clauses.ClauseForm(
                    fixed_part=form.fixed_part,
                    terms=list(form.terms),
                    next_revision=_anniversary(contract),
                    index_lag_months=form.index_lag_months,
                    decimals=form.decimals,
                    rounding=form.rounding,
                    cap=form.cap,
                    no_decrease=form.no_decrease,
                ),
            )
        )
    for contract, form in specs:
        clauses.save_clause(session, contract.id, form)
    # Terms with an end date (tacit renewal): one whose notice deadline is 30/09/2026 (in
    # alert on the demo's today), one later. Billing is unchanged: a tacitly renewed
    # contract bills on.
    for contract, end in zip(others, (dt.date(2026, 12, 31), dt.date(2027, 3, 31)), strict=False):
        if contract.tacit_renewal and contract.end_date is None and contract.start_date < end:
            contract.end_date = end
            contract.notice_months = 3
    # Other costs for the projection: products and equipment per month, overheads 7 %.
    for n, contract in enumerate(contracts):
        session.add(
            CostAssumption(
                contract_id=contract.id,
                other_monthly=Decimal(40 + 15 * (n % 4)).quantize(Decimal("0.01")),
                other_percent=Decimal("7"),
                notes="Produits et matériel ; frais généraux 7 % du CA",
            )
        )
    session.flush()
    ctx["revision_due_contract"] = due
