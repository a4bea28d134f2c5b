"""The schema check without Alembic agrees with Alembic, and hands over when unsure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from app import migrate
from app.db import open_database


def test_script_head_is_alembics_head() -> None:
    assert migrate.script_head() == migrate.head_revision() != ""


def test_a_file_at_head_needs_no_upgrade_and_its_stored_revision_is_read(
    demo_db_file: Path, tmp_path: Path
) -> None:
    db = open_database(shutil.copyfile(demo_db_file, tmp_path / "a.db"))
    assert migrate.stored_revision(db) == migrate.current_revision(db) == migrate.head_revision()
    assert migrate.needs_upgrade(db) is False
    db.dispose()


def test_an_older_or_empty_file_still_needs_the_upgrade(tmp_path: Path) -> None:
    db = open_database(tmp_path / "new.db")
    assert migrate.stored_revision(db) is None  # no alembic_version table
    assert migrate.needs_upgrade(db) is True
    migrate.upgrade(db, "0001")
    assert migrate.stored_revision(db) == "0001"
    assert migrate.needs_upgrade(db) is (migrate.head_revision() != "0001")
    with db.engine.begin() as conn:  # two rows: only Alembic can tell
        conn.execute(text("INSERT INTO alembic_version VALUES ('zzz')"))
    assert migrate.stored_revision(db) is None
    db.dispose()


def _copy_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_a_newer_revision_file_moves_the_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = migrate.script_head()
    folder = _copy_migrations(tmp_path)
    (folder / "versions" / "abc123_later.py").write_text(
        f'revision: str = "abc123"\ndown_revision: str | None = "{head}"\n'
        "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", folder)
    assert migrate.script_head() == "abc123" == migrate.head_revision()


def test_a_branch_or_a_merge_is_left_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = migrate.script_head()
    folder = _copy_migrations(tmp_path)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", folder)
    for name in ("b1", "b2"):  # two heads
        (folder / "versions" / f"{name}_branch.py").write_text(
            f'revision = "{name}"\ndown_revision = "{head}"\n', encoding="utf-8"
        )
    assert migrate.script_head() is None
    (folder / "versions" / "m1_merge.py").write_text(
        'revision = "m1"\ndown_revision = ("b1", "b2")\n', encoding="utf-8"
    )
    assert migrate.script_head() is None


def test_the_revisions_read_without_alembic_are_alembics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic.script import ScriptDirectory

    walked = ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()
    assert migrate.script_revisions() == {r.revision for r in walked} == migrate.known_revisions()
    folder = _copy_migrations(tmp_path)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", folder)
    head = migrate.script_head()
    for name in ("b1", "b2"):  # two heads: Alembic lists them
        (folder / "versions" / f"{name}_branch.py").write_text(
            f'revision = "{name}"\ndown_revision = "{head}"\n', encoding="utf-8"
        )
    assert migrate.script_revisions() is None
    assert {"b1", "b2", head} <= migrate.known_revisions()
