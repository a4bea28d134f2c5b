from __future__ import annotations

import datetime as dt
import multiprocessing as mp

import pytest
from sqlalchemy import select

from app.db import Database, open_database
from app.errors import NumberingError, ValidationError
from app.numbering import check_continuity, format_number, next_number, validate_pattern
from models.company import IssuedNumber
from tests.pg import target_of

D = dt.date


def test_format_and_patterns() -> None:
    assert format_number("FA{YYYY}-{seq:05}", 42, D(2026, 10, 31)) == "FA2026-00042"
    assert format_number("AV{YY}{MM}-{seq:04}", 7, D(2026, 3, 1)) == "AV2603-0007"
    with pytest.raises(ValidationError, match="seq"):
        validate_pattern("FA{YYYY}", True)
    with pytest.raises(ValidationError, match="année"):
        validate_pattern("FA-{seq:05}", True)
    with pytest.raises(ValidationError, match="inconnu"):
        validate_pattern("FA{JJ}{seq}", False)


def test_numbers_are_continuous_and_chronological(db: Database) -> None:
    with db.write() as s:
        numbers = [next_number(s, "invoice", D(2026, 10, d)).text for d in (1, 1, 2, 31)]
    assert numbers == ["FA2026-00001", "FA2026-00002", "FA2026-00003", "FA2026-00004"]
    with db.write() as s, pytest.raises(NumberingError, match="antérieure"):
        next_number(s, "invoice", D(2026, 10, 30))
    # the refused attempt left nothing behind; the next valid one continues the series
    with db.write() as s:
        assert next_number(s, "invoice", D(2026, 11, 1)).text == "FA2026-00005"
        # a new year restarts a yearly series
        assert next_number(s, "invoice", D(2027, 1, 2)).text == "FA2027-00001"
        # credit notes have their own series
        assert next_number(s, "credit_note", D(2027, 1, 2)).text == "AV2027-00001"


def test_rollback_gives_the_number_back(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as s:
        next_number(s, "invoice", D(2026, 10, 1))
        raise RuntimeError("crash after numbering, before commit")
    with db.write() as s:
        assert next_number(s, "invoice", D(2026, 10, 1)).seq == 1
    with db.read() as s:
        assert all(not r.problems for r in check_continuity(s))


def test_continuity_check_names_a_gap(db: Database) -> None:
    with db.write() as s:
        for _ in range(3):
            next_number(s, "invoice", D(2026, 10, 1))
    with db.write() as s:
        s.delete(s.scalar(select(IssuedNumber).where(IssuedNumber.seq == 2)))
    with db.read() as s:
        problems = [p for r in check_continuity(s) for p in r.problems]
    assert any("manquants [2]" in p for p in problems)


def _worker(path: str, count: int, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    database = open_database(path)
    got = []
    for _ in range(count):
        with database.write() as s:
            got.append(next_number(s, "invoice", D(2026, 10, 1)).seq)
    database.dispose()
    queue.put(got)


@pytest.mark.slow
def test_two_processes_share_one_gap_free_series(db: Database) -> None:
    path = target_of(db)
    db.dispose()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(path, 200, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    all_numbers = sorted(results[0] + results[1])
    assert all_numbers == list(range(1, 401))
    check = open_database(path)
    with check.read() as s:
        assert all(not r.problems for r in check_continuity(s))
        assert s.query(IssuedNumber).count() == 400
    check.dispose()
