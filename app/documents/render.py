"""Render, validate and archive the Factur-X PDFs of many documents.

Runs outside any numbering transaction: the documents are read, the read transaction is
released, the PDFs are rendered and validated in a process pool (ReportLab and Saxon are
CPU-bound), then the new PDFs are archived in one short write. Already archived documents
are served from the archive, never re-rendered.

The pool (one spawned worker per core) is started once per process and kept: each worker
warms up once (fonts, XSD, both schematrons compiled: ≈ 1 s) and then renders chunks of
documents handed to it while the main process is still reading the next ones. A second
batch in the same process (the GUI, a mailing after an export) finds the workers warm.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.archive import archive_invoice_pdf, read_archived
from app.documents.build import build_document
from app.errors import PropreoError, ValidationError
from app.progress import NO_PROGRESS, Progress
from models.documents import ArchivedDocument
from models.invoices import Invoice, InvoiceStatus
from reports.facturx import check_chunk, render_chunk, warm_up
from reports.invoice_model import InvoiceDocument

# Below this many documents a batch is rendered in-process when no pool is running yet:
# starting the workers (interpreter, ReportLab, Saxon compilation) costs about a second.
POOL_THRESHOLD = 40
CHUNK = 16  # documents per task sent to a worker (fewer round trips, steady progress)

# A warm worker holds ≈ 290 MB (Saxon and its compiled schematrons): the workers are kept
# between batches (a mailing after an export finds them warm) but stopped after this many
# seconds without a batch, so that the desktop application gives the memory back.
IDLE_SECONDS = 300.0

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.RLock()
_pool_users = 0
_idle_timer: threading.Timer | None = None


@dataclass
class Rendered:
    """One document of a batch. Its PDF is the archived file, read when asked for: a batch
    of 4,000 documents does not hold 200 MB of PDFs in memory."""

    invoice_id: int
    number: str
    client_id: int
    error: str = ""
    from_archive: bool = False
    archive_file: Path | None = None
    sha256: str = ""

    @property
    def pdf(self) -> bytes | None:
        if self.archive_file is None:
            return None
        data = self.archive_file.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            from app.errors import DocumentInvalid

            raise DocumentInvalid(
                "Le PDF archivé de {number} a été modifié : son empreinte SHA-256 ne "
                "correspond plus.",
                number=self.number,
            )
        return data

    @property
    def ok(self) -> bool:
        return self.archive_file is not None


@dataclass
class BatchResult:
    documents: list[Rendered] = field(default_factory=list)

    @property
    def failures(self) -> list[Rendered]:
        return [d for d in self.documents if not d.ok]

    @property
    def pdfs(self) -> list[bytes]:
        return [pdf for d in self.documents if d.ok and (pdf := d.pdf) is not None]


def save_batch(result: BatchResult, folder: Path, progress: Progress = NO_PROGRESS) -> list[Path]:
    """Write the batch's PDFs into ``folder`` (``<numéro>.pdf``) all or none: a full disk
    or a folder that cannot be written removes those already written and raises
    :class:`~app.errors.StorageError` (one French sentence); so does a cancellation
    (``progress``'s token: :class:`~app.errors.OperationCancelled`)."""
    from app.storage import FileBatch

    batch = FileBatch()
    pdfs = [doc for doc in result.documents if doc.pdf is not None]
    try:
        for index, doc in enumerate(pdfs):
            progress.step(index, len(pdfs), "Écriture des PDF")
            batch.write(Path(folder) / f"{doc.number}.pdf", doc.pdf or b"")
    except BaseException:
        batch.discard()
        raise
    return batch.paths


def export_month(
    session: Session, period: str, folder: Path, progress: Progress = NO_PROGRESS
) -> BatchResult:
    """« Exporter Factur-X » of a month, for the window and ``documents export``: every
    issued document of ``period`` rendered (archived at its first rendering), then
    written into ``folder`` all or none. Cancelled through ``progress`` before the end:
    nothing is left in ``folder`` (the archive keeps what it already sealed, as any
    rendering does). ``session``: a read session."""
    result = render_batch(session, issued_in_period(session, period), progress)
    save_batch(result, folder, progress)
    return result


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """``2026-10`` → (2026-10-01, 2026-10-31)."""
    from app.billing.plan import parse_period

    try:
        return parse_period(period)
    except ValueError:
        raise ValidationError(
            "Période",
            "La période « {value} » doit être au format AAAA-MM, année de 1900 à 2099.",
            value=period,
        ) from None


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
    """The validated Factur-X PDF of one document (in this process)."""
    from reports.facturx import render_facturx

    return render_facturx(doc)


def validate_many(docs: list[InvoiceDocument]) -> list[list[tuple[str, str, str]]]:
    """Fatal findings (rule, field, text) of each document against its rule sets."""
    return validate_stream(iter(docs), len(docs))


def validate_stream(
    docs: Iterator[InvoiceDocument], total: int
) -> list[list[tuple[str, str, str]]]:
    """Fatal findings of each document, in order: on the pool (chunks sent while the next
    documents are still being built by the caller) when there are many or it is already
    running, here otherwise."""
    if total < 2 or (_pool is None and total < POOL_THRESHOLD):
        return check_chunk(list(docs))
    executor = _enter_pool()
    try:
        size = check_chunk_size(total)
        futures = []
        chunk: list[InvoiceDocument] = []
        for doc in docs:
            chunk.append(doc)
            if len(chunk) >= size:
                futures.append(executor.submit(check_chunk, chunk))
                chunk = []
        if chunk:
            futures.append(executor.submit(check_chunk, chunk))
        return [findings for future in futures for findings in future.result()]
    finally:
        _leave_pool()


# A worker checks its chunk stage by stage in groups of this size (reports.validation.
# STAGE_GROUP): larger chunks save nothing more, and the last one keeps a single core busy
# alone at the end of the run (256 documents ≈ 1 s of wall time, 64 ≈ 0.3 s).
CHECK_CHUNK_MAX = 64


def check_chunk_size(total: int) -> int:
    """Documents per task of :func:`validate_stream`: four tasks per worker at least."""
    return max(CHUNK, min(CHECK_CHUNK_MAX, total // (4 * worker_count()) or 1))


def start_pool() -> None:
    """Start the workers now, so that they warm up (interpreter, fonts, XSD, schematrons
    compiled: ≈ 2 s of CPU each) while the caller makes the documents they will check —
    a month-end run creating its drafts. Unused, they stop after ``IDLE_SECONDS``."""
    executor = _enter_pool()
    try:
        for _ in range(worker_count()):  # a worker is launched for each task, then warms up
            executor.submit(int)
    finally:
        _leave_pool()


def worker_count() -> int:
    return max(1, os.cpu_count() or 1)


def pool() -> ProcessPoolExecutor:
    """The process's rendering pool (started on first use, one worker per core)."""
    global _pool
    with _pool_lock:
        _cancel_idle_timer()
        if _pool is None:
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(
                max_workers=worker_count(), mp_context=context, initializer=warm_up
            )
            atexit.register(shutdown_pool)
        return _pool


def shutdown_pool() -> None:
    """Stop the workers (at exit, when idle, or to give their memory back)."""
    global _pool
    with _pool_lock:
        _cancel_idle_timer()
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None


def _cancel_idle_timer() -> None:
    global _idle_timer
    if _idle_timer is not None:
        _idle_timer.cancel()
        _idle_timer = None


def _shutdown_if_idle() -> None:
    with _pool_lock:
        if _pool_users == 0:
            shutdown_pool()


def _enter_pool() -> ProcessPoolExecutor:
    global _pool_users
    with _pool_lock:
        executor = pool()
        _pool_users += 1
        return executor


def _leave_pool() -> None:
    global _pool_users, _idle_timer
    with _pool_lock:
        _pool_users -= 1
        if _pool_users == 0 and _pool is not None:
            _cancel_idle_timer()
            _idle_timer = threading.Timer(IDLE_SECONDS, _shutdown_if_idle)
            _idle_timer.daemon = True
            _idle_timer.start()


class _Renderer:
    """Documents in, PDFs (or refusals) out: in-process, or chunked over the pool."""

    def __init__(self, use_pool: bool, progress: Progress, total: int) -> None:
        self.executor = _enter_pool() if use_pool else None
        self.progress = progress
        self.total = total
        self.pending: list[tuple[int, InvoiceDocument]] = []
        self.futures: dict[Future[list[bytes | str]], list[int]] = {}
        self.results: dict[int, bytes | str] = {}  # rendered in-process
        self.done = 0

    def add(self, invoice_id: int, doc: InvoiceDocument) -> None:
        if self.executor is None:
            # reading and rendering go together: each document is half read, half drawn
            done = 2 * len(self.results)
            self.progress.step(done, 2 * self.total, f"Génération de {doc.number}")
            try:
                self.results[invoice_id] = render_one(doc)
            except PropreoError as exc:
                self.results[invoice_id] = str(exc)
            return
        self.pending.append((invoice_id, doc))
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.executor is None or not self.pending:
            return
        ids = [i for i, _doc in self.pending]
        future = self.executor.submit(render_chunk, [doc for _i, doc in self.pending])
        self.futures[future] = ids
        self.pending = []

    def completed(self) -> Iterator[list[tuple[int, bytes | str]]]:
        """Rendered documents, one finished chunk at a time (its bytes then released)."""
        if self.executor is None:
            if self.results:
                yield list(self.results.items())
            return
        self.flush()
        try:
            for future in as_completed(self.futures):
                ids = self.futures.pop(future)
                outcomes = future.result()
                self.done += len(ids)
                done = self.total + self.done
                self.progress.step(done, 2 * self.total, "Génération des PDF Factur-X")
                yield list(zip(ids, outcomes, strict=True))
        except BaseException:
            for future in self.futures:
                future.cancel()
            raise


def render_batch(
    session: Session, invoice_ids: list[int], progress: Progress = NO_PROGRESS
) -> BatchResult:
    """Factur-X PDFs of the given issued documents, archived at first rendering.

    ``session`` must be a read session: its transaction is released once every document
    is read (the pool renders the first ones meanwhile) and the archive is written in a
    separate short unit of work.
    """
    archived = _archived_rows(session, invoice_ids)
    to_render = len(invoice_ids) - len(archived)
    use_pool = to_render > 1 and (_pool is not None or to_render >= POOL_THRESHOLD)
    renderer = _Renderer(use_pool, progress, len(invoice_ids))
    try:
        return _render(session, invoice_ids, progress, renderer, archived)
    finally:
        if renderer.executor is not None:
            _leave_pool()  # the workers stay warm for IDLE_SECONDS


def _render(
    session: Session,
    invoice_ids: list[int],
    progress: Progress,
    renderer: _Renderer,
    archived: dict[int, ArchivedDocument],
) -> BatchResult:
    database = session.info["database"]
    total = len(invoice_ids)
    use_pool = renderer.executor is not None
    result = BatchResult()
    by_id: dict[int, Rendered] = {}
    for index, invoice_id in enumerate(invoice_ids):
        if use_pool and index % CHUNK == 0:
            progress.step(index, total * 2, "Lecture des documents")
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            continue
        item = Rendered(invoice_id, invoice.number or "", invoice.client_id)
        by_id[invoice_id] = item
        result.documents.append(item)
        row = archived.get(invoice_id)
        try:
            if row is not None:
                read_archived(session, row)  # present and intact, or refused here
                item.from_archive, item.sha256 = True, row.sha256
                item.archive_file = database.files_dir / row.path
            else:
                renderer.add(invoice_id, build_document(session, invoice_id))
        except PropreoError as exc:
            item.error = str(exc)
    session.rollback()  # release the read transaction before waiting for the PDFs
    root = database.files_dir
    for chunk in renderer.completed():
        fresh = []
        for invoice_id, outcome in chunk:
            if isinstance(outcome, str):
                by_id[invoice_id].error = outcome
            else:
                fresh.append((invoice_id, outcome))
        if not fresh:
            continue
        with database.write() as write:  # one short write per chunk, while others render
            for invoice_id, pdf in fresh:
                row = archive_invoice_pdf(write, invoice_id, pdf)  # first archive wins
                by_id[invoice_id].archive_file = root / row.path
                by_id[invoice_id].sha256 = row.sha256
    progress.step(total * 2, total * 2, "Terminé")
    return result


def _archived_rows(session: Session, invoice_ids: list[int]) -> dict[int, ArchivedDocument]:
    """The archive rows of these documents, in a few queries instead of one per document."""
    rows: dict[int, ArchivedDocument] = {}
    for start in range(0, len(invoice_ids), 900):  # SQLite: at most 999 parameters
        chunk = invoice_ids[start : start + 900]
        for row in session.scalars(
            select(ArchivedDocument).where(ArchivedDocument.invoice_id.in_(chunk))
        ):
            if row.invoice_id is not None:  # selected by invoice id
                rows.setdefault(row.invoice_id, row)
    return rows


def invoice_pdf(session: Session, invoice_id: int) -> bytes:
    """The archived Factur-X PDF of one document (rendered and archived on first use)."""
    result = render_batch(session, [invoice_id])
    item = result.documents[0] if result.documents else None
    if item is None or item.pdf is None:
        from app.errors import DocumentInvalid

        raise DocumentInvalid("{error}", error=item.error if item else "Document introuvable.")
    return item.pdf
