"""The client records of the bulk paths (month-end run, issuing) are typed, frozen, and say
what the ORM row says: every column, whether the client is professional, its syndic."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from app.addressing import postal_address
from app.billing.records import ClientRecord, ManagerRecord, client_records
from app.db import Database
from models.clients import Client, ClientKind
from tests import billing_fixtures as bf


def test_a_record_has_every_column_of_the_client_but_its_timestamps() -> None:
    columns = {c.key for c in Client.__table__.columns} - {"created_at", "updated_at"}
    named = {f.name for f in dataclasses.fields(ClientRecord)}
    assert named == columns | {"is_professional", "manager"}


def test_records_say_what_the_rows_say(db: Database) -> None:
    with db.write() as s:
        syndic = bf.client(
            s, code="SYND001", name="Cabinet Lenoir", street="4 rue Haute", street2="BP 12",
            postcode="69002", city="Lyon",
        )  # fmt: skip
        sdc = bf.client(
            s, code="SDC0001", kind=ClientKind.CONDOMINIUM, name="Les Tilleuls",
            manager_id=syndic.id, credit_limit=Decimal("1500.50"), blocked=True,
        )  # fmt: skip
        person = bf.client(s, code="MART001", kind=ClientKind.PERSON, siren="")
        ids = [syndic.id, sdc.id, person.id]
    with db.read() as s:
        records = client_records(s, ids)
        for client_id in ids:
            row, record = s.get(Client, client_id), records[client_id]
            for field in dataclasses.fields(ClientRecord):
                if field.name != "manager":
                    assert getattr(record, field.name) == getattr(row, field.name), field.name
            assert postal_address(record) == postal_address(row)
    tilleuls = records[sdc.id]
    assert tilleuls.manager == ManagerRecord(
        "Cabinet Lenoir", "4 rue Haute", "BP 12", "69002", "Lyon", "FR"
    )
    assert postal_address(tilleuls) == ["4 rue Haute", "BP 12", "69002 LYON"]
    assert tilleuls.credit_limit == Decimal("1500.50") and tilleuls.blocked is True
    assert records[syndic.id].manager is None and records[syndic.id].is_professional
    assert not records[person.id].is_professional
    with pytest.raises(dataclasses.FrozenInstanceError):
        tilleuls.blocked = False  # type: ignore[misc]
