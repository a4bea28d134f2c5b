"""Month control M vs M-1, provisional run review (correct, re-compute, partial issue), CLI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.billing.contracts import (
    ContractForm,
    LineForm,
    activate,
    add_amendment,
    create_contract,
    terminate,
)
from app.billing.invoices import DraftLine
from app.billing.issuing import issue_invoices
from app.billing.runs import issue_period, period_drafts, run_month
from app.cli import main
from app.control.compare import AnomalyKind, ContractMonth, anomalies, percent
from app.control.month import control_month, run_total_ht, set_threshold
from app.control.provisional import add_draft_line, recompute_period, remove_draft_line
from app.db import Database
from app.errors import StateError
from models.billing import BillingLedger
from models.catalog import ArticleFamily
from models.contracts import Contract
from models.invoices import Invoice, InvoiceStatus
from tests import billing_fixtures as bf
from tests.pg import target_of

D = dt.date


def _contract(session, client, code_article, price: str, start: dt.date, **form) -> Contract:  # type: ignore[no-untyped-def]
    contract = create_contract(
        session,
        ContractForm(client_id=client.id, start_date=start, title=f"Bureaux {client.code}", **form),
        [
            LineForm(
                "Entretien des bureaux",
                Decimal(1),
                Decimal(price),
                "monthly",
                "advance",
                code_article,
            )
        ],
        today=start,
    )
    activate(session, contract.id)
    return contract


@pytest.fixture
def month_db(db: Database) -> dict[str, int]:
    """Five contracts billed in July and August 2026; September run as drafts, after:
    STEADY unchanged (+ windows, family Vitrerie), ENDED terminated on 31 August, NEW
    starting 1 September, AMENDED +30 % by avenant from 1 September, EDITED whose September
    draft was corrected by hand (+50 €, no amendment)."""
    with db.write() as s:
        bf.firm(s)
        clean = ArticleFamily(code="NET", label="Nettoyage contrat")
        glass = ArticleFamily(code="VIT", label="Vitrerie")
        s.add_all([clean, glass])
        s.flush()
        office = bf.article(s, "ENT", "Entretien des bureaux")
        office.family_id = clean.id
        windows = bf.article(s, "VIT", "Vitrerie")
        windows.family_id = glass.id
        s.flush()
        ids: dict[str, int] = {}
        for code in ("STEADY", "ENDED", "AMENDED", "EDITED"):
            c = bf.client(s, code)
            ids[code] = _contract(s, c, office.id, "1000", D(2026, 7, 1), notice_months=1).id
        steady = s.get(Contract, ids["STEADY"])
        add_amendment(
            s,
            steady.id,
            signed_date=D(2026, 6, 20),
            effective_date=D(2026, 7, 1),
            description="Vitrerie mensuelle",
            changes=[
                LineForm("Vitrerie", Decimal(2), Decimal("60"), "monthly", "advance", windows.id)
            ],
        )
        ids["office"] = office.id
    for period in ("2026-07", "2026-08"):
        with db.write() as s:
            run_month(s, period)
            issue_period(s, period)
    with db.write() as s:
        terminate(s, ids["ENDED"], D(2026, 7, 10), D(2026, 8, 31), reason="Déménagement")
        new_client = bf.client(s, "NEW")
        ids["NEW"] = _contract(s, new_client, ids["office"], "500", D(2026, 9, 1)).id
        amended = s.get(Contract, ids["AMENDED"])
        add_amendment(
            s,
            amended.id,
            signed_date=D(2026, 8, 25),
            effective_date=D(2026, 9, 1),
            description="Surface supplémentaire",
            changes=[
                LineForm(
                    "Entretien des bureaux",
                    Decimal(1),
                    Decimal("1300"),
                    "monthly",
                    "advance",
                    ids["office"],
                    line_id=amended.lines[0].id,
                )
            ],
        )
    with db.write() as s:
        run_month(s, "2026-09")
        edited = s.scalar(
            select(Invoice.id).where(
                Invoice.contract_id == ids["EDITED"], Invoice.status == InvoiceStatus.DRAFT
            )
        )
        add_draft_line(s, edited, DraftLine("Nettoyage salle de réunion", 1, "50"))
        ids["edited_draft"] = edited
    return ids


def test_month_shows_exactly_the_four_anomalies(db: Database, month_db: dict[str, int]) -> None:
    with db.read() as s:
        result = control_month(s, "2026-09")
        run_total = run_total_ht(s, "2026-09")
    found = [(a.kind, a.contract, str(a.current), str(a.previous)) for a in result.anomalies]
    with db.read() as s:
        code = {i: s.get(Contract, i).code for k, i in month_db.items() if k.isupper()}
    assert found == [
        (AnomalyKind.STOPPED, code[month_db["ENDED"]], "0.00", "1000.00"),
        (AnomalyKind.NEW, code[month_db["NEW"]], "500.00", "0.00"),
        (AnomalyKind.UNEXPLAINED_CHANGE, code[month_db["EDITED"]], "1050.00", "1000.00"),
        (AnomalyKind.BEYOND_THRESHOLD, code[month_db["AMENDED"]], "1300.00", "1000.00"),
    ]
    stopped = result.anomalies[0]
    assert "fin le 31/08/2026" in stopped.detail
    assert "avenant n° 1" in result.anomalies[3].detail
    # Family totals to the cent: September = the run (+ the 50 € line added by hand).
    families = {f.family: (f.current, f.previous, f.delta, f.percent) for f in result.by_family}
    assert families == {
        "Nettoyage contrat": (
            Decimal("3800.00"),
            Decimal("4000.00"),
            Decimal("-200.00"),
            Decimal("-5.0"),
        ),
        "Sans famille": (Decimal("50.00"), Decimal("0.00"), Decimal("50.00"), None),
        "Vitrerie": (Decimal("120.00"), Decimal("120.00"), Decimal("0.00"), Decimal("0.0")),
    }
    assert result.total_current == run_total == Decimal("3970.00")
    assert result.drafts == 4
    # The amended change is explained: under a 40 % threshold it is no longer reported.
    with db.write() as s:
        set_threshold(s, "40")
    with db.read() as s:
        kinds = [a.kind for a in control_month(s, "2026-09").anomalies]
    assert AnomalyKind.BEYOND_THRESHOLD not in kinds and len(kinds) == 3


def test_active_contract_not_billed_and_billed_after_end() -> None:
    rows = [
        ContractMonth(1, "C1", "A", in_force=True, previous=Decimal("100.00")),
        ContractMonth(
            2, "C2", "B", current=Decimal("80.00"), previous=Decimal("80.00"), ended_before=True
        ),
        ContractMonth(
            3,
            "C3",
            "C",
            current=Decimal("100.00"),
            previous=Decimal("100.00"),
            current_regular=Decimal("100.00"),
            previous_regular=Decimal("100.00"),
            in_force=True,
        ),
        ContractMonth(
            4,
            "C4",
            "D",
            current=Decimal("260.00"),
            previous=Decimal("100.00"),
            current_regular=Decimal("100.00"),
            previous_regular=Decimal("100.00"),
        ),
    ]
    assert [(a.kind, a.contract) for a in anomalies(rows, Decimal(10))] == [
        (AnomalyKind.BILLED_AFTER_END, "C2"),
        (AnomalyKind.NOT_BILLED, "C1"),
    ]
    assert percent(Decimal("105"), Decimal("100")) == Decimal("5.0")
    assert percent(Decimal("2"), Decimal("3")) == Decimal("-33.3")


def test_provisional_correct_recompute_and_partial_issue(
    db: Database, month_db: dict[str, int]
) -> None:
    draft = month_db["edited_draft"]
    with db.read() as s:
        inv = s.get(Invoice, draft)
        assert (inv.total_ht, inv.total_ttc) == (Decimal("1050.00"), Decimal("1260.00"))
        contract_line, extra = inv.lines[0].id, inv.lines[-1].id
    with db.write() as s, pytest.raises(StateError):
        remove_draft_line(s, draft, contract_line)
    with db.write() as s:
        inv = remove_draft_line(s, draft, extra)
        assert inv.total_ht == Decimal("1000.00")
    # Partial issue: only the STEADY draft; then re-compute the month.
    with db.write() as s:
        steady = s.scalar(
            select(Invoice.id).where(
                Invoice.contract_id == month_db["STEADY"], Invoice.period_start == D(2026, 9, 1)
            )
        )
        numbers = issue_invoices(s, [steady])
        assert len(numbers) == 1
        before_drafts = sorted(period_drafts(s, "2026-09"))
        assert len(before_drafts) == 3
    with db.write() as s:
        result = recompute_period(s, "2026-09")
        assert result.created == 3
        assert result.total_ht == Decimal("2800.00")  # NEW 500 + AMENDED 1300 + EDITED 1000
        # Never billed twice: one ledger row per line and period.
        dup = s.execute(
            select(BillingLedger.contract_line_id, BillingLedger.period_start, func.count())
            .group_by(
                BillingLedger.contract_line_id, BillingLedger.period_start, BillingLedger.revision
            )
            .having(func.count() > 1)
        ).all()
        assert dup == []
    with db.read() as s:
        result = control_month(s, "2026-09")
        assert result.total_current == Decimal("3920.00")
        assert [a.kind for a in result.anomalies] == [
            AnomalyKind.STOPPED,
            AnomalyKind.NEW,
            AnomalyKind.BEYOND_THRESHOLD,
        ]


def test_cli_json_shape(db: Database, month_db: dict[str, int], capsys) -> None:  # type: ignore[no-untyped-def]
    url = target_of(db)
    db.dispose()
    assert main(["--db", url, "billing", "control", "--period", "2026-09", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["period", "previous", "by_family", "anomalies"]
    assert data["period"] == "2026-09" and data["previous"] == "2026-08"
    assert data["by_family"][0] == {
        "family": "Nettoyage contrat",
        "current": "3800.00",
        "previous": "4000.00",
        "delta": "-200.00",
    }
    assert [a["kind"] for a in data["anomalies"]] == [
        "stopped",
        "new",
        "unexplained_change",
        "beyond_threshold",
    ]
    assert set(data["anomalies"][0]) == {"kind", "contract", "client", "current", "previous"}
    assert data["anomalies"][1]["client"] == "Société New"
    assert main(["--db", url, "billing", "control", "--period", "2026-09"]) == 0
    text = capsys.readouterr().out
    assert "Montant modifié sans avenant ni révision" in text
    assert "3\u202f970,00" in text
    assert "Contrôle de 09/2026 : à faire, 4 écarts à examiner" in text
    # Marked done from the command line: stored, then said by the control.
    assert main(["--db", url, "billing", "control", "--period", "2026-09", "--mark-done"]) == 0
    assert "Contrôle de 09/2026 : fait le " in capsys.readouterr().out
    assert main(["--db", url, "billing", "control", "--period", "2026-09"]) == 0
    assert "Contrôle de 09/2026 : fait le " in capsys.readouterr().out
    assert main(["--db", url, "billing", "control", "--period", "2026-11", "--mark-done"]) != 0
    err = capsys.readouterr().err
    assert "Le mois 11/2026 n'a pas encore été facturé : rien à contrôler." in err
    assert "Traceback" not in err


def test_catch_up_run_dated_later_is_controlled_with_the_month_it_bills(db: Database) -> None:
    """September billed late by a run dated 5 October: the control of September shows it
    against August; October's control does not count it."""
    with db.write() as s:
        bf.firm(s)
        office = bf.article(s, "ENT", "Entretien des bureaux")
        client = bf.client(s, "LATE")
        _contract(s, client, office.id, "1000", D(2026, 8, 1))
    with db.write() as s:
        run_month(s, "2026-08")
        issue_period(s, "2026-08")
    with db.write() as s:
        run_month(s, "2026-09", issue_date=D(2026, 10, 5))
        issue_period(s, "2026-09")
    with db.read() as s:
        dates = set(s.scalars(select(Invoice.issue_date).where(Invoice.run_id.is_not(None))))
        september = control_month(s, "2026-09")
        october = control_month(s, "2026-10")
    assert dates == {D(2026, 8, 31), D(2026, 10, 5)}
    assert (september.total_current, september.total_previous) == (
        Decimal("1000.00"),
        Decimal("1000.00"),
    )
    assert not [a for a in september.anomalies if a.kind == AnomalyKind.STOPPED]
    assert october.total_previous == Decimal("1000.00")
    assert october.total_current == Decimal("0.00")
