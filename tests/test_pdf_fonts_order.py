"""Every PDF in DejaVu whatever was imported first (PDF/A forbids the unembedded standard
fonts). Seen: ``pytest tests/test_ui_payments.py tests/test_quotes.py`` failed — the quote
PDF held Helvetica — because a remittance slip had imported ReportLab's tables before the
fonts were registered (lazily, at the first rendering), and a table cell without a font of
its own then kept ReportLab's default for the rest of the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import io
from reportlab.platypus import SimpleDocTemplate, Table  # before the fonts, as a slip does
from pypdf import PdfReader
from reports.fonts import register_fonts

register_fonts()
buffer = io.BytesIO()
SimpleDocTemplate(buffer).build([Table([["Cellule sans police", "12,00"]])])
fonts = set()
for page in PdfReader(buffer).pages:
    for font in page["/Resources"]["/Font"].values():
        fonts.add(str(font.get_object()["/BaseFont"]))
print(sorted(fonts))
"""


def test_a_table_cell_is_dejavu_even_when_reportlab_was_imported_first() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    fonts = out.stdout.strip()
    assert "DejaVuSans" in fonts and "Helvetica" not in fonts, fonts
