"""The folder of photos, sheets, attachments, notices and archived PDFs.

A SQLite firm keeps them beside its database file (``<db>.files/``). A PostgreSQL firm has
no file to sit beside: its folder is a share every workstation reaches, recorded once in
the database itself (table ``file_store``) so that every workstation finds the same one.
A workstation that mounts the share under another path sets ``PROPREO_FILES_DIR``.
See docs/POSTGRESQL.md for why a shared folder rather than the database.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.errors import DatabaseError, ValidationError
from models.documents import FileStore

if TYPE_CHECKING:  # app.db reads the folder through this module
    from app.db import Database

ENV = "PROPREO_FILES_DIR"
_CACHE = "files_dir"


def shared_files_dir(db: Database) -> Path:
    """The firm's shared folder (read once per opened database)."""
    override = os.environ.get(ENV)
    if override:
        return Path(override)
    cached = db.info.get(_CACHE)
    if cached is None:
        with db.read() as session:
            cached = session.scalar(select(FileStore.folder).order_by(FileStore.id).limit(1))
        if not cached:
            raise DatabaseError(
                "Aucun dossier de fichiers n'est défini pour cette base {url} : indiquez un "
                "dossier partagé que tous les postes atteignent avec "
                "« propreo --db … files --set DOSSIER ».",
                url=db.url,
            )
        db.info[_CACHE] = cached
    return Path(cached)


def configured_folder(db: Database) -> str | None:
    """The folder recorded for the firm (None: none yet, or a SQLite firm)."""
    if db.is_sqlite:
        return None
    with db.read() as session:
        return session.scalar(select(FileStore.folder).order_by(FileStore.id).limit(1))


def set_files_dir(db: Database, folder: str | Path) -> Path:
    """Record the shared folder of a PostgreSQL firm (created when missing)."""
    if db.is_sqlite:
        raise DatabaseError(
            "Une base SQLite garde ses fichiers à côté d'elle (« {folder} ») : rien à définir.",
            folder=str(db.files_dir),
        )
    path = Path(folder).expanduser()
    if not path.is_absolute():
        raise ValidationError(
            "Dossier de fichiers",
            "{field} : indiquez un chemin complet, pas « {value} ».",
            value=str(folder),
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".propreo-ecriture"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ValidationError(
            "Dossier de fichiers",
            "{field} : « {value} » n'est pas accessible en écriture ({error}).",
            value=str(path),
            error=exc.strerror or exc,
        ) from exc
    with db.write() as session:
        row = session.scalar(select(FileStore).order_by(FileStore.id).limit(1))
        if row is None:
            session.add(FileStore(folder=str(path)))
        else:
            row.folder = str(path)
    db.info[_CACHE] = str(path)
    return path
