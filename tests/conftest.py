"""Shared fixtures. Qt runs offscreen; settings and data folders are isolated per run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Must happen before any QApplication exists.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_ISOLATED = Path(tempfile.mkdtemp(prefix="propreo-tests-"))
os.environ["XDG_CONFIG_HOME"] = str(_ISOLATED / "config")
os.environ["XDG_DATA_HOME"] = str(_ISOLATED / "data")
os.environ["PROPREO_DATA_DIR"] = str(_ISOLATED / "propreo")
os.environ.pop("PROPREO_DB", None)
os.environ["PROPREO_USER"] = ""

import pytest  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import startup  # noqa: E402
from app.db import Database, open_database  # noqa: E402
from tests.modal_guard import pytest_runtest_call  # noqa: E402, F401  (the hook, see its module)
from tests.run_templates import build_demo, build_empty, private_copy, run_folder, run_id  # noqa: E402

startup.install()  # as every entry point does: the invoice guard, the client account's sources


def _copy_db(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    files = src.with_name(src.name + ".files")
    if files.exists():
        shutil.copytree(files, dst.with_name(dst.name + ".files"))
    return dst


@pytest.fixture(scope="session")
def empty_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database created through the migrations, with reference data, no company
    (built once per test run, this worker's own copy: tests/run_templates.py)."""
    return private_copy(tmp_path_factory, "empty", build_empty) / "empty.db"


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the whole demo firm (built once per test run, this worker's own
    copy: tests/run_templates.py)."""
    return private_copy(tmp_path_factory, "demo", build_demo) / "demo.db"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.pg import engine_independent, skip_other_engine

    skip_other_engine(items)
    same_on_both = engine_independent(items)
    if same_on_both:  # PostgreSQL pass: what never reaches the server ran in the SQLite pass
        config.hook.pytest_deselected(items=same_on_both)
        left_out = set(same_on_both)
        items[:] = [item for item in items if item not in left_out]
    longest_first(items)


def longest_first(items: list[pytest.Item]) -> None:
    """The ``slow`` tests (a minute or more on a loaded machine) run first, the others keep
    their order: pytest-xdist hands the first tests out in turn to its workers, so the long
    ones run side by side at the start instead of one of them keeping a worker busy at the
    end while the other has nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def pg_templates(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The PostgreSQL template databases of this process (see tests/pg.py)."""
    from tests.pg import PgTemplates

    folder = run_folder(tmp_path_factory)
    templates = PgTemplates(
        folder / "pg-templates",
        run_id(folder),
        lambda: private_copy(tmp_path_factory, "demo", build_demo) / "demo.db",
    )
    yield templates
    templates.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The PostgreSQL templates of the run are dropped by the process that started the
    workers, once they have all finished (or by the only process, without xdist)."""
    from tests.pg import PG_URL, drop_run

    factory = getattr(session.config, "_tmp_path_factory", None)
    if PG_URL and factory is not None and not hasattr(session.config, "workerinput"):
        drop_run(run_id(run_folder(factory)))


def _engine_db(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> Iterator[Database]:
    """A fresh database of ``kind`` ("empty" or "demo"): a copy of the SQLite template
    file, or with PROPREO_TEST_PG_URL a copy of the PostgreSQL template database."""
    from tests.pg import PG_URL, pg_database

    if PG_URL:  # the same tests against PostgreSQL (see tests/pg.py)
        yield from pg_database(request.getfixturevalue("pg_templates"), kind, tmp_path)
        return
    src = request.getfixturevalue("empty_db_file" if kind == "empty" else "demo_db_file")
    database = open_database(
        _copy_db(src, tmp_path / ("test.db" if kind == "empty" else "demo.db"))
    )
    yield database
    database.dispose()


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from _engine_db(request, "empty", tmp_path)


@pytest.fixture
def demo_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from _engine_db(request, "demo", tmp_path)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A write unit of work on a fresh database, committed when the test body succeeds."""
    with db.write() as s:
        yield s


@pytest.fixture
def company(session: Session):  # type: ignore[no-untyped-def]
    """The demo firm's identity only (for rule tests needing a seller)."""
    from app.demo import DemoContext
    from app.demo import company as demo_company

    demo_company.load(session, DemoContext())
    session.flush()
    from app.company import get_company

    return get_company(session)
