"""Month-end runs on a real database: the issue's scenario, reruns, catch-up, properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.billing.contracts import (
    ContractForm,
    LineForm,
    activate,
    add_amendment,
    create_contract,
    suspend,
    terminate,
)
from app.billing.plan import billing_plan, month_end
from app.billing.runs import issue_period, run_month
from app.db import Database
from models.billing import BillingLedger
from models.invoices import Invoice, InvoiceLine
from tests import billing_fixtures as bf

D = dt.date

# Hand-computed plan of the three-line contract started on 15 January 2026:
#  L1 monthly in arrears 1 200 (1 260 from 1 April by amendment n° 1 signed in May),
#  L2 quarterly in advance 450, L3 windows 2 × 180 in March, June, September, December;
#  suspended (not billed) 1 July – 31 August; terminated with notice, ends 15 December.
EXPECTED = {
    "2026-01": [("Entretien", "658.06", "prorata"), ("sols", "380.00", "prorata")],
    "2026-02": [("Entretien", "1200.00", "normal")],
    "2026-03": [("Entretien", "1200.00", "normal"), ("Vitrerie", "360.00", "normal")],
    "2026-04": [("Entretien", "1200.00", "normal"), ("sols", "450.00", "normal")],
    "2026-05": [("Entretien", "60.00", "regularisation"), ("Entretien", "1260.00", "normal")],
    "2026-06": [("Entretien", "1260.00", "normal"), ("Vitrerie", "360.00", "normal")],
    "2026-07": [("sols", "146.74", "prorata")],
    "2026-08": [],
    "2026-09": [("Entretien", "1260.00", "normal"), ("Vitrerie", "360.00", "normal")],
    "2026-10": [("Entretien", "1260.00", "normal"), ("sols", "450.00", "normal")],
    "2026-11": [("Entretien", "1260.00", "normal"), ("sols", "-78.26", "regularisation")],
    "2026-12": [("Entretien", "609.68", "prorata"), ("Vitrerie", "174.19", "prorata")],
    "2027-01": [],
}


def _lines_of_period(db: Database, period: str) -> list[tuple[str, str, str]]:
    with db.read() as s:
        rows = s.execute(
            select(InvoiceLine.description, InvoiceLine.total_ht, InvoiceLine.kind)
            .join(Invoice)
            .where(Invoice.period_start == D(int(period[:4]), int(period[5:]), 1))
            .order_by(InvoiceLine.contract_line_id, InvoiceLine.period_start, InvoiceLine.id)
        ).all()
    return [(d, str(t), k) for d, t, k in rows]


def test_three_line_contract_month_after_month_matches_the_hand_computed_plan(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        contract = bf.three_line_contract(s, client, bf.site(s, client))
        contract_id, line1 = contract.id, contract.lines[0].id
    numbers: list[str] = []
    for period, expected in EXPECTED.items():
        if period == "2026-05":
            with db.write() as s:
                add_amendment(
                    s,
                    contract_id,
                    signed_date=D(2026, 5, 10),
                    effective_date=D(2026, 4, 1),
                    description="Révision du prix d'entretien",
                    changes=[
                        LineForm(
                            "Entretien des bureaux",
                            Decimal(1),
                            Decimal(1260),
                            "monthly",
                            "arrears",
                            line_id=line1,
                        )
                    ],
                )
        if period == "2026-07":
            with db.write() as s:
                suspend(s, contract_id, D(2026, 7, 1), D(2026, 8, 31), reason="Travaux du client")
        if period == "2026-11":
            with db.write() as s:
                terminate(s, contract_id, D(2026, 8, 10), D(2026, 12, 15), reason="Départ")
        with db.write() as s:
            result = run_month(s, period)
        with db.write() as s:
            numbers += issue_period(s, period)
        got = _lines_of_period(db, period)
        assert [(k, t) for _d, t, k in got] == [(k, t) for _w, t, k in expected], period
        for (desc, _t, _k), (word, _t2, _k2) in zip(got, expected, strict=True):
            assert word in desc
        assert result.total_ht == sum((Decimal(t) for _w, t, _k in expected), Decimal("0.00"))
        # A rerun of the same month creates nothing.
        with db.write() as s:
            assert run_month(s, period).created == 0
    assert numbers == [f"FA2026-{n:05d}" for n in range(1, 12)]
    with db.read() as s:
        inv = s.scalar(select(Invoice).where(Invoice.number == "FA2026-00001"))
        assert (inv.issue_date, inv.due_date, inv.total_ttc) == (
            D(2026, 1, 31),
            D(2026, 3, 2),
            Decimal("1245.67"),
        )
        total = s.scalar(select(func.sum(Invoice.total_ht)))
    assert total == sum(Decimal(t) for lines in EXPECTED.values() for _w, t, _k in lines)


def test_catch_up_bills_missed_months_in_one_invoice_dated_in_the_run_month(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        bf.three_line_contract(s, client)
    with db.write() as s:
        result = run_month(s, "2026-03")
    assert result.created == 1
    lines = _lines_of_period(db, "2026-03")
    assert [t for _d, t, _k in lines] == ["658.06", "1200.00", "1200.00", "380.00", "360.00"]
    with db.write() as s:
        assert run_month(s, "2026-01").created == 0  # already billed by the catch-up
        assert run_month(s, "2026-03").created == 0


def test_grouping_per_payer_makes_one_invoice_for_two_contracts(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        syndic = bf.client(s, "SYNDIC", kind="manager")
        art = bf.article(s, "ENT", "Entretien parties communes")
        for n in (1, 2):
            c = create_contract(
                s,
                ContractForm(
                    client_id=syndic.id,
                    start_date=D(2026, 9, 1),
                    grouping="payer",
                    title=f"Copro {n}",
                ),
                [LineForm("Parties communes", Decimal(1), Decimal(300 * n), article_id=art.id)],
                today=D(2026, 8, 1),
            )
            activate(s, c.id)
    with db.write() as s:
        result = run_month(s, "2026-09")
    assert result.created == 1 and result.total_ht == Decimal("900.00")


def test_blocked_client_is_left_out_of_the_run_with_the_reason(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s, blocked=True, credit_limit=Decimal("100.00"))
        bf.three_line_contract(s, client)
    with db.write() as s:
        result = run_month(s, "2026-01")
        assert result.created == 0
        assert [w for w in result.warnings if "bloqué" in w] == [
            "Société Dupont : client bloqué — non facturé ce mois-ci (2 période(s) en attente). "
            "Débloquez-le (fiche client) puis relancez la facturation du mois."
        ]
        assert issue_period(s, "2026-01") == []


# --- property: random contracts × random sequences of runs on the database ------------

FREQS = ["monthly", "bimonthly", "quarterly", "half_yearly", "yearly", "seasonal"]


@st.composite
def line_forms(draw: st.DrawFn) -> LineForm:
    freq = draw(st.sampled_from(FREQS))
    return LineForm(
        description=f"Prestation {freq}",
        quantity=Decimal(draw(st.integers(1, 4))),
        unit_price=Decimal(draw(st.integers(100, 300_000))) / 100,
        frequency=freq,
        term=draw(st.sampled_from(["advance", "arrears"])),
        months=",".join(
            str(m) for m in sorted(draw(st.sets(st.integers(1, 12), min_size=1, max_size=3)))
        ),
    )


run_months = st.lists(
    st.tuples(
        st.integers(0, 17).map(lambda n: f"{2025 + n // 12}-{n % 12 + 1:02d}"), st.booleans()
    ),
    min_size=1,
    max_size=8,
)


@pytest.mark.slow
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.integers(0, 400).map(lambda n: D(2025, 1, 1) + dt.timedelta(days=n)),
    lines=st.lists(line_forms(), min_size=1, max_size=3),
    runs=run_months,
)
def test_random_runs_bill_every_period_exactly_once(
    empty_db_file,
    tmp_path_factory,
    start: dt.date,
    lines: list[LineForm],
    runs: list[tuple[str, bool]],
) -> None:
    from app.billing.contracts import contract_spec, get_contract
    from app.db import open_database
    from tests.conftest import _copy_db

    path = tmp_path_factory.mktemp("prop") / "p.db"
    db = open_database(_copy_db(empty_db_file, path))
    try:
        with db.write() as s:
            bf.firm(s)
            client = bf.client(s)
            contract = create_contract(
                s, ContractForm(client_id=client.id, start_date=start), lines, today=start
            )
            activate(s, contract.id)
            cid = contract.id
        for period, interrupted in runs:
            try:
                with db.write() as s:
                    run_month(s, period)
                    if interrupted:
                        raise KeyboardInterrupt  # killed midway: the transaction rolls back
            except KeyboardInterrupt:
                pass
        done = [p for p, interrupted in runs if not interrupted]
        with db.read() as s:
            rows = s.execute(
                select(
                    BillingLedger.contract_line_id, BillingLedger.period_start, BillingLedger.amount
                )
            ).all()
            spec = contract_spec(get_contract(s, cid))
            line_total = s.scalar(select(func.sum(InvoiceLine.total_ht)))
        keys = [(r[0], r[1]) for r in rows]
        assert len(keys) == len(set(keys)), "a period was billed twice"
        if not done:
            assert rows == []
            return
        last = month_end(max(dt.date(int(p[:4]), int(p[5:]), 1) for p in done))
        expected = {p.key: p.amount for p in billing_plan(spec, last) if p.due <= last and p.amount}
        assert {(r[0], r[1]): r[2] for r in rows} == expected
        assert (line_total or Decimal("0.00")) == sum(expected.values(), Decimal("0.00"))
    finally:
        db.dispose()


def test_a_month_of_regularisations_only_becomes_a_credit_note(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        art = bf.article(s, "SOLS", "Remise en état des sols")
        c = create_contract(
            s,
            ContractForm(client_id=client.id, start_date=D(2026, 1, 1), notice_months=0),
            [LineForm("Sols", Decimal(1), Decimal(900), "quarterly", "advance", art.id)],
            today=D(2026, 1, 1),
        )
        activate(s, c.id)
        cid = c.id
    with db.write() as s:
        run_month(s, "2026-01")
        assert issue_period(s, "2026-01") == ["FA2026-00001"]
    with db.write() as s:  # terminated: it ends on 31 January, the quarter was billed in full
        terminate(s, cid, D(2026, 1, 10), D(2026, 1, 31))
    with db.write() as s:
        result = run_month(s, "2026-02")
        assert result.total_ht == Decimal("-590.00")  # 900 − 900 × 31/90 (= 310.00)
        assert issue_period(s, "2026-02") == ["AV2026-00001"]
        note = s.scalar(select(Invoice).where(Invoice.number == "AV2026-00001"))
        assert (note.kind, note.total_ht, note.total_ttc) == (
            "credit_note",
            Decimal("590.00"),
            Decimal("708.00"),
        )
        assert note.lines[0].kind == "regularisation" and note.lines[0].quantity == Decimal("1.000")
        assert s.scalar(select(func.sum(BillingLedger.amount))) == Decimal("310.00")
