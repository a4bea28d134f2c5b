"""The start-up prompt when another workstation holds the base."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.db import Database
from app.lease import DEFAULT_TTL, Lease, lease_path, read_lease
from ui.lease_dialog import READ_ONLY, take_lease


def _held_by_other(db: Database, *, age: dt.timedelta) -> None:
    assert db.path is not None
    beat = dt.datetime.now(dt.UTC) - age
    lease_path(db.path).write_text(
        json.dumps(
            {
                "host": "POSTE-2",
                "user": "marie",
                "pid": 4242,
                "since": (beat - dt.timedelta(hours=1)).isoformat(),
                "heartbeat": beat.isoformat(),
                "token": "other",
            }
        )
    )


def _click(
    texts: list[str | QMessageBox.StandardButton], seen: list[str], shots: Path | None = None
) -> None:
    """Click the buttons named ``texts`` (or Qt's standard buttons, whatever the language
    they are translated into) in the successive message boxes. A box without the wanted
    button is rejected, so the test fails instead of waiting for ever."""

    def act() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, act)
            return
        seen.append(box.text())
        if shots is not None and len(seen) == 1:
            box.grab().save(str(shots))
        wanted = texts.pop(0)
        if isinstance(wanted, QMessageBox.StandardButton):
            target = box.button(wanted)
        else:
            named = [b for b in box.buttons() if b.text().replace("&", "") == wanted]
            target = named[0] if named else None
        if target is None:
            seen.append(f"no button {wanted!r} in {[b.text() for b in box.buttons()]}")
            box.reject()
            return
        target.click()
        if texts:
            QTimer.singleShot(50, act)

    QTimer.singleShot(50, act)


@pytest.mark.sqlite_only
def test_a_live_lease_offers_read_only(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _held_by_other(db, age=dt.timedelta(seconds=10))
    seen: list[str] = []
    _click(["Ouvrir en lecture seule"], seen, tmp_path / "lease.png")
    assert take_lease(db) == READ_ONLY
    assert seen[0].startswith("Base utilisée par marie sur le poste POSTE-2 depuis le ")
    assert read_lease(db.path).host == "POSTE-2"  # type: ignore[arg-type, union-attr]


@pytest.mark.sqlite_only
def test_a_stale_lease_is_taken_over_after_confirmation(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    _held_by_other(db, age=DEFAULT_TTL + dt.timedelta(minutes=5))
    seen: list[str] = []
    _click(["Reprendre la session…", QMessageBox.StandardButton.Yes], seen)
    taken = take_lease(db)
    assert isinstance(taken, Lease)
    assert "ne donne plus signe de vie" in seen[0]
    assert "POSTE-2" in seen[1]
    holder = read_lease(db.path)  # type: ignore[arg-type]
    assert holder is not None and holder.token == taken.info.token
    taken.release()
