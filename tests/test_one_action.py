"""Issue R §2: one function per user action in app/, called by the window and the
command line alike, taking progress and a cancel token.

Seen: « Exporter Factur-X » chained render_batch and save_batch in the window (the save
on the GUI thread, after the worker) and again in ``documents export``; « Appliquer »
of the follow-up tab re-implemented ``apply_revisions`` to report progress.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.db import Database
from app.errors import OperationCancelled
from app.progress import NO_PROGRESS, Progress

pytestmark = pytest.mark.sqlite_only


def _smallest_month(base: Path) -> tuple[str, int]:
    """The month with the fewest issued documents (at least 3): quick to render."""
    with closing(sqlite3.connect(f"file:{base}?mode=ro", uri=True)) as conn:
        period, count = conn.execute(
            "SELECT strftime('%Y-%m', issue_date), count(*) FROM invoices "
            "WHERE status = 'issued' GROUP BY 1 HAVING count(*) >= 3 ORDER BY 2, 1 LIMIT 1"
        ).fetchone()
    return period, count


def _pdfs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.pdf"))}


def test_the_window_and_the_command_export_a_month_through_one_function(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from app.cli import main
    from app.documents import render
    from ui.documents import DocumentsTab
    from ui.main_window import MainWindow

    assert demo_db.path is not None
    period, count = _smallest_month(demo_db.path)
    calls: list[tuple[str, Path]] = []
    export_month = render.export_month

    def spy(session: Any, month: str, folder: Path, progress: Progress = NO_PROGRESS) -> Any:
        calls.append((month, Path(folder)))
        return export_month(session, month, folder, progress)

    monkeypatch.setattr(render, "export_month", spy)
    by_command, by_window = tmp_path / "commande", tmp_path / "fenetre"
    args = ["--db", str(demo_db.path), "documents", "export", "--period", period]
    assert main([*args, "--out", str(by_command)]) == 0

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: said.append(text))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(by_window))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = DocumentsTab(window.ctx)
    qtbot.addWidget(tab)
    tab.period.set_period(period)
    tab.export_folder()
    qtbot.waitUntil(lambda: bool(said), timeout=120_000)

    assert calls == [(period, by_command), (period, by_window)]
    assert said == [f"{count} documents exportés."]
    assert len(_pdfs(by_command)) == count
    assert _pdfs(by_window) == _pdfs(by_command)  # the same files, byte for byte


def _cancel_at(text: str, after: int) -> Progress:
    """A progress whose token is cancelled once ``after`` steps of ``text`` were seen
    (the next step then stops the work, as the dialog's « Annuler » does)."""
    progress = Progress()
    seen: list[int] = []

    def callback(done: int, total: int, step: str) -> None:
        if step.startswith(text):
            seen.append(done)
            if len(seen) >= after:
                progress.token.cancel()

    progress.callback = callback
    return progress


@pytest.mark.parametrize(
    ("step", "after"),
    [("Écriture des PDF", 2), ("Génération de ", 2)],
    ids=["writing", "rendering"],
)
def test_a_cancelled_export_leaves_nothing_in_the_folder(
    demo_db: Database, tmp_path: Path, step: str, after: int
) -> None:
    """Cancelled while the PDFs are written (two already there) or while they are
    rendered (two done)."""
    from app.documents.render import export_month, shutdown_pool

    assert demo_db.path is not None
    period, count = _smallest_month(demo_db.path)
    # The month's few documents render in this process, one step each, unless an earlier
    # test of this process left the pool warm (then they go to it, reported by chunks).
    shutdown_pool()
    out = tmp_path / "export"
    with pytest.raises(OperationCancelled), demo_db.read() as session:
        export_month(session, period, out, _cancel_at(step, after))
    assert not out.exists() or list(out.iterdir()) == []
    with demo_db.read() as session:  # not cancelled: the whole month
        export_month(session, period, out)
    assert len(_pdfs(out)) == count


def test_cancelled_revisions_roll_back(db: Database) -> None:
    """« Appliquer » cancelled: the revision computed is not kept, the clause not moved
    (the window and ``revisions apply`` call the same apply_revisions)."""
    from sqlalchemy import func, select

    from app.revisions.clauses import get_clause
    from app.revisions.runs import apply_revisions, due_revisions
    from models.revisions import Revision
    from tests.test_ui_followup import _prepare

    contract_id = _prepare(db)
    today = dt.date(2026, 9, 1)
    with db.read() as session:
        ready = [r.contract_id for r in due_revisions(session, today, today=today) if r.ready]
    assert ready == [contract_id]
    with pytest.raises(OperationCancelled), db.write() as session:
        apply_revisions(
            session, ready, today=today, progress=_cancel_at("Révision des contrats…", 1)
        )
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Revision)) == 0
        assert get_clause(session, contract_id).next_revision == dt.date(2026, 9, 1)
    with db.write() as session:
        assert len(apply_revisions(session, ready, today=today)) == 1
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Revision)) == 1
        assert get_clause(session, contract_id).next_revision == dt.date(2027, 9, 1)


def test_the_window_and_the_command_leave_out_a_cut_off_sending(
    qtbot: QtBot,
    demo_db: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """« Envoyer par e-mail » and ``documents send`` plan the month through one
    function (send_plan). Seen: the window's plan left out only documents already sent,
    so a sending cut off by a crash (« in progress ») was e-mailed again without a word,
    where the command line reported it as uncertain."""
    from aiosmtpd.controller import Controller

    from app.cli import main
    from app.documents import send_plan
    from app.documents.email import email_recipients
    from models.documents import DocumentSending, SendStatus
    from models.invoices import Invoice
    from tests.dialogs import REJECT, answer
    from tests.test_email import Inbox, free_port
    from ui.documents import DocumentsTab
    from ui.main_window import MainWindow

    period = "2026-07"
    with demo_db.write() as session:
        ids = email_recipients(session, period)
        cut = session.get(Invoice, ids[0])
        assert cut is not None and len(ids) > 2
        session.add(
            DocumentSending(
                invoice_id=cut.id,
                client_id=cut.client_id,
                number=cut.number,
                status=SendStatus.IN_PROGRESS,
            )
        )
    planned: list[list[int]] = []
    real = send_plan.send_plan

    def spy(session: Any, invoice_ids: Any, *, resend: bool = False) -> send_plan.SendPlan:
        plan = real(session, invoice_ids, resend=resend)
        planned.append(plan.ids)
        return plan

    monkeypatch.setattr(send_plan, "send_plan", spy)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = DocumentsTab(window.ctx)
    qtbot.addWidget(tab)
    tab.period.set_period(period)
    seen: list[str] = []
    answer(REJECT, seen=seen)  # the confirmation is read, then cancelled
    tab.send_run()
    assert f"{cut.number})" in seen[0] and "interrompu" in seen[0]

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert demo_db.path is not None
        args = ["--db", str(demo_db.path), "documents", "send", "--period", period]
        code = main([*args, "--smtp", f"127.0.0.1:{port}"])
    finally:
        controller.stop()
    assert code == 1  # the uncertain one is reported
    assert f"INCERTAIN {cut.number} : l'envoi précédent a été interrompu" in capsys.readouterr().err
    received = [m.get_payload()[1].get_filename().removesuffix(".pdf") for _, m in inbox.messages]
    assert len(planned) == 2 and planned[0] == planned[1] and cut.id not in planned[0]
    assert cut.number not in received and len(received) == len(planned[1])
