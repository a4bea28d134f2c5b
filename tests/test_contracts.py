"""Contract use cases: validation, workflow, amendments with versions, suspension,
termination with notice, consistency control, one-off invoicing, client ledger rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.billing.consistency import contract_problems
from app.billing.contracts import (
    ContractForm,
    LineForm,
    activate,
    add_amendment,
    contract_spec,
    create_contract,
    earliest_end,
    get_contract,
    mark_ended,
    resume,
    suspend,
    terminate,
    update_contract,
)
from app.billing.invoices import invoice_contract_line
from app.billing.issuing import issue_invoices
from app.billing.plan import billing_plan
from app.errors import StateError, ValidationError, ValidationErrors
from app.ledger import client_ledger
from models.audit import AuditEvent
from tests import billing_fixtures as bf

D = dt.date


@pytest.fixture
def setup(session: Session):  # type: ignore[no-untyped-def]
    bf.firm(session)
    client = bf.client(session)
    site = bf.site(session, client)
    art = bf.article(session, "ENT", "Entretien des bureaux", "900")
    return session, client, site, art


def _contract(session: Session, client, art, **kw):  # type: ignore[no-untyped-def]
    form = ContractForm(client_id=client.id, start_date=kw.pop("start", D(2026, 1, 1)), **kw)
    return create_contract(
        session,
        form,
        [LineForm("Entretien", Decimal(1), Decimal(900), article_id=art.id)],
        today=D(2026, 1, 1),
    )


def test_create_validates_each_field_in_french(setup) -> None:  # type: ignore[no-untyped-def]
    session, client, _site, art = setup
    with pytest.raises(ValidationErrors) as exc:
        create_contract(session, ContractForm(), [], today=D(2026, 1, 1))
    assert set(exc.value.fields) == {"Client", "Date de début"}
    with pytest.raises(ValidationError, match="Ligne 1 : indiquez les mois facturés"):
        create_contract(
            session,
            ContractForm(client_id=client.id, start_date=D(2026, 1, 1)),
            [LineForm("Vitres", 1, 100, "seasonal", article_id=art.id)],
            today=D(2026, 1, 1),
        )
    with pytest.raises(ValidationError, match="quantité"):
        create_contract(
            session,
            ContractForm(client_id=client.id, start_date=D(2026, 1, 1)),
            [LineForm("Vitres", "deux", 100)],
            today=D(2026, 1, 1),
        )


def test_numbered_draft_then_active_workflow_and_history(setup) -> None:  # type: ignore[no-untyped-def]
    session, client, _site, art = setup
    c = _contract(session, client, art, title="Siège")
    assert c.code == "CT00001" and c.status == "draft"
    # A draft's lines are edited in place ...
    update_contract(
        session,
        c.id,
        ContractForm(client_id=client.id, start_date=D(2026, 1, 1), title="Siège social"),
        [LineForm("Entretien", Decimal(2), Decimal(900), article_id=art.id, line_id=c.lines[0].id)],
    )
    assert c.lines[0].versions[-1].quantity == Decimal("2.000") and len(c.lines[0].versions) == 1
    activate(session, c.id)
    # ... an active contract's lines only through an amendment.
    with pytest.raises(StateError, match="avenant"):
        update_contract(
            session, c.id, ContractForm(client_id=client.id, start_date=D(2026, 1, 1)), []
        )
    with pytest.raises(StateError, match="Actif"):
        activate(session, c.id)
    events = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity_id == c.id, AuditEvent.entity_type == "contract"
        )
    )
    assert list(events) == ["create", "update", "active"]
    assert (
        session.scalar(select(AuditEvent.client_id).where(AuditEvent.action == "active"))
        == client.id
    )


def test_amendment_keeps_versions_and_numbers(setup) -> None:  # type: ignore[no-untyped-def]
    session, client, _site, art = setup
    c = _contract(session, client, art)
    activate(session, c.id)
    line_id = c.lines[0].id
    a1 = add_amendment(
        session,
        c.id,
        signed_date=D(2026, 3, 10),
        effective_date=D(2026, 3, 1),
        description="Hausse",
        changes=[LineForm("Entretien", 1, 950, article_id=art.id, line_id=line_id)],
    )
    a2 = add_amendment(
        session,
        c.id,
        signed_date=D(2026, 5, 2),
        effective_date=D(2026, 6, 1),
        description="Ajout vitrerie",
        changes=[LineForm("Vitrerie", 1, 300, "quarterly", "arrears", article_id=art.id)],
    )
    assert (a1.number, a2.number) == (1, 2)
    c = get_contract(session, c.id)
    assert [v.unit_price for v in c.lines[0].versions] == [Decimal("900.0000"), Decimal("950.0000")]
    assert len(c.lines) == 2 and c.lines[1].versions[0].valid_from == D(2026, 6, 1)
    plan = billing_plan(contract_spec(c), D(2026, 9, 30))
    assert [p.amount for p in plan if p.line_id == line_id][:4] == [Decimal("900.00")] * 2 + [
        Decimal("950.00")
    ] * 2
    assert [(p.start, p.amount) for p in plan if p.line_id == c.lines[1].id] == [
        (D(2026, 6, 1), Decimal("98.90")),  # June only of the 2nd quarter: 300 × 30/91
        (D(2026, 7, 1), Decimal("300.00")),
    ]
    # A later amendment effective on the same date replaces the version of that date
    # (kept out of force, back in force if this amendment is cancelled).
    add_amendment(
        session,
        c.id,
        signed_date=D(2026, 3, 12),
        effective_date=D(2026, 3, 1),
        description="Correction",
        changes=[LineForm("Entretien", 1, 960, article_id=art.id, line_id=line_id)],
    )
    c = get_contract(session, c.id)
    assert [v.unit_price for v in c.lines[0].versions] == [Decimal("900.0000"), Decimal("960.0000")]


def test_suspension_resume_and_termination_with_notice(setup) -> None:  # type: ignore[no-untyped-def]
    session, client, _site, art = setup
    c = _contract(session, client, art, notice_months=3)
    activate(session, c.id)
    suspend(session, c.id, D(2026, 7, 1), D(2026, 8, 31), reason="Fermeture")
    assert c.status == "suspended"
    with pytest.raises(ValidationError, match="chevauche"):
        suspend(session, c.id, D(2026, 8, 15), D(2026, 9, 15))
    resume(session, c.id, D(2026, 8, 16))
    assert c.status == "active" and c.suspensions[0].end_date == D(2026, 8, 15)
    plan = {p.start: p.amount for p in billing_plan(contract_spec(c), D(2026, 9, 30))}
    assert D(2026, 7, 1) not in plan and plan[D(2026, 8, 1)] == Decimal("464.52")  # 900 × 16/31
    assert earliest_end(c, D(2026, 9, 10)) == D(2026, 12, 31)
    with pytest.raises(ValidationError, match="31/12/2026"):
        terminate(session, c.id, D(2026, 9, 10), D(2026, 11, 30))
    terminate(session, c.id, D(2026, 9, 10), D(2027, 1, 20), reason="Déménagement")
    assert (c.status, c.end_date, c.tacit_renewal) == ("terminated", D(2027, 1, 20), False)
    last = billing_plan(contract_spec(c), D(2027, 6, 30))[-1]
    assert (last.start, last.end, last.amount) == (D(2027, 1, 1), D(2027, 1, 20), Decimal("580.65"))
    with pytest.raises(ValidationError):
        mark_ended(session, c.id, D(2027, 1, 10))
    mark_ended(session, c.id, D(2027, 2, 1))
    assert c.status == "ended"


def test_consistency_control_lists_what_blocks_a_clean_run(setup) -> None:  # type: ignore[no-untyped-def]
    session, client, site, art = setup
    bare = bf.client(session, "NOADDR", street="", siren="")
    bf.site(session, bare, "S-ORPHAN")
    c = create_contract(
        session,
        ContractForm(client_id=bare.id, start_date=D(2026, 1, 1)),
        [LineForm("Prestation libre", 1, 0)],
        today=D(2026, 1, 1),
    )
    activate(session, c.id)
    ok = _contract(session, client, art, site_id=site.id)
    activate(session, ok.id)
    problems = {(p.kind, p.subject) for p in contract_problems(session)}
    assert problems == {
        ("no_price", c.code),
        ("no_article", c.code),
        ("site_without_contract", "S-ORPHAN"),
        ("client_data", bare.name),
    }


def test_contract_line_outside_the_plan_and_client_ledger(setup) -> None:  # type: ignore[no-untyped-def]
    session, client, _site, art = setup
    c = _contract(session, client, art)
    activate(session, c.id)
    extra = invoice_contract_line(session, c.lines[0].id, issue_date=D(2026, 2, 12), quantity="0.5")
    assert extra.total_ht == Decimal("450.00") and "hors échéancier" in extra.lines[0].description
    (number,) = issue_invoices(session, [extra.id])
    rows = client_ledger(session, client.id)
    assert [(r.reference, r.debit) for r in rows] == [(number, Decimal("540.00"))]
