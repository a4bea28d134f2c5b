"""Create or upgrade a database and fill its reference data (used by CLI and GUI)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app import migrate
from app.db import Database, open_database
from app.fs import attachments_dir
from app.reference import ensure_reference_data
from app.storage import raise_storage_error


@dataclass
class Prepared:
    db: Database
    before: str | None
    after: str | None
    backup: Path | None
    demo_loaded: bool = False

    @property
    def state(self) -> str:
        if self.before is None:
            return "créée"
        return "mise à jour" if self.before != self.after else "à jour"


def prepare_database(
    target: str | Path,
    *,
    demo: bool = False,
    contracts: int | None = None,
    on_backup: Callable[[Path], None] | None = None,
    files_dir: str | Path | None = None,
    as_of: dt.date | None = None,
) -> Prepared:
    """Bring the schema to head (backup first when upgrading a populated file), ensure the
    reference data, record the shared files folder of a server database (``files_dir``),
    and optionally load the demo firm (only into a database without company), its history
    running to the month before ``as_of`` (default today).

    A file created here and refused by the disk half-way (full, read-only) is removed with
    its journals and the refusal said in French (:mod:`app.storage`): no half-made base."""
    new = Path(target).expanduser()
    created = None if "://" in str(target) or new.exists() else new
    db: Database | None = None
    try:
        db = open_database(target)
        return _prepare(db, demo, contracts, on_backup, files_dir, as_of)
    except Exception as exc:
        if db is not None and created is not None:
            db.dispose()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{created}{suffix}").unlink(missing_ok=True)
            shutil.rmtree(attachments_dir(created), ignore_errors=True)
        raise_storage_error(exc, created or target)
        raise


def _prepare(
    db: Database,
    demo: bool,
    contracts: int | None,
    on_backup: Callable[[Path], None] | None,
    files_dir: str | Path | None,
    as_of: dt.date | None,
) -> Prepared:
    before = migrate.current_revision(db)
    backup = migrate.upgrade(db, on_backup=on_backup)
    with db.write() as session:
        ensure_reference_data(session)
    if files_dir is not None:
        from app.file_store import set_files_dir

        set_files_dir(db, files_dir)
    loaded = False
    if demo:
        db.files_dir  # noqa: B018 - a server database without its folder stops here, not halfway
        from app.demo.build import load_demo

        loaded = load_demo(db, contracts=contracts, as_of=as_of)
    return Prepared(
        db=db, before=before, after=migrate.current_revision(db), backup=backup, demo_loaded=loaded
    )
