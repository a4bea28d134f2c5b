"""Demo: dunning settings (default delays), one client in litigation, and the reminders
sent in 2026 — the dunning runs of mid-June, mid-July and mid-August, at most three letters
each (the accountant sends the most urgent first). Fixed dates, no randomness; runs after
the payments step so that only really unpaid invoices are dunned."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.collections.dunning import dunning_run, ensure_levels, record_reminders
from models.clients import Client

LITIGATION_CLIENT = "Lenoir"  # the bakery with invoices unpaid since the spring
RUN_DATES = (dt.date(2026, 6, 15), dt.date(2026, 7, 15), dt.date(2026, 8, 17))


def load(session: Session, ctx: Any) -> None:
    ensure_levels(session)
    litigant = session.scalar(
        select(Client).where(Client.name.contains(LITIGATION_CLIENT)).order_by(Client.id)
    )
    for on in RUN_DATES:
        proposals = dunning_run(session, on).proposals
        chosen = [p.client_id for p in proposals if litigant is None or p.client_id != litigant.id]
        if litigant is not None and any(p.client_id == litigant.id for p in proposals):
            chosen = [litigant.id, *chosen]
        record_reminders(session, on, chosen[:3])
    if litigant is not None:
        litigant.in_litigation = True
        audit.record(
            session,
            "client",
            litigant.id,
            "update",
            "Client passé en litige après mise en demeure restée sans effet",
            client_id=litigant.id,
            changes={"in_litigation": (False, True)},
        )
    session.flush()
