"""Developer helpers (not used at run time): generate a migration from the models."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from app import migrate
from app.db import open_database


def make_migration(message: str) -> None:
    """Autogenerate a revision comparing the models with a database at head."""
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "schema.db")
        migrate.upgrade(db, backup=False)
        cfg = migrate.alembic_config()
        with db.engine.execution_options(propreo_write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)
        db.dispose()


if __name__ == "__main__":
    make_migration(" ".join(sys.argv[1:]) or "schema change")
