"""Run a use case off the GUI thread, with progress and cancel, then refresh the views.

The worker only calls the use case and emits signals; every widget is touched on the
GUI thread by the slots connected to those signals (Qt queues them across threads).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from app.db import Database
from app.errors import OperationCancelled, PropreoError
from app.i18n import _
from app.progress import CancelToken, Progress

UseCase = Callable[..., Any]


class _Signals(QObject):
    progress = Signal(int, int, str)
    done = Signal(object)
    failed = Signal(object)


class _Worker(QRunnable):
    def __init__(self, db: Database, fn: UseCase, write: bool, progress: Progress) -> None:
        super().__init__()
        self.db, self.fn, self.write, self.progress_obj = db, fn, write, progress
        self.signals = _Signals()
        self.token = progress.token
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            ctx = self.db.write() if self.write else self.db.read()
            with ctx as session:
                result = self.fn(session, self.progress_obj)
        except BaseException as exc:  # delivered to the GUI thread, shown there
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


class Bus(QObject):
    """Tells views that data changed (``changed.emit(topic)``; '' means everything)."""

    changed = Signal(str)


class OperationRunner(QObject):
    """One per main window; keeps workers alive until they report."""

    def __init__(self, db: Database, bus: Bus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.bus = bus
        # A pool per window (not the global one): work left running by one window can
        # never starve another's, and closing the window waits for its own work only.
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(2, QThreadPool.globalInstance().maxThreadCount()))
        self._running: set[_Worker] = set()

    def run(
        self,
        parent: QWidget | None,
        title: str,
        fn: UseCase,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        write: bool = True,
        topic: str = "",
        show_progress: bool = True,
    ) -> _Worker:
        """Run ``fn(session, progress)`` in a worker; ``on_done(result)`` on the GUI thread."""
        token = CancelToken()
        dialog: QProgressDialog | None = None
        if show_progress:
            dialog = QProgressDialog(title, _("Annuler"), 0, 0, parent)
            dialog.setWindowTitle("Propreo")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(400)
            dialog.canceled.connect(token.cancel)
        worker = _Worker(self.db, fn, write, Progress(token=token))
        worker.progress_obj.callback = worker.signals.progress.emit

        def on_progress(done: int, total: int, text: str) -> None:
            if dialog is not None:
                dialog.setMaximum(total)
                dialog.setValue(done)
                if text:
                    dialog.setLabelText(text)

        def finish() -> None:
            self._running.discard(worker)
            if dialog is not None:
                dialog.reset()
                dialog.deleteLater()

        def done(result: Any) -> None:
            finish()
            if write:
                self.bus.changed.emit(topic)
            if on_done:
                on_done(result)

        def failed(exc: BaseException) -> None:
            finish()
            if on_error:
                on_error(exc)
            elif not isinstance(exc, OperationCancelled):
                show_error(parent, exc)

        worker.signals.progress.connect(on_progress)
        worker.signals.done.connect(done)
        worker.signals.failed.connect(failed)
        self._running.add(worker)
        self.pool.start(worker)
        return worker

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for worker in list(self._running):
            worker.token.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every worker of this window has finished (used at close)."""
        return self.pool.waitForDone(msecs)


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show a typed error's French message, a write the disk refused (full, read-only,
    no permission: app.storage) in one French sentence; anything else is a bug, shown as
    such."""
    if not isinstance(exc, PropreoError):
        from app.storage import storage_error

        exc = storage_error(exc, None if isinstance(exc, OSError) else _database_of(parent)) or exc
    if isinstance(exc, PropreoError):
        QMessageBox.warning(parent, "Propreo", str(exc))
    else:
        QMessageBox.critical(
            parent,
            "Propreo",
            _(
                "Erreur inattendue : {error}\n"
                "L'opération n'a rien enregistré. Merci de signaler ce problème."
            ).format(error=f"{type(exc).__name__}: {exc}"),
        )


def _database_of(parent: QWidget | None) -> object | None:
    """The file of the base the window shows (to tell a full disk from a read-only one)."""
    window = parent.window() if parent is not None else None
    db = getattr(window, "db", None)
    return getattr(db, "path", None)


def write_or_say(parent: QWidget | None, path: str | Path, data: bytes) -> bool:
    """Write a file the user chose, whole or not at all; a full disk, read-only media or a
    folder they may not write is said in a box (one French sentence). False then."""
    from app.storage import write_file

    try:
        write_file(path, data)
    except PropreoError as exc:
        show_error(parent, exc)
        return False
    return True
