"""Factur-X documents per second: render, XML, validate, embed — and a batch on all cores.

Documents come from September 2026 of the 1,000-contract reference firm (invoices issued
by ``propreo billing run``; the database of ``bench_run.py`` is reused when present). Each
stage is timed alone over the same documents, then compared with the baseline: a bare
ReportLab page carrying the same content (seller, buyer, lines, totals) in the same
DejaVu font, without tables, paragraphs, PDF/A, XML or validation. Finally the whole
Factur-X chain runs as a batch in a process pool of one worker per core.

    python benchmarks/bench_documents.py [documents]
"""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import CACHE, PYTHON, reference_db, save, timed_child, working_copy

CONTRACTS = 1000


def _documents(count: int) -> list[Any]:
    from sqlalchemy import select

    from app.db import open_database
    from app.documents.build import build_document
    from models.invoices import Invoice, InvoiceStatus

    db_path = CACHE / "work" / f"run-{CONTRACTS}" / "propreo.db"
    if not db_path.exists():
        ref, _ = reference_db(CONTRACTS)
        db_path = working_copy(ref, f"run-{CONTRACTS}")
        timed_child(
            [
                PYTHON,
                "-m",
                "app",
                "--db",
                str(db_path),
                "billing",
                "run",
                "--period",
                "2026-09",
                "--validate",
            ]
        )
    db = open_database(str(db_path))
    with db.read() as session:
        ids = list(
            session.scalars(
                select(Invoice.id)
                .where(Invoice.status == InvoiceStatus.ISSUED)
                .order_by(Invoice.id.desc())
                .limit(count)
            )
        )
        docs = [build_document(session, i) for i in ids]
    db.dispose()
    return docs


def bare_page(doc: Any) -> bytes:
    """The baseline: the same text drawn on one canvas page, DejaVu embedded."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from reports.fonts import register_fonts

    font = register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setFont(font, 9)
    y = 800.0
    texts = [
        doc.seller.name,
        *doc.seller.block_lines(),
        doc.buyer.name,
        *doc.buyer.block_lines(),
        f"{doc.type_label} {doc.number} du {doc.issue_date:%d/%m/%Y}",
    ]
    texts += [f"{ln.description}  {ln.quantity}  {ln.unit_price}  {ln.total}" for ln in doc.lines]
    texts += [f"Total HT {doc.total_ht}  TVA {doc.total_vat}  TTC {doc.total_ttc}"]
    for text in texts:
        c.drawString(40, y, str(text))
        y -= 14
    c.showPage()
    c.save()
    return buf.getvalue()


def _rate(fn: Any, items: list[Any]) -> tuple[float, list[Any]]:
    t0 = time.perf_counter()
    out = [fn(x) for x in items]
    return len(items) / (time.perf_counter() - t0), out


def _full(doc: Any) -> int:
    from reports.facturx import render_facturx

    return len(render_facturx(doc))


def main(count: int) -> None:
    from reports.facturx import build_cii_xml, embed_facturx
    from reports.invoice_pdf import render_invoice_pdf
    from reports.validation import ensure_valid

    docs = _documents(count)
    bare_page(docs[0]), render_invoice_pdf(docs[0]), ensure_valid(build_cii_xml(docs[0]))  # warm-up
    stages: dict[str, float] = {}
    stages["baseline_bare_reportlab"], _ = _rate(bare_page, docs)
    stages["render_pdf"], pdfs = _rate(render_invoice_pdf, docs)
    stages["build_xml"], xmls = _rate(build_cii_xml, docs)
    stages["validate_xml"], _ = _rate(ensure_valid, xmls)
    t0 = time.perf_counter()
    for doc, pdf, xml in zip(docs, pdfs, xmls, strict=True):
        embed_facturx(pdf, xml, doc)
    stages["embed_pdfa3"] = len(docs) / (time.perf_counter() - t0)
    stages["chain_one_core"], _ = _rate(_full, docs)
    workers = os.cpu_count() or 1
    batch = docs * max(1, (workers * 40) // len(docs))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_full, docs[:workers]))  # start the workers, load fonts and schemas once
        t0 = time.perf_counter()
        list(pool.map(_full, batch, chunksize=4))
        stages["batch_all_cores"] = len(batch) / (time.perf_counter() - t0)
    per_core = stages["batch_all_cores"] / workers
    for name, rate in stages.items():
        print(f"{name:>24}: {rate:8.1f} documents/s")
    print(f"{'per core in the batch':>24}: {per_core:8.1f} documents/s (target ≥ 50)")
    print(
        f"chain vs bare page: {stages['baseline_bare_reportlab'] / stages['chain_one_core']:.1f}× slower"
    )
    save(
        "bench_documents",
        {
            "documents": len(docs),
            "batch_documents": len(batch),
            "workers": workers,
            "per_second": {k: round(v, 1) for k, v in stages.items()},
            "batch_per_core": round(per_core, 1),
            "ratio_chain_to_baseline": round(
                stages["baseline_bare_reportlab"] / stages["chain_one_core"], 1
            ),
            "target_per_core": 50,
        },
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
