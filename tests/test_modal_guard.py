"""A test that leaves a confirmation unanswered fails, naming the box, instead of hanging
the suite (tests/modal_guard.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FORGETFUL = """
from PySide6.QtWidgets import QMessageBox


def test_forgets_to_answer(qtbot):
    answer = QMessageBox.question(None, "Propreo", "Émettre 3 factures ?")
    assert answer != QMessageBox.StandardButton.Yes  # refused by the guard


def test_answers(qtbot):
    from tests.dialogs import answer

    answer(QMessageBox.ButtonRole.YesRole)
    assert QMessageBox.question(None, "Propreo", "Émettre ?") == QMessageBox.StandardButton.Yes
"""


def test_an_unanswered_modal_box_fails_its_test_instead_of_hanging(tmp_path: Path) -> None:
    (tmp_path / "test_forgetful.py").write_text(FORGETFUL, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "PROPREO_TEST_MODAL_PATIENCE_S": "1",
    }
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.modal_guard",
            "-p",
            "no:cacheprovider",
            "-q",
            "--timeout",
            "120",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_forgetful.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "1 failed, 1 passed" in out
    assert "FAILED test_forgetful.py::test_forgets_to_answer - Failed: modal box" in out
    assert "modal box left unanswered for 1 s" in out
    assert "Émettre 3 factures ?" in out
    assert time.monotonic() - started < 60  # not the 120 s timeout, nor for ever
