"""The month-end run reads contracts as plain rows: it must leave out exactly what the
model's relationships leave out (a cancelled suspension, a cancelled amendment's version)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, update

from app.billing.contracts import suspend
from app.billing.runs import run_month
from app.db import Database
from models.contracts import ContractLine, ContractLineVersion, Suspension
from models.invoices import InvoiceLine
from tests import billing_fixtures as bf

D = dt.date


def _first_line_billed(db: Database, line_id: int) -> Decimal:
    with db.read() as s:
        total = s.scalar(
            select(func.sum(InvoiceLine.total_ht)).where(InvoiceLine.contract_line_id == line_id)
        )
    return total if isinstance(total, Decimal) else Decimal(total or 0) / 100


def _contract(db: Database) -> int:
    with db.write() as s:
        bf.firm(s)
        contract = bf.three_line_contract(s, bf.client(s))
        return s.scalar(
            select(ContractLine.id)
            .where(ContractLine.contract_id == contract.id)
            .order_by(ContractLine.position)
        )


def test_a_cancelled_suspension_does_not_stop_billing(db: Database) -> None:
    line_id = _contract(db)
    with db.write() as s:
        contract_id = s.get(ContractLine, line_id).contract_id
        suspend(s, contract_id, D(2026, 7, 1), D(2026, 8, 31), line_id=line_id)
        s.execute(
            update(Suspension)
            .where(Suspension.contract_id == contract_id)
            .values(cancelled_at=dt.datetime(2026, 6, 30, tzinfo=dt.UTC))
        )
    with db.write() as s:
        run_month(s, "2026-07")
    # Monthly in arrears from 15 January: 658.06 (prorata) + February to July 6 × 1 200.
    assert _first_line_billed(db, line_id) == Decimal("7858.06")


def test_an_active_suspension_still_stops_billing(db: Database) -> None:
    line_id = _contract(db)
    with db.write() as s:
        contract_id = s.get(ContractLine, line_id).contract_id
        suspend(s, contract_id, D(2026, 7, 1), D(2026, 8, 31), line_id=line_id)
    with db.write() as s:
        run_month(s, "2026-07")
    assert _first_line_billed(db, line_id) == Decimal("6658.06")  # July not billed


def test_a_cancelled_version_is_not_billed(db: Database) -> None:
    line_id = _contract(db)
    with db.write() as s:
        first = s.scalar(select(ContractLineVersion).where(ContractLineVersion.line_id == line_id))
        s.add(
            ContractLineVersion(
                line_id=line_id,
                valid_from=D(2026, 4, 1),
                description=first.description,
                quantity=Decimal(1),
                unit_price=Decimal(9999),
                frequency=first.frequency,
                term=first.term,
                article_id=first.article_id,
                cancelled=True,
            )
        )
    with db.write() as s:
        run_month(s, "2026-07")
    assert _first_line_billed(db, line_id) == Decimal("7858.06")  # 1 200 a month throughout
