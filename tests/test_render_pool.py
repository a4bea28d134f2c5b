"""The rendering pool of app.documents.render: one warm worker per core kept between
batches, documents sent in chunks and archived chunk by chunk, refusals reported by
document, PDFs read back from the archive (and refused if the file was altered)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.db import Database
from app.documents import render
from app.errors import DocumentInvalid
from models.documents import ArchivedDocument
from reports.facturx import extract_xml, render_chunk
from reports.validation import validate_xml
from tests import documents_samples as samples
from tests.documents_samples import issue_samples


@pytest.fixture
def pool_for_every_batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(render, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(render, "CHUNK", 2)  # several chunks, several archive writes
    yield
    render.shutdown_pool()


def test_pool_uses_every_core_and_stays_warm(demo_db: Database, pool_for_every_batch: None) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
    with demo_db.read() as session:
        result = render.render_batch(session, list(ids.values()))
    assert result.failures == []
    executor = render._pool
    assert executor is not None
    assert executor._max_workers == render.worker_count() == max(1, __import__("os").cpu_count())
    for doc in result.documents:
        assert not doc.from_archive
        assert [f for f in validate_xml(extract_xml(doc.pdf)) if f.fatal] == [], doc.number
    with demo_db.read() as session:
        archived = session.scalars(select(ArchivedDocument)).all()
    assert {r.invoice_id for r in archived} == set(ids.values())
    # A second batch reuses the same warm pool (and serves the archive).
    with demo_db.read() as session:
        again = render.render_batch(session, list(ids.values()))
    assert render._pool is executor
    assert all(d.from_archive for d in again.documents)
    assert [d.pdf for d in again.documents] == [d.pdf for d in result.documents]


def test_altered_archive_is_refused_when_read(
    demo_db: Database, pool_for_every_batch: None
) -> None:
    with demo_db.write() as session:
        ids = issue_samples(session)
    with demo_db.read() as session:
        result = render.render_batch(session, [ids["company"], ids["credit_note"]])
    doc = result.documents[0]
    assert doc.archive_file is not None
    doc.archive_file.write_bytes(doc.archive_file.read_bytes() + b"%")
    with pytest.raises(DocumentInvalid, match="SHA-256"):
        _ = doc.pdf
    with demo_db.read() as session:
        again = render.render_batch(session, [ids["company"]])
    assert again.documents[0].error and "SHA-256" in again.documents[0].error
    assert again.failures == again.documents


def test_worker_chunk_reports_each_refusal_in_french() -> None:
    # A buyer without e-mail no longer makes a refusal (rule sets by buyer category since
    # 8c5285a); a seller SIREN that is not 9 digits still does.
    seller = dataclasses.replace(samples.SELLER, siren="81234")
    broken = dataclasses.replace(samples.invoice(), seller=seller)
    good, refused = render_chunk([samples.invoice(), broken])
    assert isinstance(good, bytes) and good.startswith(b"%PDF")
    assert isinstance(refused, str) and "n'est pas une Factur-X EN 16931 valide" in refused
    assert "SIRET du vendeur" in refused and "SIREN du vendeur" in refused


def test_idle_workers_are_stopped_and_a_new_batch_starts_them_again(
    demo_db: Database, pool_for_every_batch: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setattr(render, "IDLE_SECONDS", 0.2)
    with demo_db.write() as session:
        ids = issue_samples(session)
    with demo_db.read() as session:
        first = render.render_batch(session, [ids["company"], ids["credit_note"]])
    assert first.failures == [] and render._pool is not None
    deadline = time.monotonic() + 20
    while render._pool is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert render._pool is None  # memory given back after the idle delay
    with demo_db.read() as session:
        again = render.render_batch(session, [ids["multi_rate"], ids["reverse_charge"]])
    assert again.failures == [] and render._pool is not None
    assert all(d.pdf and d.pdf.startswith(b"%PDF") for d in again.documents)


def test_workers_started_early_warm_up_and_stop_if_unused(
    pool_for_every_batch: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A month-end run starts the workers before making its drafts (they compile the
    schematrons meanwhile); if no batch comes, they stop after the idle delay."""
    import time

    monkeypatch.setattr(render, "IDLE_SECONDS", 1.0)
    render.start_pool()
    executor = render._pool
    assert executor is not None
    assert len(executor._processes) == render.worker_count()  # launched, not on first batch
    deadline = time.monotonic() + 60
    while render._pool is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert render._pool is None
