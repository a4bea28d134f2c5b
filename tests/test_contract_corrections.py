"""Cancelling an amendment, correcting or cancelling a suspension: the plan falls back,
the next run regularises what was billed under the wrong conditions, nothing is deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.billing.amendments import (
    amendment_rows,
    cancel_amendment,
    cancel_suspension,
    cancelled_version_rows,
    correct_suspension,
    suspension_rows,
)
from app.billing.contracts import (
    ContractForm,
    LineForm,
    activate,
    add_amendment,
    create_contract,
    get_contract,
    suspend,
)
from app.billing.runs import issue_period, run_month
from app.check import run_checks
from app.db import Database
from app.errors import StateError, ValidationError
from models.audit import AuditEvent
from models.contracts import ContractLineVersion, Suspension
from models.invoices import Invoice, InvoiceLine
from models.revisions import Revision
from tests import billing_fixtures as bf

D = dt.date


def _contract(db: Database, price: str = "1000") -> tuple[int, int]:
    """One line, monthly in advance, from 1 January 2026; returns (contract, line) ids."""
    with db.write() as s:
        bf.firm(s)
        c = bf.client(s)
        contract = create_contract(
            s,
            ContractForm(client_id=c.id, start_date=D(2026, 1, 1), title="Bureaux"),
            [LineForm("Entretien des bureaux", Decimal(1), Decimal(price), "monthly", "advance")],
        )
        activate(s, contract.id)
        return contract.id, contract.lines[0].id


def _bill(db: Database, period: str) -> list[tuple[str, str, str, dt.date]]:
    """Run and issue month ``period``; its lines as (description, HT, kind, period start)."""
    with db.write() as s:
        result = run_month(s, period)
    with db.write() as s:
        issue_period(s, period)
    with db.read() as s:
        rows = s.execute(
            select(
                InvoiceLine.description,
                InvoiceLine.total_ht,
                InvoiceLine.kind,
                InvoiceLine.period_start,
            )
            .join(Invoice)
            .where(Invoice.id.in_(result.invoice_ids))
            .order_by(InvoiceLine.period_start, InvoiceLine.id)
        ).all()
    return [(d, str(t), k, p) for d, t, k, p in rows]


def _amend(db: Database, contract_id: int, line_id: int, price: str, on: dt.date) -> int:
    with db.write() as s:
        return add_amendment(
            s,
            contract_id,
            signed_date=on,
            effective_date=on,
            description="Nouveau prix",
            changes=[
                LineForm(
                    "Entretien des bureaux",
                    Decimal(1),
                    Decimal(price),
                    "monthly",
                    "advance",
                    line_id=line_id,
                )
            ],
        ).id


def _history(db: Database, contract_id: int) -> list[str]:
    with db.read() as s:
        return list(
            s.scalars(
                select(AuditEvent.summary)
                .where(AuditEvent.entity_type == "contract", AuditEvent.entity_id == contract_id)
                .order_by(AuditEvent.id)
            )
        )


def test_cancelled_amendment_is_regularised_then_retyped_at_the_same_date(db: Database) -> None:
    contract_id, line_id = _contract(db)
    _bill(db, "2026-01")
    wrong = _amend(db, contract_id, line_id, "1200", D(2026, 2, 1))  # typo: 1 200 for 1 100
    assert [t for _d, t, _k, _p in _bill(db, "2026-02")] == ["1200.00"]
    assert [t for _d, t, _k, _p in _bill(db, "2026-03")] == ["1200.00"]

    with db.write() as s, pytest.raises(ValidationError, match="motif"):
        cancel_amendment(s, wrong, "   ")
    with db.write() as s:
        cancel_amendment(s, wrong, "Prix saisi par erreur")
    with db.write() as s, pytest.raises(StateError, match="déjà annulé"):
        cancel_amendment(s, wrong, "Encore")
    # April: the month at the old price, February and March credited 200 each.
    april = _bill(db, "2026-04")
    assert [(t, k, p) for _d, t, k, p in april] == [
        ("-200.00", "regularisation", D(2026, 2, 1)),
        ("-200.00", "regularisation", D(2026, 3, 1)),
        ("1000.00", "normal", D(2026, 4, 1)),
    ]
    with db.read() as s:
        rows = amendment_rows(s, contract_id)
        assert [(r.number, r.cancellable, r.state.startswith("Annulé le")) for r in rows] == [
            (1, False, True)
        ]
        assert rows[0].cancel_reason == "Prix saisi par erreur"
        # Kept for the auditor, out of the line.
        kept = s.scalars(
            select(ContractLineVersion).where(ContractLineVersion.amendment_id == wrong)
        ).all()
        assert [(v.unit_price, v.cancelled) for v in kept] == [(Decimal("1200"), True)]
        assert [v.unit_price for v in get_contract(s, contract_id).lines[0].versions] == [
            Decimal("1000")
        ]
        assert [(r.origin, r.unit_price) for r in cancelled_version_rows(s, contract_id)] == [
            ("Avenant n° 1 (annulé)", Decimal("1200"))
        ]

    # The right amendment, same effective date: number 2 (1 is not reused).
    right = _amend(db, contract_id, line_id, "1100", D(2026, 2, 1))
    may = _bill(db, "2026-05")
    assert [(t, k) for _d, t, k, _p in may] == [
        ("100.00", "regularisation"),
        ("100.00", "regularisation"),
        ("100.00", "regularisation"),
        ("1100.00", "normal"),
    ]
    with db.read() as s:
        rows = amendment_rows(s, contract_id)
        assert [(r.number, r.id, r.cancellable) for r in rows] == [
            (1, wrong, False),
            (2, right, True),
        ]
        total = s.scalar(select(func.sum(Invoice.total_ht)).where(Invoice.kind == "invoice"))
        # January–May at the right prices: 1 000 + 4 × 1 100.
        assert total == Decimal("5400.00")
    assert run_checks(db).ok
    assert "Avenant n° 1 au contrat" in "\n".join(_history(db, contract_id))
    assert any("annulé : Prix saisi par erreur" in h for h in _history(db, contract_id))


def test_only_the_last_amendment_in_force_can_be_cancelled(db: Database) -> None:
    contract_id, line_id = _contract(db)
    first = _amend(db, contract_id, line_id, "1100", D(2026, 3, 1))
    second = _amend(db, contract_id, line_id, "1150", D(2026, 6, 1))
    with db.write() as s, pytest.raises(StateError, match=r"dernier avenant en vigueur \(n° 2\)"):
        cancel_amendment(s, first, "Erreur")
    with db.write() as s:
        cancel_amendment(s, second, "Erreur de date")
    with db.write() as s:
        cancel_amendment(s, first, "Erreur de prix")
    with db.read() as s:
        versions = get_contract(s, contract_id).lines[0].versions
        assert [(v.valid_from, v.unit_price) for v in versions] == [
            (D(2026, 1, 1), Decimal("1000"))
        ]
    assert [t for _d, t, _k, _p in _bill(db, "2026-07")] == ["1000.00"] * 7


def test_cancelled_amendment_that_added_a_line_credits_what_the_line_billed(
    db: Database,
) -> None:
    contract_id, _line_id = _contract(db)
    _bill(db, "2026-01")
    with db.write() as s:
        added = add_amendment(
            s,
            contract_id,
            signed_date=D(2026, 2, 1),
            effective_date=D(2026, 2, 1),
            description="Vitrerie",
            changes=[LineForm("Vitrerie", Decimal(2), Decimal("75.50"), "monthly", "advance")],
        ).id
    assert [t for _d, t, _k, _p in _bill(db, "2026-02")] == ["1000.00", "151.00"]
    with db.write() as s:
        cancel_amendment(s, added, "Prestation jamais commandée")
    march = _bill(db, "2026-03")
    assert [(t, k) for _d, t, k, _p in march] == [
        ("-151.00", "regularisation"),
        ("1000.00", "normal"),
    ]
    assert run_checks(db).ok


def test_cancelled_suspension_bills_the_missed_months_as_catch_up(db: Database) -> None:
    contract_id, _line_id = _contract(db)
    with db.write() as s:
        suspension_id = suspend(s, contract_id, D(2026, 3, 1), D(2026, 4, 30), reason="Travaux").id
    for period in ("2026-01", "2026-02", "2026-03", "2026-04"):
        _bill(db, period)
    with db.read() as s:
        assert get_contract(s, contract_id).status == "suspended"
    with db.write() as s, pytest.raises(ValidationError, match="motif"):
        cancel_suspension(s, suspension_id, "")
    with db.write() as s:
        cancel_suspension(s, suspension_id, "Travaux reportés", today=D(2026, 5, 2))
    with db.read() as s:
        contract = get_contract(s, contract_id)
        assert contract.status == "active" and contract.suspensions == []
        rows = suspension_rows(s, contract_id)
        assert [(r.active, r.cancel_reason) for r in rows] == [(False, "Travaux reportés")]
        assert rows[0].state.startswith("Annulée le")
        assert s.get(Suspension, suspension_id) is not None  # kept
    may = _bill(db, "2026-05")
    assert [(t, k, p) for _d, t, k, p in may] == [
        ("1000.00", "normal", D(2026, 3, 1)),
        ("1000.00", "normal", D(2026, 4, 1)),
        ("1000.00", "normal", D(2026, 5, 1)),
    ]
    with db.write() as s, pytest.raises(StateError, match="annulée"):
        correct_suspension(s, suspension_id, D(2026, 3, 1), D(2026, 3, 5), billed=False, reason="")
    assert run_checks(db).ok
    assert any("contrat de nouveau actif" in h for h in _history(db, contract_id))


def test_corrected_suspension_dates_regularise_and_catch_up(db: Database) -> None:
    contract_id, _line_id = _contract(db)
    with db.write() as s:
        # Typed 10 March – 30 April; the site was really closed 10–20 March.
        suspension_id = suspend(s, contract_id, D(2026, 3, 10), D(2026, 4, 30)).id
    for period in ("2026-01", "2026-02", "2026-03", "2026-04"):
        _bill(db, period)
    with db.write() as s, pytest.raises(ValidationError, match="précède"):
        correct_suspension(
            s, suspension_id, D(2026, 3, 20), D(2026, 3, 10), billed=False, reason=""
        )
    with db.write() as s:
        correct_suspension(
            s, suspension_id, D(2026, 3, 10), D(2026, 3, 20), billed=False, reason="Fermeture"
        )
    # March billed 9/31 of 1 000 = 290.32, should be 20/31 = 645.16: +354.84; April in full.
    may = _bill(db, "2026-05")
    assert [(t, k, p) for _d, t, k, p in may] == [
        ("354.84", "regularisation", D(2026, 3, 1)),
        ("1000.00", "normal", D(2026, 4, 1)),
        ("1000.00", "normal", D(2026, 5, 1)),
    ]
    # The line says what it is, not which kind of change caused it (here a suspension).
    assert (
        may[0][0] == "Régularisation (modification du contrat) — Entretien des bureaux — mars 2026"
    )
    # Made « billed » after all: March regularised up to the full month.
    with db.write() as s:
        correct_suspension(
            s, suspension_id, D(2026, 3, 10), D(2026, 3, 20), billed=True, reason="Fermeture"
        )
    june = _bill(db, "2026-06")
    assert [(t, k, p) for _d, t, k, p in june] == [
        ("354.84", "regularisation", D(2026, 3, 1)),
        ("1000.00", "normal", D(2026, 6, 1)),
    ]
    history = _history(db, contract_id)
    assert any(
        "Suspension corrigée : du 10/03/2026 au 20/03/2026 (non facturée)"
        " (au lieu de du 10/03/2026 au 30/04/2026 (non facturée))" in h
        for h in history
    )
    with db.read() as s:
        event = s.scalar(
            select(AuditEvent).where(AuditEvent.action == "suspension_update").limit(1)
        )
        assert event is not None and "2026-04-30" in event.details
    assert run_checks(db).ok


def test_corrected_suspension_may_not_overlap_another(db: Database) -> None:
    contract_id, _line_id = _contract(db)
    with db.write() as s:
        first = suspend(s, contract_id, D(2026, 3, 1), D(2026, 3, 10)).id
        suspend(s, contract_id, D(2026, 5, 1), D(2026, 5, 10))
    with db.write() as s, pytest.raises(ValidationError, match="chevauche"):
        correct_suspension(s, first, D(2026, 3, 1), D(2026, 5, 2), billed=False, reason="")


def test_an_amendment_applying_a_price_revision_is_not_cancelled_here(db: Database) -> None:
    contract_id, line_id = _contract(db)
    amendment_id = _amend(db, contract_id, line_id, "1030", D(2027, 1, 1))
    with db.write() as s:
        s.add(
            Revision(
                contract_id=contract_id,
                effective_date=D(2027, 1, 1),
                coefficient=Decimal("1.03"),
                amendment_id=amendment_id,
            )
        )
    with db.write() as s, pytest.raises(StateError, match="révision de prix du 01/01/2027"):
        cancel_amendment(s, amendment_id, "Indice erroné")
    with db.read() as s:
        row = amendment_rows(s, contract_id)[0]
        assert row.cancelled_at is None and not row.cancellable  # button disabled
