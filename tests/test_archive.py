"""Archive: the exact PDF stored at first rendering, SHA-256 recorded, reprints identical,
tampering detected by ``check``; every issued demo-like document is a valid Factur-X."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from app.check import run_checks
from app.db import Database
from app.documents.archive import archived_pdf
from app.documents.render import issued_in_period, render_batch
from models.documents import ArchivedDocument
from reports.facturx import extract_xml
from reports.validation import validate_xml
from tests.documents_samples import issue_samples


def test_first_rendering_is_archived_and_reprints_serve_the_same_bytes(demo_db: Database) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
    with demo_db.read() as session:
        assert set(ids.values()) <= set(issued_in_period(session, "2026-10"))
        first = render_batch(session, list(ids.values()))
    assert first.failures == []
    assert not any(d.from_archive for d in first.documents)
    for doc in first.documents:
        assert [f for f in validate_xml(extract_xml(doc.pdf)) if f.fatal] == [], doc.number
    with demo_db.read() as session:
        rows = {r.invoice_id: r for r in session.scalars(select(ArchivedDocument))}
        second = render_batch(session, list(ids.values()))
        for doc in second.documents:
            assert doc.from_archive
            row = rows[doc.invoice_id]
            assert hashlib.sha256(doc.pdf).hexdigest() == row.sha256
            assert (demo_db.files_dir / row.path).read_bytes() == doc.pdf
            assert row.path.endswith(f"{row.sha256}.pdf")
        assert archived_pdf(session, ids["company"]) == first.documents[0].pdf
    assert run_checks(demo_db).ok


def test_check_detects_a_tampered_archive(demo_db: Database) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
    with demo_db.read() as session:
        render_batch(session, [ids["company"]])
        row = session.scalars(select(ArchivedDocument)).one()
        number = row.number
        path = demo_db.files_dir / row.path
    path.write_bytes(path.read_bytes().replace(b"FA2026", b"FA2027", 1))
    report = run_checks(demo_db)
    assert any(number in p and "SHA-256" in p for p in report.problems), report.problems
