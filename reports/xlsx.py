"""Spreadsheet exports with openpyxl (text cells neutralised against formula injection)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.storage import write_file
from reports.text import xml_chars

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Numbers stay numbers; text that a spreadsheet would run as a formula is quoted."""
    if value is None or isinstance(value, (bool, int, dt.date)):
        return value
    if isinstance(value, Decimal):
        return value
    text = xml_chars(str(value))
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_table(
    path: str | Path, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31] or "Export"
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(
            12, len(header) + 2
        )
    # Built in memory, then written whole or not at all (a refused write said in French;
    # a workbook saved straight to a full disk leaves a half zip behind).
    data = io.BytesIO()
    wb.save(data)
    return write_file(path, data.getvalue())
