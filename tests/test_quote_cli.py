"""``propreo devis …`` on the demo firm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.cli import main
from app.db import Database
from tests.pg import target_of


def test_reminders_expire_and_pdf(
    demo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = target_of(demo_db)
    assert main(["--db", db, "devis", "relances", "--date", "2026-09-01", "--json"]) == 0
    due = {r["number"]: r for r in json.loads(capsys.readouterr().out)}
    assert "DE2026-00006" in due and due["DE2026-00006"]["reminders"] == 1
    assert due["DE2026-00006"]["total_ttc"] == "1694.40"

    assert main(["--db", db, "devis", "expirer", "--date", "2026-09-10"]) == 0
    out = capsys.readouterr().out
    assert "DE2026-00003 v2 expiré" in out  # valid until 04/09/2026
    assert "DE2026-00006 expiré" not in out  # valid until 13/09/2026

    pdf = tmp_path / "devis.pdf"
    assert main(["--db", db, "devis", "pdf", "DE2026-00003", "--out", str(pdf)]) == 0
    text = PdfReader(str(pdf)).pages[0].extract_text()
    assert "DEVIS N° DE2026-00003 v2" in text
    assert main(["--db", db, "devis", "pdf", "DE1999-1", "--out", str(pdf)]) == 2
    assert "Devis « DE1999-1 » introuvable" in capsys.readouterr().err
