"""Client record → « Historique »: French labels for every kind of record and action, amounts
in the French format (seen: « accept », « allocation », « planned_job », « email », « 68.04 € »)."""

from __future__ import annotations

import re
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import audit
from app.db import Database
from app.history import ACTION_LABELS, ENTITY_LABELS
from models.clients import Client
from models.invoices import Invoice
from ui.main_window import MainWindow

RAW_AMOUNT = re.compile(r"\d\.\d{2}\s?€")


def test_the_demo_history_is_in_french(qtbot: QtBot, demo_db: Database) -> None:
    with demo_db.write() as s:  # an invoice e-mailed by an older version: « 68.04 € »
        invoice = s.scalars(select(Invoice).where(Invoice.number.is_not(None))).first()
        audit.record(
            s, "invoice", invoice.id, "email", f"{invoice.number} envoyé (68.04 € TTC)",
            client_id=invoice.client_id,
        )  # fmt: skip
        client_ids = list(s.scalars(select(Client.id).order_by(Client.id)))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    editor = window.tab("Clients").editor  # type: ignore[attr-defined]
    seen: list[tuple[str, str, str]] = []
    for client_id in client_ids:
        editor.load(client_id)
        editor.panels.setCurrentWidget(editor.history)
        seen += [(r.entity, r.action, r.summary) for r in editor.history.list.visible_rows()]
    entities, actions = {e for e, _a, _s in seen}, {a for _e, a, _s in seen}
    assert {"Imputation", "Intervention planifiée", "Acceptation", "Envoi par e-mail"} <= (
        entities | actions
    )
    assert entities <= set(ENTITY_LABELS.values()), entities - set(ENTITY_LABELS.values())
    assert actions <= set(ACTION_LABELS.values()), actions - set(ACTION_LABELS.values())
    assert [s for _e, _a, s in seen if RAW_AMOUNT.search(s)] == []
    assert any("(68,04\xa0€ TTC)" in s for _e, _a, s in seen)


def test_every_kind_and_action_the_application_records_has_a_french_label() -> None:
    root = Path(__file__).resolve().parents[1] / "app"
    call = re.compile(r'audit\.record\(\s*\w+,\s*"([a-z_]+)",\s*[^,]+?,\s*"([a-z_]+)"', re.S)
    entities, actions = set(), set()
    for path in root.rglob("*.py"):
        for entity, action in call.findall(path.read_text(encoding="utf-8")):
            entities.add(entity)
            actions.add(action)
    assert len(entities) > 20 and len(actions) > 30
    assert entities - ENTITY_LABELS.keys() == set()
    assert actions - ACTION_LABELS.keys() == set()
