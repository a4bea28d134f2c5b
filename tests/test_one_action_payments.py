"""Issue R §2, payments: « Créer le lot et enregistrer le fichier… » and ``sepa export``
go through one function (app.payments.sepa.export_batches), batches and files all or none;
« Créer le bordereau et l'enregistrer en PDF… » and ``cheques remise`` through
app.payments.remittance.remit_cheques, slip and PDF all or none.

Seen: the window recorded the batches, then fetched each file and asked where to save it,
one dialog per batch (a dialog closed without saving left a batch recorded with no file);
the command chained the same three steps on its own. The remittance slip was recorded,
then its PDF made and saved by the window (no command made one).
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


def _cheques(db: Database) -> list[str]:
    """Two cheques received from the demo firm's client, not yet remitted (their numbers)."""
    from app.payments.entry import PaymentForm, record_payment
    from tests.test_payments import issue_invoice, make_client

    _firm(db)
    numbers = []
    with db.write() as session:
        client = make_client(session, "CHQ", "Cabinet Chèques")
        issue_invoice(session, client, "900.00", dt.date.today() - dt.timedelta(days=1))
        for amount, cheque in (("500.00", "1000001"), ("400.00", "1000002")):
            payment = record_payment(
                session,
                PaymentForm(
                    client_id=client.id, date=dt.date.today(),
                    means="cheque", amount=amount, cheque_bank="Banque Populaire",
                    cheque_number=cheque,
                ),
            )  # fmt: skip
            numbers.append(payment.number or "")
    return numbers


def _slips(db: Database) -> int:
    from models.payments import ChequeRemittance

    with db.read() as session:
        return session.scalar(select(func.count()).select_from(ChequeRemittance)) or 0


def _text(path: Path) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_the_window_and_the_command_remit_cheques_through_one_function(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    from app.cli import main
    from app.payments import remittance
    from ui.main_window import MainWindow
    from ui.payments_dialogs import RemittanceDialog

    numbers = _cheques(db)
    assert db.path is not None
    twin = tmp_path / "copie.db"
    with closing(sqlite3.connect(db.path)) as src, closing(sqlite3.connect(twin)) as dst:
        src.backup(dst)
    calls: list[tuple[int, dt.date, Path]] = []
    real = remittance.remit_cheques

    def spy(
        session: Any, ids: list[int], on: dt.date, out: Path, progress: Progress = NO_PROGRESS
    ) -> Any:
        calls.append((len(ids), on, Path(out)))
        return real(session, ids, on, out, progress)

    monkeypatch.setattr(remittance, "remit_cheques", spy)
    today = dt.date.today()
    by_command, by_window = tmp_path / "commande.pdf", tmp_path / "fenetre.pdf"
    args = ["--db", str(twin), "cheques", "remise", "--date", today.isoformat()]
    assert main([*args, "--reglement", numbers[0], "--reglement", numbers[1],
                 "--out", str(by_command)]) == 0  # fmt: skip

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(by_window), ""))
    window = MainWindow(db)
    qtbot.addWidget(window)
    dialog = RemittanceDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    assert sorted(r.number for r in dialog.list.visible_rows()) == numbers
    dialog.list.view.selectAll()
    assert dialog.create() is not None

    assert calls == [(2, today, by_command), (2, today, by_window)]
    assert dialog.list.visible_rows() == [] and _slips(db) == 1
    text = _text(by_window)
    assert text == _text(by_command)
    assert "1000001" in text and "1000002" in text and "900,00" in text.replace("\u202f", " ")


def test_a_cancelled_remittance_records_no_slip_and_leaves_no_file(
    db: Database, tmp_path: Path
) -> None:
    from app.payments.remittance import payments_by_number, remit_cheques

    numbers = _cheques(db)
    folder = tmp_path / "remises"
    folder.mkdir()
    out = folder / "remise.pdf"
    with db.read() as session:
        ids = payments_by_number(session, numbers)
    with pytest.raises(OperationCancelled), db.write() as session:
        remit_cheques(session, ids, dt.date.today(), out, _cancel_at("Bordereau de remise", 1))
    assert list(folder.iterdir()) == [] and _slips(db) == 0
    with db.write() as session:
        slip = remit_cheques(session, ids, dt.date.today(), out)
    assert (slip.count, slip.total, _slips(db)) == (2, Decimal("900.00"), 1)
    assert out.read_bytes().startswith(b"%PDF")


def _renotified(db: Database) -> int:
    from app.payments.sepa_prenotify import renotified_dates

    with db.read() as session:
        return len(renotified_dates(session))


def test_the_window_and_the_command_renotify_through_one_function(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """« Nouvelle pré-notification… » and ``sepa prenotifier``: same records, same text
    (app.payments.sepa.renotify_to_file); cancelled, neither record nor file."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from app.cli import main
    from app.payments.sepa import renotify_to_file, waiting_for_notice
    from app.payments.sepa_rules import first_target_day_from
    from ui.main_window import MainWindow
    from ui.payments_dialogs import SepaDialog

    _firm(db)
    day = first_target_day_from(dt.date.today() + dt.timedelta(days=14))
    assert db.path is not None
    twin = tmp_path / "copie.db"
    with closing(sqlite3.connect(db.path)) as src, closing(sqlite3.connect(twin)) as dst:
        src.backup(dst)

    folder = tmp_path / "avis"
    folder.mkdir()
    with db.read() as session:
        ids = waiting_for_notice(session, day)
    assert len(ids) == 1
    with pytest.raises(OperationCancelled), db.write() as session:
        renotify_to_file(session, ids, day, folder / "x.txt", _cancel_at("Texte des", 1))
    assert list(folder.iterdir()) == [] and _renotified(db) == 0

    by_command, by_window = folder / "commande.txt", folder / "fenetre.txt"
    args = ["--db", str(twin), "sepa", "prenotifier", "--date", day.isoformat()]
    assert main([*args, "--out", str(by_command)]) == 0
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(by_window), ""))
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    window = MainWindow(db)
    qtbot.addWidget(window)
    dialog = SepaDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    dialog.date.setDate(day)
    assert dialog.renotify() == 1
    text = by_window.read_text("utf-8")
    assert text == by_command.read_text("utf-8") and f"sera prélevée le {day:%d/%m/%Y}" in text
    assert _renotified(db) == 1


def test_a_remittance_dated_after_today_is_refused_by_the_command_and_the_window(
    qtbot: QtBot, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seen: ``cheques remise --date 2027-01-15`` on 07/12/2026 recorded RC2027-0001. A slip
    records a deposit made at the bank: never dated ahead (the window does not offer it)."""
    from app import clock
    from app.cli import main
    from ui.main_window import MainWindow
    from ui.payments_dialogs import RemittanceDialog

    _cheques(db)
    out = tmp_path / "remise.pdf"
    with clock.pinned(dt.date(2026, 12, 7)):
        code = main(["--db", str(db.path), "cheques", "remise", "--date", "2027-01-15",
                     "--out", str(out)])  # fmt: skip
        assert code != 0
        assert (
            "La remise ne peut pas être datée après aujourd'hui (07/12/2026)"
            in capsys.readouterr().err
        )
        assert _slips(db) == 0 and not out.exists()
        window = MainWindow(db)
        qtbot.addWidget(window)
        dialog = RemittanceDialog(window.ctx, window)
        qtbot.addWidget(dialog)
        dialog.date.setDate(dialog.date.date().addDays(40))  # clamped by the widget
        assert dialog.date.date().toPython() == dt.date(2026, 12, 7)
