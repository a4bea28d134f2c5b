"""One PDF from many (postal batch of a run), with pypdf."""

from __future__ import annotations

import io
from collections.abc import Iterable


def merge_pdfs(documents: Iterable[bytes], *, blank_after_odd: bool = False) -> bytes:
    """Concatenate PDFs in order. ``blank_after_odd`` adds a blank page after a document with
    an odd page count, so that every document starts on a new sheet when printed duplex."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    count = 0
    for data in documents:
        reader = PdfReader(io.BytesIO(data))
        for page in reader.pages:
            writer.add_page(page)
        count += 1
        if blank_after_odd and len(reader.pages) % 2 == 1:
            box = reader.pages[-1].mediabox
            writer.add_blank_page(width=box.width, height=box.height)
    if count == 0:
        raise ValueError("no document to merge")
    writer.add_metadata({"/Title": "Lot d'impression", "/Producer": "Propreo"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
