"""Free text made safe for every document Propreo writes (PDF, Factur-X XML, XMP, DOCX, XLSX).

Text is validated when it is typed (:mod:`app.free_text`), but documents are also printed
from what older versions stored, and XML refuses most C0 control characters (« All strings
must be XML compatible »). So every writer passes free text through :func:`printable`
(controls become spaces, line ends become « \\n ») and marks it up with :func:`escape`.
Very long words are cut by the width of the column in :mod:`reports.invoice_layout`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

# Not allowed in XML 1.0 (C0 but tab/newline, surrogates, non-characters) and C1 controls.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str | None) -> str:
    """``text`` with line ends normalised to « \\n » and other control characters as spaces."""
    if not text:
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML.sub(" ", text)


def xml_chars(text: str) -> str:
    """``text`` with the characters XML cannot hold as spaces (line ends kept as typed)."""
    return _NOT_XML.sub(" ", text)


def escape(text: str | None) -> str:
    """:func:`printable` text escaped for ReportLab's paragraph markup (or any XML)."""
    return _xml_escape(printable(text))


def printable_all(value: Any) -> Any:
    """A copy of a document model (dataclasses, lists, tuples) with every string made
    :func:`printable`; for writers that set text in many places (the Word quote)."""
    if isinstance(value, str):
        return printable(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: printable_all(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    if type(value) in (list, tuple):
        return type(value)(printable_all(v) for v in value)
    return value
