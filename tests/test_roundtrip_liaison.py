"""Round-trip through the real widgets: liaison entries (safeguard 1 of issue O).

Each open entry of the demo firm, and one holding every optional field, is opened in the
entry dialog (as « Modifier » does) and saved untouched: no column of any row changes.
One field changed: only that column changes (plus the entry's own trail of changes)."""

from __future__ import annotations

import datetime as dt

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.liaison import entries as L
from app.liaison.views import choices, entry_detail
from models.contracts import Contract
from models.liaison import LiaisonEntry
from tests.roundtrip import assert_only, assert_unchanged, snapshot
from ui.context import UiContext
from ui.liaison_quick import EntryDialog
from ui.operations import Bus, OperationRunner


def _ctx(db: Database) -> UiContext:
    bus = Bus()
    return UiContext(db, bus, OperationRunner(db, bus))


def _full_entry(db: Database) -> int:
    """An entry with a client, its site and contract, a service, a category, an assignee,
    an alert date, a caller's phone and a text of several lines."""
    with db.write() as s:
        contract = s.scalars(select(Contract).where(Contract.site_id.is_not(None))).first()
        assert contract is not None
        c = choices(s)
        data = L.EntryInput(
            kind="visit",
            caller="Mme Fontaine (services généraux)",
            caller_phone="01 44 55 66 77",
            client_id=contract.client_id,
            site_id=contract.site_id,
            contract_id=contract.id,
            department_id=c.departments[-1][0],
            category_id=c.categories[-1][0],
            priority=list(L.PRIORITIES)[-1],
            subject="Traces sur les vitres du hall",
            text="Traces après le passage de mardi.\nRepasser avant vendredi 10 h.",
            assignee_id=c.users[-1][0],
            due_date=dt.date.today() + dt.timedelta(days=5),
        )
        return L.create_entry(s, data).id


def _open(qtbot: QtBot, ctx: UiContext, entry_id: int) -> EntryDialog:
    detail = ctx.query(entry_detail, entry_id)
    dialog = EntryDialog(ctx, detail=detail)
    qtbot.addWidget(dialog)
    return dialog


def test_every_open_entry_saved_untouched_changes_nothing(qtbot: QtBot, demo_db: Database) -> None:
    full = _full_entry(demo_db)
    ctx = _ctx(demo_db)
    with demo_db.read() as s:
        ids = list(
            s.scalars(
                select(LiaisonEntry.id)
                .where(LiaisonEntry.status != L.CLOSED)
                .order_by(LiaisonEntry.id)
            )
        )
    assert len(ids) >= 7 and full in ids
    before = snapshot(demo_db)
    for entry_id in ids:
        dialog = _open(qtbot, ctx, entry_id)
        dialog.save()
        assert dialog.result() == 1, (entry_id, dialog.form.general_error.text())
    assert_unchanged(demo_db, before)


def test_a_closed_entry_is_refused_and_nothing_written(qtbot: QtBot, demo_db: Database) -> None:
    ctx = _ctx(demo_db)
    with demo_db.read() as s:
        closed = s.scalar(select(LiaisonEntry.id).where(LiaisonEntry.status == L.CLOSED))
    before = snapshot(demo_db)
    dialog = _open(qtbot, ctx, closed)  # type: ignore[arg-type]
    dialog.save()
    assert dialog.result() == 0
    assert "rouvrez-la" in dialog.form.general_error.text()
    assert_unchanged(demo_db, before)


def test_one_entry_field_changed_changes_only_that_column(qtbot: QtBot, demo_db: Database) -> None:
    full = _full_entry(demo_db)
    ctx = _ctx(demo_db)
    dialog = _open(qtbot, ctx, full)
    before = snapshot(demo_db)
    dialog.form.set_value("caller_phone", "06 00 11 22 33")
    dialog.save()
    assert dialog.result() == 1, dialog.form.general_error.text()
    [change] = assert_only(
        demo_db,
        before,
        {("liaison_entries", "caller_phone")},
        allow=[("liaison_actions", "*")],  # the entry's log line « Fiche modifiée »
    )
    assert change.new == "06 00 11 22 33"


def test_an_entry_of_a_deactivated_client_keeps_its_client(qtbot: QtBot, demo_db: Database) -> None:
    """The entry form offers active clients only: an open entry about a client deactivated
    since keeps it (it used to fall back to « (aucun) » and lose client, site and contract)."""
    from models.clients import Client

    full = _full_entry(demo_db)
    with demo_db.write() as s:
        entry = s.get(LiaisonEntry, full)
        assert entry is not None
        client_id = entry.client_id
        s.get(Client, client_id).active = False  # type: ignore[union-attr]
    dialog = _open(qtbot, _ctx(demo_db), full)
    assert dialog.form.value("client_id") == client_id
    before = snapshot(demo_db)
    dialog.save()
    assert dialog.result() == 1, dialog.form.general_error.text()
    assert_unchanged(demo_db, before)
