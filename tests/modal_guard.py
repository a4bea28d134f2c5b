"""A modal box nobody answers fails its test instead of hanging the whole suite.

A test that makes the product open a confirmation (``QMessageBox.exec()``, a dialog's
``exec()``) without answering it waits in Qt's modal loop for ever: pytest-timeout's signal
cannot interrupt a C++ event loop, so one such test used to block its CI worker for good.

While a test of a process that has a ``QApplication`` runs, a timer looks at the active
modal widget every quarter of a second. A modal box (not a progress dialog) still open
after :data:`PATIENCE_S` seconds is closed as refused (the product takes its « non » path,
so the test body can end) and the test fails, naming the box's title and texts.

Loaded by tests/conftest.py; ``-p tests.modal_guard`` loads it into any pytest run.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

PATIENCE_S = float(os.environ.get("PROPREO_TEST_MODAL_PATIENCE_S", "60"))
TICK_MS = 250


class ModalGuard:
    """Closes a modal box left open longer than ``patience`` seconds and remembers it."""

    def __init__(self, patience: float) -> None:
        from PySide6.QtCore import QTimer

        self.patience = patience
        self.unanswered: list[str] = []
        self._current: Any = None
        self._since = 0.0
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        from PySide6.QtWidgets import QApplication, QDialog, QProgressDialog

        box = QApplication.activeModalWidget()
        if box is None or isinstance(box, QProgressDialog):  # progress: the work answers it
            self._current = None
            return
        if box is not self._current:
            self._current, self._since = box, time.monotonic()
            return
        if time.monotonic() - self._since < self.patience:
            return
        from tests.dialogs import texts

        self.unanswered.append(texts(box) or type(box).__name__)
        self._current = None
        if isinstance(box, QDialog):
            QDialog.done(box, QDialog.DialogCode.Rejected)  # a QMessageBox ignores close()
        else:
            box.close()

    def stop(self) -> list[str]:
        self._timer.stop()
        return self.unanswered


def _start() -> ModalGuard | None:
    if "PySide6.QtWidgets" not in sys.modules:  # no Qt in this test process (yet)
        return None
    from PySide6.QtWidgets import QApplication

    if not isinstance(QApplication.instance(), QApplication):
        return None
    return ModalGuard(PATIENCE_S)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    guard = _start()
    try:
        return (yield)
    finally:
        unanswered = guard.stop() if guard is not None else []
        if unanswered:
            boxes = "\n---\n".join(unanswered)
            pytest.fail(
                f"modal box left unanswered for {guard.patience:.0f} s (answer it with "
                f"tests.dialogs.answer or tests.practical.answering), closed as refused:\n"
                f"{boxes}",
                pytrace=False,
            )
