"""Issue R §2, printing: « Lot courrier (PDF)… » of the Éditions tab and ``documents
courrier``, « PDF… » of the screens and ``documents pdf`` go through one function each in
app/ (app.documents.printing), with progress and a cancel that writes nothing.

Seen: the window chained ``paper_documents`` and ``postal_batch`` itself, then saved the
bytes on the GUI thread; no command made the batch or the PDF of chosen documents.
"""

from __future__ import annotations

import io
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pytestqt.qtbot import QtBot

from app.db import Database
from app.errors import OperationCancelled
from app.progress import NO_PROGRESS, Progress
from tests.test_one_action import _cancel_at

pytestmark = pytest.mark.sqlite_only


def _paper_month(db: Database) -> tuple[str, list[str]]:
    """The month with the fewest issued documents (at least 4), two clients of it turned to
    paper (the demo firm mails everything): the month and those clients' documents."""
    assert db.path is not None
    with closing(sqlite3.connect(db.path)) as conn, conn:
        month = conn.execute(
            "SELECT strftime('%Y-%m', issue_date) FROM invoices WHERE status = 'issued' "
            "GROUP BY 1 HAVING count(*) >= 4 ORDER BY count(*), 1 LIMIT 1"
        ).fetchone()[0]
        clients = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT client_id FROM invoices WHERE status = 'issued' "
                "AND strftime('%Y-%m', issue_date) = ? ORDER BY client_id LIMIT 2",
                (month,),
            )
        ]
        conn.execute(
            f"UPDATE clients SET sending_mode = 'paper' WHERE id IN ({clients[0]}, {clients[1]})"
        )
        numbers = [
            row[0]
            for row in conn.execute(
                "SELECT number FROM invoices WHERE status = 'issued' "
                "AND strftime('%Y-%m', issue_date) = ? AND client_id IN (?, ?) ORDER BY number",
                (month, *clients),
            )
        ]
    return month, numbers


def _pages(data: bytes) -> list[str]:
    """The text of each page (pypdf gives every write its own file identifier)."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_the_window_and_the_command_make_one_postal_batch(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from app.cli import main
    from app.documents import printing
    from ui.documents import DocumentsTab
    from ui.main_window import MainWindow

    assert demo_db.path is not None
    period, numbers = _paper_month(demo_db)
    calls: list[tuple[str, Path]] = []
    real = printing.postal_batch_of_month

    def spy(session: Any, month: str, out: Path, progress: Progress = NO_PROGRESS) -> Any:
        calls.append((month, Path(out)))
        return real(session, month, out, progress)

    monkeypatch.setattr(printing, "postal_batch_of_month", spy)
    by_command, by_window = tmp_path / "commande.pdf", tmp_path / "fenetre.pdf"
    args = ["--db", str(demo_db.path), "documents", "courrier", "--period", period]
    assert main([*args, "--out", str(by_command)]) == 0

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: said.append(text))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(by_window), ""))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = DocumentsTab(window.ctx)
    qtbot.addWidget(tab)
    tab.period.set_period(period)
    tab.postal_batch()
    qtbot.waitUntil(lambda: bool(said), timeout=120_000)

    assert calls == [(period, by_command), (period, by_window)]
    assert said == [f"Lot courrier : {len(numbers)} documents enregistrés dans {by_window}."]
    pages = _pages(by_command.read_bytes())
    assert _pages(by_window.read_bytes()) == pages
    # Every paper document of the month, in number order, each starting on a new sheet.
    firsts = [i for i, text in enumerate(pages) if text.strip()]
    starts = [next(i for i in firsts if number in pages[i]) for number in numbers]
    assert starts == sorted(starts) and all(i % 2 == 0 for i in starts)
    # Rendered for the batch, so archived: the tab says so once the batch is made.
    archived = {r.number: r.archived for r in tab.list.visible_rows()}
    assert all(archived[number] for number in numbers)


@pytest.mark.parametrize(
    ("step", "after"),
    [("Génération de ", 2), ("Génération de ", 0)],
    ids=["rendering", "after-the-last-document"],
)
def test_a_cancelled_postal_batch_writes_nothing(
    demo_db: Database, tmp_path: Path, step: str, after: int
) -> None:
    """Cancelled while rendering (two documents done), or once every document is rendered
    (``after`` 0: at the last one), just before the merged PDF is written."""
    from app.documents.printing import postal_batch_of_month
    from app.documents.render import shutdown_pool

    assert demo_db.path is not None
    period, numbers = _paper_month(demo_db)
    shutdown_pool()  # render here, one step a document (see test_one_action)
    folder = tmp_path / "lot"
    folder.mkdir()
    out = folder / "lot.pdf"
    with pytest.raises(OperationCancelled), demo_db.read() as session:
        postal_batch_of_month(session, period, out, _cancel_at(step, after or len(numbers)))
    assert list(folder.iterdir()) == []  # no file, no temporary left behind
    with demo_db.read() as session:  # not cancelled: the whole batch
        batch = postal_batch_of_month(session, period, out)
    assert batch.count == len(numbers) and out.exists()


def test_a_month_without_paper_documents_says_so(demo_db: Database, tmp_path: Path) -> None:
    from app.cli import main

    assert demo_db.path is not None
    out = tmp_path / "lot.pdf"
    args = ["--db", str(demo_db.path), "documents", "courrier", "--period", "2019-01"]
    assert main([*args, "--out", str(out)]) != 0
    assert not out.exists()


def test_the_pdf_button_and_the_command_give_the_same_pdf(
    qtbot: QtBot,
    demo_db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """« PDF… » (ui.document_actions, on the invoice list, viewer and client account) and
    ``documents pdf`` call print_documents; an unknown number is named."""
    from PySide6.QtWidgets import QFileDialog

    from app.cli import main
    from app.documents import printing
    from app.documents.printing import issued_by_number
    from ui.document_actions import DocumentActions
    from ui.main_window import MainWindow

    assert demo_db.path is not None
    _period, numbers = _paper_month(demo_db)
    chosen = numbers[:2]
    with demo_db.read() as session:
        ids = issued_by_number(session, chosen)
    calls: list[list[int]] = []
    real = printing.print_documents

    def spy(session: Any, invoice_ids: list[int], progress: Progress = NO_PROGRESS) -> bytes:
        calls.append(list(invoice_ids))
        return real(session, invoice_ids, progress)

    monkeypatch.setattr(printing, "print_documents", spy)
    by_command, by_window = tmp_path / "commande.pdf", tmp_path / "fenetre.pdf"
    args = ["--db", str(demo_db.path), "documents", "pdf", *chosen]
    assert main([*args, "--out", str(by_command)]) == 0

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(by_window), ""))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    actions = DocumentActions(window.ctx, window, lambda: list(zip(ids, chosen, strict=True)))
    actions.save_pdf()
    qtbot.waitUntil(by_window.exists, timeout=120_000)

    assert calls == [ids, ids]
    pages = _pages(by_command.read_bytes())
    assert _pages(by_window.read_bytes()) == pages
    assert chosen[0] in pages[0] and any(chosen[1] in text for text in pages[1:])

    capsys.readouterr()
    missing = tmp_path / "absent.pdf"
    assert main([*args, "FA1999-00001", "--out", str(missing)]) != 0
    assert "Document émis « FA1999-00001 » introuvable." in capsys.readouterr().err
    assert not missing.exists()
