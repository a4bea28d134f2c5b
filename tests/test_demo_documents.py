"""Done-when of issue D on the demo firm: every issued document of 2026-10 and 2026-11
passes Factur-X XSD + EN 16931 + BR-FR, embeds all its fonts and prints its mentions."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.db import Database
from app.documents import render
from app.documents.render import issued_in_period, render_batch
from models.contracts import Contract
from reports.facturx import extract_xml
from reports.validation import validate_xml


@pytest.mark.slow
def test_demo_october_november_documents_are_valid_facturx(
    demo_db: Database, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.billing.runs import issue_period, run_month

    with demo_db.read() as session:
        if not session.scalar(select(func.count()).select_from(Contract)):
            pytest.skip("la démonstration ne contient pas encore de contrats")
    for period in ("2026-09", "2026-10", "2026-11"):
        with demo_db.write() as session:
            run_month(session, period)
        with demo_db.write() as session:
            issue_period(session, period)
    monkeypatch.setattr(render, "POOL_THRESHOLD", 10)  # exercise the process pool too
    for period in ("2026-10", "2026-11"):
        with demo_db.read() as session:
            ids = issued_in_period(session, period)
            result = render_batch(session, ids)
        assert ids and result.failures == [], [f.error for f in result.failures[:3]]
        for doc in result.documents:
            assert [f for f in validate_xml(extract_xml(doc.pdf)) if f.fatal] == [], doc.number
            text = PdfReader(io.BytesIO(doc.pdf)).pages[0].extract_text()
            for mention in ("Prestation de services", "Échéance", "SIRET", "Pas d'escompte"):
                assert mention in text, (doc.number, mention)
            if shutil.which("pdffonts"):
                path = tmp_path / f"{doc.number}.pdf"
                path.write_bytes(doc.pdf)
                fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True)
                rows = fonts.stdout.splitlines()[2:]
                assert rows and all(r.split()[-5] == "yes" for r in rows), fonts.stdout
