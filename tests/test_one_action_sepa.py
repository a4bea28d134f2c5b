"""Issue R §2, SEPA: « Créer le lot et enregistrer le fichier… » and ``sepa export`` go
through one function (app.payments.sepa.export_batches), batches and files all or none.

Seen: the window recorded the batches, then fetched each file and asked where to save it,
one dialog per batch (a dialog closed without saving left a batch recorded with no file);
the command chained the same three steps on its own.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.db import Database
from app.errors import OperationCancelled, StorageError
from app.progress import NO_PROGRESS, Progress
from reports.sepa_xml import summary, validate_pain008
from tests.test_one_action import _cancel_at
from tests.test_sepa_ui import _firm

pytestmark = pytest.mark.sqlite_only


def _ready(db: Database) -> dt.date:
    """The demo creditor, a client with a mandate and two invoices both collectable on the
    returned day (the first one announced again for it)."""
    from app.payments.sepa import waiting_for_notice
    from app.payments.sepa_prenotify import renotify
    from app.payments.sepa_rules import first_target_day_from

    _firm(db)
    day = first_target_day_from(dt.date.today() + dt.timedelta(days=14))
    with db.write() as session:
        renotify(session, waiting_for_notice(session, day), day)
    return day


def _batches(db: Database) -> int:
    from models.payments import SepaBatch

    with db.read() as session:
        return session.scalar(select(func.count()).select_from(SepaBatch)) or 0


def _comparable(xml: bytes) -> bytes:
    """The file without its creation time and the payment block's id (sepaxml draws it at
    random): all two exports of one state differ by."""
    return re.sub(rb"<(CreDtTm|PmtInfId)>[^<]*</(CreDtTm|PmtInfId)>", b"", xml)


def test_the_window_and_the_command_export_one_batch_through_one_function(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    from app.cli import main
    from app.payments import sepa
    from ui.main_window import MainWindow
    from ui.payments_dialogs import SepaDialog

    day = _ready(db)
    assert db.path is not None
    twin = tmp_path / "copie.db"  # the same firm, for the command
    with closing(sqlite3.connect(db.path)) as src, closing(sqlite3.connect(twin)) as dst:
        src.backup(dst)
    calls: list[tuple[dt.date, Path]] = []
    real = sepa.export_batches

    def spy(session: Any, on: dt.date, out: Path, progress: Progress = NO_PROGRESS) -> Any:
        calls.append((on, Path(out)))
        return real(session, on, out, progress)

    monkeypatch.setattr(sepa, "export_batches", spy)
    by_command, by_window = tmp_path / "commande.xml", tmp_path / "fenetre.xml"
    args = ["--db", str(twin), "sepa", "export", "--date", day.isoformat()]
    assert main([*args, "--out", str(by_command)]) == 0

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(by_window), ""))
    window = MainWindow(db)
    qtbot.addWidget(window)
    dialog = SepaDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    dialog.date.setDate(day)
    ids = dialog.create()

    assert calls == [(day, by_command), (day, by_window)]
    assert len(ids) == 1 and [b.id for b in dialog.batches.visible_rows()] == ids
    xml = by_window.read_bytes()
    validate_pain008(xml)
    assert summary(xml) == (1, Decimal("600.00"))  # a mandate's first debits: one transaction
    assert _comparable(xml) == _comparable(by_command.read_bytes())


def test_a_cancelled_export_records_no_batch_and_leaves_no_file(
    db: Database, tmp_path: Path
) -> None:
    """Cancelled once the file is written (before the batch is committed); then a file the
    disk refuses (its folder is a file): neither batch nor file. Then the export itself."""
    from app.payments.sepa import export_batches

    day = _ready(db)
    folder = tmp_path / "lots"
    folder.mkdir()
    out = folder / "lot.xml"
    with pytest.raises(OperationCancelled), db.write() as session:
        export_batches(session, day, out, _cancel_at("Écriture des fichiers SEPA", 1))
    assert list(folder.iterdir()) == [] and _batches(db) == 0
    (tmp_path / "pas-un-dossier").write_text("")
    with pytest.raises(StorageError), db.write() as session:
        export_batches(session, day, tmp_path / "pas-un-dossier" / "lot.xml")
    assert _batches(db) == 0
    with db.write() as session:
        exported = export_batches(session, day, out)
    assert [(b.count, b.total, b.path) for b in exported] == [(2, Decimal("600.00"), out)]
    assert _batches(db) == 1 and summary(out.read_bytes()) == (1, Decimal("600.00"))
