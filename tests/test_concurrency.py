"""Several workstations on one file: 4 processes issuing at the same time, and the lease."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.check import run_checks
from app.db import Database, open_database
from app.lease import DEFAULT_TTL, LeaseHeld, acquire, lease_path, read_lease
from tests import billing_fixtures as bf
from tests.pg import target_of

ROOT = Path(__file__).resolve().parent.parent
# 4 × 40, started together: each invoice is three short writes plus its validation (≈ 70 ms
# of CPU), so every writer keeps meeting the others for its whole loop; the test checks they
# did take turns (numbers of the four workstations interleaved), which is what more
# invoices per process would only repeat. (4 × 500 took 4½ minutes alone; beside the other
# test worker on 2 cores SQLite's busy handler, not first-come first-served, could then
# leave one writer waiting past the 30 s patience.)
PROCESSES, PER_PROCESS = 4, 40

# Each worker saves a draft, then issues it through the issuing use case the screens and
# the CLI call (app.billing.checked_issue.issue_checked), as a workstation would: the draft
# is validated outside any write transaction, the numbering transaction only confirms its
# check (long work never runs inside the transaction that takes a number). Each one is
# ready (imports done, base open) before any starts: they all begin on the same signal.
WORKER = """
import sys, datetime as dt
from decimal import Decimal
from app.db import open_database
from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.checked_issue import issue_checked
path, client_id, article_id, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
station = sys.argv[5]
db = open_database(path)
print("prêt", flush=True)
sys.stdin.readline()
errors = 0
for i in range(count):
    try:
        with db.write() as s:
            inv = create_draft_invoice(
                s, client_id, [DraftLine("Passage", Decimal(1), Decimal(10 + i % 7), article_id)],
                issue_date=dt.date(2026, 6, 30), title=station)
        outcome = issue_checked(db, [inv.id])
        if len(outcome.numbers) != 1 or outcome.refused:
            raise RuntimeError(f"non émis : {outcome.report()}")
    except Exception as exc:
        errors += 1
        print(f"ERREUR {type(exc).__name__}: {exc}", file=sys.stderr)
print(errors)
"""


@pytest.mark.slow
def test_four_processes_issue_together_without_gap_duplicate_or_lock(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        article = bf.article(s, "PAS", "Passage", "10")
        client_id, article_id = client.id, article.id
    path = target_of(db)  # a SQLite file, or a PostgreSQL URL (advisory lock)
    db.dispose()
    env = dict(os.environ, PROPREO_USER="", PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                path,
                str(client_id),
                str(article_id),
                str(PER_PROCESS),
                f"Poste {station}",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for station in range(1, PROCESSES + 1)
    ]
    ready = [p.stdout.readline().strip() for p in procs if p.stdout]  # every one ready…
    if ready != ["prêt"] * PROCESSES:
        for p in procs:
            p.kill()
        pytest.fail(f"postes pas prêts : {[p.communicate()[1] for p in procs]}")
    for p in procs:  # …then all of them at once
        if p.stdin:
            p.stdin.write("\n")
            p.stdin.flush()
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert out.strip() == "0", err  # no error at all, "database is locked" included
        assert "locked" not in err
    with db.engine.connect() as con:
        issued = con.exec_driver_sql(
            "SELECT number, title FROM invoices WHERE status='issued' ORDER BY chain_index"
        ).all()
        numbers = [number for number, _station in issued]
        seqs = sorted(
            r[0]
            for r in con.exec_driver_sql(
                "SELECT n.seq FROM issued_numbers n JOIN number_series s ON s.id = n.series_id "
                "WHERE s.code = 'invoice'"
            )
        )
        drafts = con.exec_driver_sql("SELECT count(*) FROM invoices WHERE status='draft'").scalar()
    total = PROCESSES * PER_PROCESS
    assert seqs == list(range(1, total + 1))
    assert sorted(numbers) == [f"FA2026-{n:05d}" for n in range(1, total + 1)]
    assert len(set(numbers)) == total and drafts == 0
    # They did write at the same time: the chain is not four blocks one after the other.
    stations = [station for _number, station in issued]
    turns = sum(1 for a, b in itertools.pairwise(stations) if a != b)
    assert set(stations) == {f"Poste {n}" for n in range(1, PROCESSES + 1)}
    assert turns > PROCESSES - 1, turns
    reopened = open_database(path)
    try:
        report = run_checks(reopened)
        assert report.ok, report.problems
        assert report.documents["invoice"]["count"] == total
    finally:
        reopened.dispose()


def test_a_second_workstation_sees_who_holds_the_base(tmp_path: Path) -> None:
    base = tmp_path / "propreo.db"
    base.write_bytes(b"")
    t0 = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)
    mine = acquire(base, user="marie", now=t0)
    # Another workstation (other host) tries a minute later: refused, told who and since when.
    other = read_lease(base)
    assert other is not None and other.user == "marie"
    data = lease_path(base).read_text()
    lease_path(base).write_text(data.replace(f'"host": "{other.host}"', '"host": "POSTE-2"'))
    with pytest.raises(LeaseHeld) as held:
        acquire(base, user="paul", now=t0 + dt.timedelta(minutes=1))
    assert not held.value.stale
    text = str(held.value)
    assert text.startswith("Base utilisée par marie sur le poste POSTE-2 depuis le ")
    local = t0.astimezone()
    assert f"{local:%d/%m/%Y à %H:%M}" in text
    # A live lease is never taken over, even when asked.
    with pytest.raises(LeaseHeld):
        acquire(base, user="paul", now=t0 + dt.timedelta(minutes=1), take_over=True)
    # Once its heartbeat is older than the expiry it is stale: taken over only when asked.
    later = t0 + DEFAULT_TTL + dt.timedelta(seconds=1)
    with pytest.raises(LeaseHeld) as stale:
        acquire(base, user="paul", now=later)
    assert stale.value.stale and "reprise possible" in str(stale.value)
    paul = acquire(base, user="paul", now=later, take_over=True)
    assert read_lease(base).user == "paul"  # type: ignore[union-attr]
    # The crashed holder comes back: its heartbeat fails, its release leaves paul's lease.
    assert not mine.heartbeat()
    mine.release()
    assert read_lease(base).user == "paul"  # type: ignore[union-attr]
    assert paul.heartbeat()
    paul.release()
    assert not lease_path(base).exists()


def test_a_killed_holder_on_this_host_is_stale_at_once(tmp_path: Path) -> None:
    base = tmp_path / "propreo.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from app.lease import acquire; "
            "acquire(Path(sys.argv[1]), user='ghost'); print('ok', flush=True); "
            "sys.stdin.read()",
            str(base),
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ok"
    with pytest.raises(LeaseHeld) as held:
        acquire(base, user="me")
    assert not held.value.stale
    proc.kill()
    proc.wait(timeout=30)
    with pytest.raises(LeaseHeld) as after:
        acquire(base, user="me")
    assert after.value.stale
    acquire(base, user="me", take_over=True).release()
