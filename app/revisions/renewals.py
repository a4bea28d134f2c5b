"""Renewals and terminations ahead: tacit renewal, notice deadlines, end dates.

A contract with an end date and tacit renewal renews by itself for ``renewal_months`` at
each term end unless notice was given at least ``notice_months`` before it. The last day
to give notice is therefore ``term end − notice months``; an alert is raised ``alert_days``
before that deadline. End dates matter more in cleaning than elsewhere: under the
collective agreement (IDCC 3043, art. 7) the incoming provider takes over the staff
assigned to a site, so a contract lost or ended must be known months ahead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.revisions.indices import add_months
from models.clients import Client
from models.contracts import Contract, ContractStatus

DEFAULT_ALERT_DAYS = 60


class Event:
    RENEWAL = "renewal"  # renews tacitly unless notice is given before the deadline
    END = "end"  # ends at its term, no tacit renewal
    TERMINATION = "termination"  # notice given: ends on its end date

    LABELS: ClassVar[dict[str, str]] = {
        RENEWAL: "Reconduction tacite",
        END: "Fin de contrat (sans reconduction)",
        TERMINATION: "Résiliation",
    }


@dataclass(frozen=True)
class Upcoming:
    contract_id: int
    contract_code: str
    client_id: int
    client_name: str
    status: str
    event: str
    term_end: dt.date
    notice_deadline: dt.date | None  # last day to give notice (renewals)
    days_left: int  # days until the deadline (renewal) or the end (others)
    alert: bool

    @property
    def event_label(self) -> str:
        return Event.LABELS[self.event]

    @property
    def message(self) -> str:
        if self.event == Event.RENEWAL:
            if self.days_left < 0:
                return "Délai de préavis dépassé : le contrat sera reconduit."
            return (
                f"Préavis à donner au plus tard le {self.notice_deadline:%d/%m/%Y} "
                f"({self.days_left} j) sinon reconduction le {self.term_end + dt.timedelta(1):%d/%m/%Y}."
            )
        return (
            f"Fin le {self.term_end:%d/%m/%Y} ({self.days_left} j) : reprise du personnel "
            "(CCN propreté, art. 7) à préparer."
        )


def _shift(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later (clamped to the month's end)."""
    first = add_months(day, months)
    last = add_months(first, 1) - dt.timedelta(days=1)
    return first.replace(day=min(day.day, last.day))


def term_end_after(contract: Contract, today: dt.date) -> dt.date | None:
    """The end of the term running at ``today`` (tacit renewals followed)."""
    if contract.end_date is None:
        return None
    end = contract.end_date
    if not contract.tacit_renewal or contract.status == ContractStatus.TERMINATED:
        return end
    months = max(contract.renewal_months, 1)
    count = 0
    while end < today:
        count += 1
        end = _shift(contract.end_date + dt.timedelta(1), months * count) - dt.timedelta(1)
    return end


def notice_deadline(contract: Contract, term_end: dt.date) -> dt.date:
    """Last day on which notice stops the renewal at ``term_end``."""
    return _shift(term_end + dt.timedelta(1), -contract.notice_months) - dt.timedelta(1)


def upcoming(
    session: Session,
    today: dt.date,
    *,
    horizon_days: int = 365,
    alert_days: int = DEFAULT_ALERT_DAYS,
) -> list[Upcoming]:
    """Renewals, ends and terminations whose deadline falls within ``horizon_days``."""
    stmt = (
        select(Contract, Client.name)
        .join(Client, Client.id == Contract.client_id)
        .where(
            Contract.end_date.is_not(None),
            Contract.status.in_(
                (ContractStatus.ACTIVE, ContractStatus.SUSPENDED, ContractStatus.TERMINATED)
            ),
        )
        .order_by(Contract.code)
    )
    horizon = today + dt.timedelta(days=horizon_days)
    rows: list[Upcoming] = []
    for contract, client_name in session.execute(stmt).all():
        end = term_end_after(contract, today)
        if end is None or end < today:
            continue
        if contract.status == ContractStatus.TERMINATED:
            event, deadline, key = Event.TERMINATION, None, end
        elif contract.tacit_renewal:
            deadline = notice_deadline(contract, end)
            event, key = Event.RENEWAL, deadline
        else:
            event, deadline, key = Event.END, notice_deadline(contract, end), end
        if key > horizon:
            continue
        days = (key - today).days
        rows.append(
            Upcoming(
                contract.id,
                contract.code,
                contract.client_id,
                client_name,
                ContractStatus.LABELS.get(contract.status, contract.status),
                event,
                end,
                deadline,
                days,
                days <= alert_days,
            )
        )
    rows.sort(key=lambda r: (r.notice_deadline or r.term_end, r.contract_code))
    return rows


def apply_tacit_renewals(session: Session, today: dt.date) -> list[int]:
    """Move the end date of tacitly renewed contracts past ``today`` (one history entry per
    renewal). Returns the ids of the contracts renewed."""
    stmt = select(Contract).where(
        Contract.end_date.is_not(None),
        Contract.end_date < today,
        Contract.tacit_renewal.is_(True),
        Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.SUSPENDED)),
    )
    renewed = []
    for contract in session.scalars(stmt):
        old = contract.end_date
        new = term_end_after(contract, today)
        if old is None or new is None or new == old:  # the query keeps those with an end
            continue
        contract.end_date = new
        renewed.append(contract.id)
        audit.record(
            session,
            "contract",
            contract.id,
            "renewal",
            f"Contrat {contract.code} reconduit tacitement jusqu'au {new:%d/%m/%Y}",
            client_id=contract.client_id,
            changes={"end_date": (old, new)},
        )
    session.flush()
    return renewed
