"""Time to the first print preview of an invoice (« Imprimer… » of the invoice viewer).

What the click does, in order, timed as one: the use case the button runs
(``app.documents.printing.print_documents``: the document rebuilt from what was frozen at
issue, rendered to PDF/A-3 + Factur-X and archived the first time; read back from the archive
afterwards), then the preview's work (QtPdf loads the bytes and renders the first page at
screen size). « cold »: invoices never printed before (render + archive); « warm »: the same
invoices again (archive read). Wall and CPU time (the machine may be shared), the load average.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_preview.py [--db demo.db] [invoices]

Without ``--db`` the demo firm is built in a temporary folder (untimed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import save

BUDGET_S = 1.0  # a first preview must not take seconds


def first_preview(db: Any, invoice_id: int) -> tuple[float, float, int]:
    """(wall s, CPU s, pages) from the click to the first page ready on screen."""
    from PySide6.QtCore import QSize, Qt

    from app.documents import printing
    from ui.documents import PdfPrinter

    wall0, cpu0 = time.perf_counter(), time.process_time()
    with db.read() as session:
        pdf = printing.print_documents(session, [invoice_id])
    printer = PdfPrinter(pdf)
    points = printer.document.pagePointSize(0).toSize()  # as PdfPrinter.paint scales it
    size = points.scaled(QSize(800, 1131), Qt.AspectRatioMode.KeepAspectRatio)
    image = printer.document.render(0, size)
    assert not image.isNull()
    return time.perf_counter() - wall0, time.process_time() - cpu0, printer.page_count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="a demo database (copied)")
    parser.add_argument("invoices", nargs="?", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from app import startup
    from app.db import open_database
    from app.setup import prepare_database
    from models.invoices import Invoice, InvoiceStatus

    startup.install()  # the invoice guard and the client account's sources

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "demo.db"
        if args.db:
            shutil.copyfile(args.db, target)
        else:
            prepare_database(target, demo=True).db.dispose()
        db = open_database(target)
        with db.read() as session:
            ids = list(
                session.scalars(
                    select(Invoice.id)
                    .where(Invoice.status == InvoiceStatus.ISSUED)
                    .order_by(Invoice.id.desc())
                    .limit(args.invoices)
                )
            )
        cold = [first_preview(db, i) for i in ids]
        warm = [first_preview(db, i) for i in ids]
        db.dispose()
    del app

    def figures(rows: list[tuple[float, float, int]]) -> dict[str, Any]:
        walls, cpus = [r[0] for r in rows], [r[1] for r in rows]
        return {
            "median_wall_s": round(statistics.median(walls), 3),
            "max_wall_s": round(max(walls), 3),
            "median_cpu_s": round(statistics.median(cpus), 3),
            "max_cpu_s": round(max(cpus), 3),
            # the very first of the session also imports the PDF stack and loads the fonts
            "first_wall_s": round(walls[0], 3),
            "first_cpu_s": round(cpus[0], 3),
            "pages": sorted({r[2] for r in rows}),
        }

    result = {
        "invoices": len(ids),
        "cold_first_print": figures(cold),
        "warm_archived": figures(warm),
        "budget_s": BUDGET_S,
        "load_average": os.getloadavg(),
    }
    for name in ("cold_first_print", "warm_archived"):
        f = result[name]
        print(
            f"{name}: median {f['median_wall_s']} s wall ({f['median_cpu_s']} s CPU), "
            f"max {f['max_wall_s']} s ({f['max_cpu_s']} s CPU), first {f['first_wall_s']} s "
            f"({f['first_cpu_s']} s CPU), pages {f['pages']}"
        )
    print(f"load average: {result['load_average']}")
    save("bench_preview", result)
    # The budget is on CPU: the wall time of a shared machine counts the others' work too.
    return 0 if result["cold_first_print"]["max_cpu_s"] < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
