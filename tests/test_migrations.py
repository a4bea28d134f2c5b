from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Float, inspect

from app import migrate
from app.db import Database, open_database
from app.demo import DEMO_TODAY
from app.setup import prepare_database
from models.base import Base


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], "models changed without a migration: python -m app.devtools 'message'"


def test_upgrade_empty_file_from_first_revision_to_head(tmp_path: Path) -> None:
    db = open_database(tmp_path / "new.db")
    first = _revisions()[0]
    migrate.upgrade(db, first)
    assert migrate.current_revision(db) == first
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    assert "alembic_version" in inspect(db.engine).get_table_names()
    db.dispose()


def test_init_again_upgrades_in_place_and_keeps_data(demo_db_file: Path, tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "again.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path)
    with db.engine.connect() as conn:
        counts_before = _counts(conn)
    db.dispose()
    prepared = prepare_database(path, demo=True, as_of=DEMO_TODAY)
    assert prepared.state == "à jour" and not prepared.demo_loaded
    with prepared.db.engine.connect() as conn:
        assert _counts(conn) == counts_before
    prepared.db.dispose()


def test_upgrade_of_a_populated_older_file_takes_a_verified_backup_first(tmp_path: Path) -> None:
    from alembic import command

    path = tmp_path / "older.db"
    db = open_database(path)
    migrate.upgrade(db)
    cfg = migrate.alembic_config()
    with db.engine.execution_options(propreo_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        conn.exec_driver_sql("CREATE TABLE legacy_notes (txt TEXT)")
        conn.exec_driver_sql("INSERT INTO legacy_notes VALUES ('données client')")
    assert migrate.needs_upgrade(db)
    backups: list[Path] = []
    migrate.upgrade(db, on_backup=backups.append)
    assert migrate.current_revision(db) == migrate.head_revision()
    assert len(backups) == 1
    import sqlite3

    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT txt FROM legacy_notes").fetchall() == [("données client",)]
    copy.close()
    db.dispose()


def test_no_column_holds_real_values(demo_db: Database) -> None:
    """Money and quantities are integers: no binary float anywhere. SQLite types each value
    (a REAL can sit in an INTEGER column), PostgreSQL types the column, so check what each holds."""
    with demo_db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for col in inspect(conn).get_columns(table):
                name = f"{table}.{col['name']}"
                if not demo_db.is_sqlite:
                    assert not isinstance(col["type"], Float), f"{name} is a {col['type']} column"
                    continue
                n = conn.exec_driver_sql(
                    f'SELECT count(*) FROM "{table}" WHERE typeof("{col["name"]}") = \'real\''
                ).scalar()
                assert n == 0, f"{name} holds REAL values"


def _counts(conn) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar()
        for t in inspect(conn).get_table_names()
        if t != "alembic_version"
    }
