"""Create and upgrade the schema, only through Alembic migrations.

A non-empty database that is not at the head revision is backed up before the upgrade.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app.db import Database
from app.resources import project_path

MIGRATIONS_DIR = project_path("models", "migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return heads[0] if heads else ""


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def has_tables(db: Database) -> bool:
    with db.engine.connect() as conn:
        return any(t != "alembic_version" for t in inspect(conn).get_table_names())


def needs_upgrade(db: Database) -> bool:
    return current_revision(db) != head_revision()


def upgrade(
    db: Database,
    revision: str = "head",
    *,
    backup: bool = True,
    on_backup: Callable[[Path], None] | None = None,
) -> Path | None:
    """Bring the schema to ``revision``; returns the backup taken, if any."""
    backup_path: Path | None = None
    if backup and db.path is not None and has_tables(db) and needs_upgrade(db):
        from app.backup import backup_database

        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        rev = current_revision(db) or "none"
        backup_path = db.path.with_name(f"{db.path.stem}.avant-migration-{rev}-{stamp}.db")
        backup_database(db, backup_path)
        if on_backup:
            on_backup(backup_path)
    cfg = alembic_config()
    with db.engine.execution_options(propreo_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return backup_path
