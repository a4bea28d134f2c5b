"""Expensive template bases built once per test run, not once per pytest-xdist worker.

Each xdist worker is a process of its own with its own session fixtures: the demo firm
and the reference firm used to be built by every worker that needed them (CI runs two).
The first worker that needs a template builds it in a folder of the run that the workers
share (the parent of their own temporary folders), holding a file lock; a worker needing
it meanwhile waits for it. Each worker then works on its own copy, as before: no test ever
opens the shared one.

Without ``fcntl`` (Windows) each worker builds its own, as it did before."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

DONE = ".built"
FAILED = ".failed"


def run_folder(factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole run: under xdist, the parent of the workers'
    own folders (``pytest-N/popen-gw0``); otherwise this process's own."""
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") and _can_lock():
        return base.parent
    return base


def run_id(folder: Path) -> str:
    """A short name of the run, the same in every worker (PostgreSQL template names)."""
    return hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:8]


def _can_lock() -> bool:
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock between the processes of the run (``fcntl.flock``)."""
    import fcntl

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _alone() -> Iterator[None]:
    yield


@contextlib.contextmanager
def clock_stopped() -> Iterator[None]:
    """Building a template (the demo firm: half a minute, minutes on a loaded machine) or
    waiting for another worker to build it does not count in the 5 minutes pytest-timeout
    (signal method: an ITIMER_REAL alarm) gives the test that happens to need it first."""
    import signal

    if not hasattr(signal, "setitimer"):
        yield
        return
    remaining, _interval = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining)


def built_once(folder: Path, build: Callable[[Path], None]) -> Path:
    """``folder``, filled by ``build(folder)`` by the first process of the run that asks
    for it; the others wait for it. A build that failed is not tried again: the next
    callers fail at once with its error, not after as long."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = locked(folder.with_name(folder.name + ".lock")) if _can_lock() else _alone()
    with clock_stopped(), lock:
        done, failed = folder / DONE, folder / FAILED
        if failed.exists():
            raise RuntimeError(f"template {folder.name} failed: {failed.read_text()}")
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            try:
                build(folder)
            except BaseException as exc:
                failed.write_text(repr(exc))
                raise
            done.touch()
    return folder


def templates_folder(factory: pytest.TempPathFactory) -> Path:
    """Where the run's SQLite templates are built: the run's folder, or the folder
    ``PROPREO_TEST_TEMPLATES`` names, shared by the runs of one CI job (.ci/run: the
    PostgreSQL pass builds the demo firm to move it to the server, the SQLite pass after it
    uses the same build of the same code instead of building it again)."""
    shared = os.environ.get("PROPREO_TEST_TEMPLATES")
    if shared and _can_lock():
        return Path(shared)
    return run_folder(factory) / "templates"


def private_copy(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """This worker's own copy (a folder) of the template ``name`` of the run."""
    shared = built_once(templates_folder(factory) / name, build)
    private = factory.mktemp(name)
    shutil.copytree(shared, private, dirs_exist_ok=True, ignore=shutil.ignore_patterns(DONE))
    return private


def build_empty(folder: Path) -> None:
    """A SQLite base created through the migrations, with reference data, no company."""
    _prepare(folder / "empty.db", demo=False)


def build_demo(folder: Path) -> None:
    """A SQLite base holding the whole demo firm (pinned to ``DEMO_TODAY``)."""
    _prepare(folder / "demo.db", demo=True)


def _prepare(path: Path, *, demo: bool) -> None:
    from app.demo import DEMO_TODAY
    from app.setup import prepare_database

    prepared = prepare_database(path, demo=demo, as_of=DEMO_TODAY)
    with prepared.db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    prepared.db.dispose()
