"""Whether documents are validated while a write transaction is open (issue N: long work
never inside the transaction that takes a number)."""

from __future__ import annotations

import contextlib

import pytest

from app.db import Database
from app.documents import render


def validations_while_writing(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per validation run from now on: whether a write transaction was open."""
    writing: list[bool] = []
    seen: list[bool] = []
    real_write, real_validate = Database.write, render.validate_stream

    def tracked_write(self: Database):  # type: ignore[no-untyped-def]
        with real_write(self) as session:
            writing.append(True)
            try:
                yield session
            finally:
                writing.pop()

    def tracked_validate(docs, total):  # type: ignore[no-untyped-def]
        seen.append(bool(writing))
        return real_validate(docs, total)

    monkeypatch.setattr(Database, "write", contextlib.contextmanager(tracked_write))
    monkeypatch.setattr(render, "validate_stream", tracked_validate)
    return seen
