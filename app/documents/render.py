"""Render, validate and archive the Factur-X PDFs of many documents.

Runs outside any numbering transaction: the documents are read, the read transaction is
released, the PDFs are rendered and validated in a process pool (ReportLab and Saxon are
CPU-bound), then the new PDFs are archived in one short write. Already archived documents
are served from the archive, never re-rendered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.archive import archive_invoice_pdf, find_archive, read_archived
from app.documents.build import build_document
from app.errors import OperationCancelled, PropreoError, ValidationError
from app.progress import NO_PROGRESS, Progress
from models.invoices import Invoice, InvoiceStatus
from reports.invoice_model import InvoiceDocument

# Starting a worker costs an interpreter, ReportLab and the Saxon compilation (seconds):
# measured ~0.3 s per document in-process, so the pool only pays off for large runs.
POOL_THRESHOLD = 40


@dataclass
class Rendered:
    invoice_id: int
    number: str
    client_id: int
    pdf: bytes | None = None
    error: str = ""
    from_archive: bool = False

    @property
    def ok(self) -> bool:
        return self.pdf is not None


@dataclass
class BatchResult:
    documents: list[Rendered] = field(default_factory=list)

    @property
    def failures(self) -> list[Rendered]:
        return [d for d in self.documents if not d.ok]

    @property
    def pdfs(self) -> list[bytes]:
        return [d.pdf for d in self.documents if d.pdf is not None]


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """``2026-10`` → (2026-10-01, 2026-10-31)."""
    try:
        year, month = (int(p) for p in period.split("-"))
        start = dt.date(year, month, 1)
    except ValueError:
        raise ValidationError(
            "Période", "La période « {value} » doit être au format AAAA-MM.", value=period
        ) from None
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def issued_in_period(session: Session, period: str) -> list[int]:
    """Issued invoices, credit notes and down-payment invoices of the month, by number."""
    start, end = month_bounds(period)
    return list(
        session.scalars(
            select(Invoice.id)
            .where(
                Invoice.status == InvoiceStatus.ISSUED,
                Invoice.issue_date >= start,
                Invoice.issue_date <= end,
            )
            .order_by(Invoice.issue_date, Invoice.number)
        )
    )


def render_one(doc: InvoiceDocument) -> bytes:
    """Worker entry point (must be importable for the process pool)."""
    from reports.facturx import render_facturx

    return render_facturx(doc)


def _render_all(
    jobs: dict[int, InvoiceDocument], progress: Progress, offset: int, total: int
) -> dict[int, bytes | PropreoError]:
    results: dict[int, bytes | PropreoError] = {}
    if len(jobs) < POOL_THRESHOLD:
        for done, (invoice_id, doc) in enumerate(jobs.items(), start=1):
            progress.step(offset + done - 1, total, f"Génération de {doc.number}")
            try:
                results[invoice_id] = render_one(doc)
            except PropreoError as exc:
                results[invoice_id] = exc
        return results
    workers = max(1, min(len(jobs) // 20, (os.cpu_count() or 2) - 1))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(render_one, doc): invoice_id for invoice_id, doc in jobs.items()}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                invoice_id = futures[future]
                try:
                    results[invoice_id] = future.result()
                except PropreoError as exc:
                    results[invoice_id] = exc
                progress.step(offset + done, total, f"Génération de {jobs[invoice_id].number}")
        except OperationCancelled:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results


def render_batch(
    session: Session, invoice_ids: list[int], progress: Progress = NO_PROGRESS
) -> BatchResult:
    """Factur-X PDFs of the given issued documents, archived at first rendering.

    ``session`` must be a read session: its transaction is released before rendering and
    the archive is written in a separate short unit of work.
    """
    database = session.info["database"]
    total = len(invoice_ids)
    result = BatchResult()
    jobs: dict[int, InvoiceDocument] = {}
    by_id: dict[int, Rendered] = {}
    for index, invoice_id in enumerate(invoice_ids):
        progress.step(index, total * 2, "Lecture des documents")
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            continue
        item = Rendered(invoice_id, invoice.number or "", invoice.client_id)
        by_id[invoice_id] = item
        result.documents.append(item)
        row = find_archive(session, invoice_id)
        try:
            if row is not None:
                item.pdf, item.from_archive = read_archived(session, row), True
            else:
                jobs[invoice_id] = build_document(session, invoice_id)
        except PropreoError as exc:
            item.error = str(exc)
    session.rollback()  # release the read transaction before the long work
    rendered = _render_all(jobs, progress, total, total * 2) if jobs else {}
    for invoice_id, outcome in rendered.items():
        if isinstance(outcome, PropreoError):
            by_id[invoice_id].error = str(outcome)
    fresh = {i: pdf for i, pdf in rendered.items() if isinstance(pdf, bytes)}
    if fresh:
        with database.write() as write:
            for invoice_id, pdf in fresh.items():
                row = archive_invoice_pdf(write, invoice_id, pdf)
                if row.sha256 != hashlib.sha256(pdf).hexdigest():  # archived meanwhile
                    pdf = read_archived(write, row)
                by_id[invoice_id].pdf = pdf
    progress.step(total * 2, total * 2, "Terminé")
    return result


def invoice_pdf(session: Session, invoice_id: int) -> bytes:
    """The archived Factur-X PDF of one document (rendered and archived on first use)."""
    result = render_batch(session, [invoice_id])
    item = result.documents[0] if result.documents else None
    if item is None or item.pdf is None:
        from app.errors import DocumentInvalid

        raise DocumentInvalid("{error}", error=item.error if item else "Document introuvable.")
    return item.pdf
