"""Clients read as plain records for the bulk paths (month-end run, issuing).

Loading 4,000 ``Client`` ORM objects costs ≈ 0.1 s per transaction; the run and the
issue only read columns, so they get one frozen :class:`ClientRecord` per client with the
model's attribute names (plus ``is_professional`` and ``manager``, the two things read
through the model).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clients import Client, ClientKind


@dataclass(frozen=True, slots=True)
class ManagerRecord:
    """What a copropriété's invoice shows of its syndic (app.addressing.postal_address)."""

    name: str
    street: str
    street2: str
    postcode: str
    city: str
    country: str


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A client's columns as :class:`models.clients.Client` names them (timestamps aside)."""

    id: int
    code: str
    kind: str
    name: str
    legal_form: str
    manager_id: int | None
    siren: str
    siret: str
    vat_number: str
    chorus_service_code: str
    chorus_commitment: str
    street: str
    street2: str
    postcode: str
    city: str
    country: str
    delivery_street: str
    delivery_postcode: str
    delivery_city: str
    phone: str
    email: str
    invoice_email: str
    sending_mode: str
    payment_term_kind: str
    payment_term_days: int
    payment_means: str
    mandate_reference: str
    iban: str
    bic: str
    credit_limit: Decimal | None
    blocked: bool
    in_litigation: bool
    notes: str
    active: bool
    account_code: str
    # Client.is_professional, and the managing syndic (None for a client without one)
    is_professional: bool
    manager: ManagerRecord | None


_COLUMNS = tuple(
    f.name for f in fields(ClientRecord) if f.name not in ("is_professional", "manager")
)
_MANAGER_KEYS = tuple(f.name for f in fields(ManagerRecord))


def client_records(session: Session, ids: Iterable[int]) -> dict[int, ClientRecord]:
    """Clients ``ids`` by id: every column (timestamps aside), ``is_professional`` as
    :attr:`Client.is_professional` says, and ``manager`` (the managing syndic: its ``name``
    and postal address, frozen at issue) or ``None``. Objects already changed in the
    session are flushed first."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    session.flush()
    table = Client.__table__
    manager = table.alias("manager")
    query = (
        select(
            *(table.c[k] for k in _COLUMNS),
            *(manager.c[k] for k in _MANAGER_KEYS),
        )
        .outerjoin(manager, manager.c.id == table.c.manager_id)
        .where(table.c.id.in_(wanted))
    )
    out: dict[int, ClientRecord] = {}
    professional = ClientKind.PROFESSIONAL
    width = len(_COLUMNS)
    kind = _COLUMNS.index("kind")
    for row in session.execute(query):
        values = tuple(row)
        held = values[width:]
        record = ClientRecord(
            **dict(zip(_COLUMNS, values[:width], strict=True)),
            is_professional=values[kind] in professional,
            manager=ManagerRecord(*held) if held[0] is not None else None,
        )
        out[record.id] = record
    return out
