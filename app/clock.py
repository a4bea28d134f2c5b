"""Today's date as every date rule reads it (an invoice is never dated after today...).

The application reads the system clock. Tests and builders of example data pin it with
:func:`pinned`, so that a rule written "never after today" is checked against a known day
whatever the machine's date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_pinned: list[dt.date] = []


def today() -> dt.date:
    """The pinned day when one is pinned, else the system's local date."""
    return _pinned[-1] if _pinned else dt.date.today()


@contextmanager
def pinned(day: dt.date) -> Iterator[dt.date]:
    """Make :func:`today` return ``day`` inside the block (nests; every thread sees it)."""
    _pinned.append(day)
    try:
        yield day
    finally:
        _pinned.pop()
