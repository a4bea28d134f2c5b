"""Developer helpers (not used at run time): generate migrations from the models.

``python -m app.devtools "message"`` adds a revision on top of head (the rule once a
schema has been released). ``python -m app.devtools --initial`` regenerates the single
initial revision ``0001`` from all models: allowed only before the first release, while
no database in the field was created by it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from app import migrate
from app.db import open_database


def make_migration(message: str, *, initial: bool = False) -> None:
    """Autogenerate a revision comparing the models with a database at head."""
    versions = migrate.MIGRATIONS_DIR / "versions"
    if initial:
        for old in versions.glob("*.py"):
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "schema.db")
        migrate.upgrade(db, backup=False)
        cfg = migrate.alembic_config()
        with db.engine.execution_options(propreo_write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(
                cfg, message=message, autogenerate=True, rev_id="0001" if initial else None
            )
        db.dispose()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--initial"]:
        make_migration("initial schema", initial=True)
    else:
        make_migration(" ".join(sys.argv[1:]) or "schema change")
