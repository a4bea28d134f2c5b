"""Duplicate a contract: a new draft (next code of the « contract » series) for the same
client and sites, with the lines as they bill today (last version not cancelled, removed
lines left out), starting on the date chosen. Revision clauses, amendments, suspensions and
the billing history stay with the original; the copy is activated like any new contract."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app import audit, clock
from app.billing.contracts import ContractForm, LineForm, create_contract, get_contract
from models.contracts import Contract, ContractLine, ContractLineVersion


def _current(line: ContractLine) -> ContractLineVersion | None:
    live = [v for v in line.versions if not v.cancelled]
    return live[-1] if live and not live[-1].removed else None


def duplicate_contract(
    session: Session, contract_id: int, start_date: dt.date, *, today: dt.date | None = None
) -> Contract:
    old = get_contract(session, contract_id)
    form = ContractForm(
        client_id=old.client_id,
        start_date=start_date,
        title=old.title,
        site_id=old.site_id,
        other_site_ids=[s.site_id for s in old.sites],
        reference=old.reference,
        purchase_order="",  # a purchase order covers one contract
        end_date=None,
        tacit_renewal=old.tacit_renewal,
        renewal_months=old.renewal_months,
        notice_months=old.notice_months,
        grouping=old.grouping,
        prorata=old.prorata,
        notes=old.notes,
    )
    lines = []
    for line in old.lines:
        v = _current(line)
        if v is None:
            continue
        lines.append(
            LineForm(
                description=v.description,
                quantity=v.quantity,
                unit_price=v.unit_price,
                frequency=v.frequency,
                term=v.term,
                article_id=v.article_id,
                months=v.months,
                # A one-off service of the original falls on the copy's start at the earliest.
                one_off_date=max(v.one_off_date, start_date) if v.one_off_date else None,
                annual_budget=v.annual_budget,
                site_id=line.site_id,
            )
        )
    new = create_contract(session, form, lines, today=today or clock.today())
    audit.record(
        session,
        "contract",
        new.id,
        "duplicate",
        f"Contrat {new.code} créé par copie de {old.code}",
        client_id=new.client_id,
    )
    return new
