"""Schema upgrades keep every record and every document hash.

For each schema revision ever released (oldest first), a database at that revision filled
with the demo firm is upgraded through the application's start-up path
(:func:`app.setup.prepare_database`), then compared with itself before the upgrade: record
counts per table, the hash of every issued document, the archived PDF hashes, and
``propreo check``.

Where the database at a revision comes from, in order of preference:
* ``tests/data/schema/<revision>.db``: the demo firm saved when that revision was released
  (``propreo --db tests/data/schema/<rev>.db init --demo`` on the release tag);
* otherwise the current demo firm migrated *down* to that revision (when the migration's
  downgrade keeps the data);
* the head revision itself: the current demo firm.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from app import migrate
from app.check import run_checks
from app.db import open_database
from app.setup import prepare_database

SAVED = Path(__file__).parent / "data" / "schema"


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _snapshot(path: Path) -> dict[str, object]:
    con = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
            )
        ]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        hashes = con.execute(
            "SELECT number, content_hash, previous_hash FROM invoices "
            "WHERE status = 'issued' ORDER BY chain_index"
        ).fetchall()
        archives = con.execute(
            "SELECT number, sha256, size FROM archived_documents ORDER BY id"
        ).fetchall()
    finally:
        con.close()
    return {"counts": counts, "hashes": hashes, "archives": archives}


def _at_revision(revision: str, demo_db_file: Path, target: Path) -> Path:
    saved = SAVED / f"{revision}.db"
    source = saved if saved.exists() else demo_db_file
    shutil.copyfile(source, target)
    files = source.with_name(source.name + ".files")
    if files.exists():
        shutil.copytree(files, target.with_name(target.name + ".files"))
    if not saved.exists() and revision != migrate.head_revision():
        db = open_database(target)
        cfg = migrate.alembic_config()
        with db.engine.execution_options(propreo_write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
        db.dispose()
    return target


@pytest.mark.slow
@pytest.mark.parametrize("revision", _revisions())
def test_upgrading_a_demo_firm_from_every_revision_keeps_records_and_hashes(
    revision: str, demo_db_file: Path, tmp_path: Path
) -> None:
    path = _at_revision(revision, demo_db_file, tmp_path / f"at-{revision}.db")
    before = _snapshot(path)
    assert before["hashes"], "the demo firm has issued documents"
    db = open_database(path)
    assert migrate.current_revision(db) == revision
    db.dispose()

    prepared = prepare_database(path)  # what start-up does: backup if needed, upgrade
    try:
        assert migrate.current_revision(prepared.db) == migrate.head_revision()
        report = run_checks(prepared.db)
        assert report.ok, report.problems
    finally:
        prepared.db.dispose()
    after = _snapshot(path)
    assert after["hashes"] == before["hashes"]
    assert after["archives"] == before["archives"]
    counts_before, counts_after = before["counts"], after["counts"]
    assert isinstance(counts_before, dict) and isinstance(counts_after, dict)
    # Tables may be added by later revisions; none of the existing ones loses a row.
    assert {t: counts_after.get(t) for t in counts_before} == counts_before
