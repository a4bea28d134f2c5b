"""« Contrôle fait » (issue P §1): the control of a month (M against M-1) is marked done from
the control screen, after a confirmation, with who and when; the dashboard says it. A month
changed after its mark reads « à refaire »."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import clock
from app.billing.invoices import DraftLine
from app.billing.runs import run_month
from app.control.marks import TO_REDO, control_state
from app.control.provisional import add_draft_line
from app.db import Database
from models.audit import AuditEvent
from models.collections import ControlMark
from models.invoices import Invoice, InvoiceStatus
from models.users import User
from tests.dialogs import ACCEPT, REJECT, answer
from ui.main_window import MainWindow


@pytest.fixture
def today() -> Iterator[dt.date]:
    with clock.pinned(dt.date(2026, 9, 1)) as day:
        yield day


def _red(home, row: int) -> bool:  # type: ignore[no-untyped-def]
    item = home.todo.topLevelItem(3).child(row)
    return item.foreground(0).color().red() > 150


def test_marking_the_control_done_shows_on_the_dashboard(
    qtbot: QtBot, demo_db: Database, today: dt.date
) -> None:
    with demo_db.read() as s:
        sophie = s.scalar(select(User).where(User.login == "sophie"))
    demo_db.user_id = sophie.id
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    home = window.tab("Accueil")
    billing = home.items("billing")
    assert billing[1] == "Facturation de 09/2026 : pas encore lancée"
    # September not launched: the dashboard shows August's control, not done yet.
    assert billing[2].startswith("Contrôle de 08/2026 : à faire, ")
    assert _red(home, 1)

    tab = window.tab("Contrôle facturation")
    panel = tab.panel
    panel.set_period("2026-08")
    assert panel.mark_label.text() == billing[2]
    gaps = len(panel.result.anomalies)
    # Refused: nothing stored.
    answer(REJECT)
    panel.mark_button.click()
    with demo_db.read() as s:
        assert s.scalar(select(ControlMark)) is None
    # Accepted: the confirmation names the month, its M-1 and the gaps examined.
    seen: list[str] = []
    answer(ACCEPT, seen=seen)
    panel.mark_button.click()
    assert "Marquer le contrôle de 08/2026 (comparé à 07/2026) comme fait ?" in seen[0]
    assert gaps == 1 and "L'écart affiché a été examiné." in seen[0]
    done = f"Contrôle de 08/2026 : fait le {dt.date.today():%d/%m/%Y} par {sophie.full_name}"
    assert panel.mark_label.text() == done
    assert not panel.mark_button.isEnabled()
    with demo_db.read() as s:
        mark = s.scalar(select(ControlMark))
        assert (mark.period, mark.done_by_id, mark.anomalies) == ("2026-08", sophie.id, gaps)
        event = s.scalar(select(AuditEvent).where(AuditEvent.entity_type == "control_mark"))
        assert event.user_id == sophie.id
        assert event.summary == "Contrôle de 2026-08 marqué fait (1 écart examiné)"
    # The dashboard (refreshed by the change) says it, no longer in red.
    qtbot.waitUntil(lambda: home.items("billing")[2] == done, timeout=10_000)
    assert not _red(home, 1)
    # Another month shown in the panel is still to do.
    panel.set_period("2026-07")
    assert panel.mark_label.text().startswith("Contrôle de 07/2026 : à faire")
    assert panel.mark_button.isEnabled()
    # A month not billed has nothing to control.
    panel.set_period("2026-10")
    assert panel.mark_label.text() == "Mois pas encore facturé : rien à contrôler."
    assert not panel.mark_button.isEnabled()


def test_a_month_changed_after_its_mark_is_to_redo(demo_db: Database, today: dt.date) -> None:
    from app.control.marks import mark_control_done

    with demo_db.write() as s:
        run_month(s, "2026-09")
        state = mark_control_done(s, "2026-09")
        assert state.done
        draft = s.scalar(select(Invoice).where(Invoice.status == InvoiceStatus.DRAFT).limit(1))
        add_draft_line(s, draft.id, DraftLine(description="Geste", quantity="1", unit_price="50"))
    with demo_db.read() as s:
        state = control_state(s, "2026-09")
        assert state.state == TO_REDO
        assert state.text().startswith(
            "Contrôle de 09/2026 : à refaire (facturation modifiée depuis le "
        )
