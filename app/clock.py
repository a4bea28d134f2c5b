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
_frozen_now: list[dt.datetime] = []


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


def now() -> dt.datetime:
    """The frozen instant when one is frozen, else the system's time (UTC, aware)."""
    return _frozen_now[-1] if _frozen_now else dt.datetime.now(dt.UTC)


@contextmanager
def frozen_now(instant: dt.datetime) -> Iterator[dt.datetime]:
    """Make :func:`now` return ``instant`` inside the block.

    For builders of example data only (the demo firm): a document's issue time is sealed in
    its hash, so two builds of the same firm give the same hashes only with one instant.
    """
    _frozen_now.append(instant)
    try:
        yield instant
    finally:
        _frozen_now.pop()
