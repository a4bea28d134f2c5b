"""Create and upgrade the schema, only through Alembic migrations.

A non-empty database that is not at the head revision is backed up before the upgrade.

Opening a file checks its schema (:func:`needs_upgrade`) without importing Alembic when
the file is at head (the everyday case, ≈ 0.2 s saved per command): the head is read
from the ``revision`` / ``down_revision`` lines of the revision files
(:func:`script_head`, checked against Alembic's own by tests/test_migrate_fast.py), the
file's revision from its ``alembic_version`` table. When they differ, or either cannot
be read that way, Alembic decides.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from app.db import Database
from app.errors import DatabaseError
from app.resources import project_path

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = project_path("models", "migrations")

_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*['\"]([^'\"\n]+)['\"]\s*$", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)
_QUOTED = re.compile(r"^['\"]([^'\"]+)['\"]$")


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _script_graph() -> tuple[set[str], set[str]] | None:
    """The revision ids and their parents read from the revision files without Alembic;
    ``None`` when a file is not a plain one-parent revision this reader understands."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.findall(source), _DOWN.findall(source)
        if len(rev) != 1 or len(down) != 1:
            return None
        revisions.add(rev[0])
        if down[0] != "None":
            quoted = _QUOTED.match(down[0])
            if quoted is None:  # a merge (tuple) or an expression
                return None
            parents.add(quoted.group(1))
    return revisions, parents


def _linear_head(graph: tuple[set[str], set[str]] | None) -> str | None:
    if graph is None:
        return None
    revisions, parents = graph
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 and parents <= revisions else None


def script_head() -> str | None:
    """The head revision read from the revision files without Alembic; ``None`` when the
    files are not a plain linear history this reader understands (Alembic decides then)."""
    return _linear_head(_script_graph())


def script_revisions() -> set[str] | None:
    """Every revision id of the files, read without Alembic (``None``: Alembic decides)."""
    graph = _script_graph()
    return graph[0] if graph is not None and _linear_head(graph) is not None else None


def known_revisions() -> set[str]:
    """Every revision this version of Propreo knows; Alembic only when the files are not
    a plain linear history (opening a base at a known schema stays free of Alembic)."""
    cheap = script_revisions()
    if cheap is not None:
        return cheap
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return heads[0] if heads else ""


def stored_revision(db: Database) -> str | None:
    """The single revision in the file's ``alembic_version`` table, read with one SELECT;
    ``None`` when there is no such table or not exactly one row."""
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except Exception:  # no table yet (new or foreign file): Alembic decides
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def has_tables(db: Database) -> bool:
    with db.engine.connect() as conn:
        return any(t != "alembic_version" for t in inspect(conn).get_table_names())


def refuse_unusable(path: Path, uri: str | None = None) -> None:
    """For every command but ``init``, before the file is opened (opening sets its journal
    mode, a write): it must already be a Propreo base that this version knows. A 0-byte
    file, another program's SQLite file or a base made by a newer version is refused in
    one French sentence, never created, converted nor backed up. ``uri``: how to read it
    when it cannot be written (:mod:`app.read_only`)."""
    import sqlite3

    if path.stat().st_size == 0:
        raise DatabaseError(
            "Le fichier « {path} » est vide (0 octet) : ce n'est pas une base Propreo. "
            "Pour en créer une : propreo --db {path} init.",
            path=str(path),
        )
    try:
        conn = sqlite3.connect(uri or f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if "malformed" in str(exc):
            raise DatabaseError(
                "La base « {path} » est endommagée ({error}) : restaurez la dernière "
                "sauvegarde (propreo restore).",
                path=str(path),
                error=exc,
            ) from None
        if "no such table" not in str(exc) and "not a database" not in str(exc):
            from app.storage import raise_storage_error

            raise_storage_error(exc, path)  # read-only media, full disk: not « not ours »
        rows = []
    if len(rows) != 1:
        raise DatabaseError(
            "« {path} » n'est pas une base Propreo (aucune version de schéma Propreo) : "
            "fichier laissé tel quel.",
            path=str(path),
        )
    refuse_newer(str(rows[0][0]), str(path))


def open_usable(
    target: str, *, read_only: bool = False, read_only_if_needed: bool = False
) -> Database:
    """Open a base for the window or a command but ``init``: an existing file is first
    checked by :func:`refuse_unusable` (before opening, which writes), a server base by
    :func:`refuse_newer` once connected. A file that does not exist yet is created empty
    (the window's « Nouvelle base »; the command line refuses it before calling).

    A file whose folder cannot be written (read-only medium…) is opened read-only when
    ``read_only`` or ``read_only_if_needed`` and when it is safe (:mod:`app.read_only`,
    refused in French otherwise); ``db.info["read_only_banner"]`` then says why."""
    from app.db import masked, open_database

    path = Path(target)
    if "://" not in target and path.exists():
        from app.read_only import read_only_access, writable_folder

        if (read_only or read_only_if_needed) and not writable_folder(path):
            access = read_only_access(path)
            refuse_unusable(path, access.uri(path))
            db = open_database(target, uri=access.uri(path))
            db.info["read_only_banner"] = access.banner
            return db
        refuse_unusable(path)
    db = open_database(target, read_only=read_only)
    if "://" in target:
        try:
            refuse_newer(stored_revision(db), masked(target))
        except Exception:
            db.dispose()
            raise
    return db


def refuse_newer(stored: str | None, name: str) -> None:
    """A base whose schema this version does not know comes from a newer Propreo: refused
    in one French sentence before any write (file or server base)."""

    if stored is not None and stored not in known_revisions():
        raise DatabaseError(
            "La base « {path} » vient d'une version plus récente de Propreo (schéma {stored}) ; "
            "cette version-ci s'arrête au schéma {head}. Installez la dernière version de "
            "Propreo pour l'ouvrir.",
            path=name,
            stored=stored,
            head=head_revision(),
        )


def needs_upgrade(db: Database) -> bool:
    stored = stored_revision(db)
    if stored is not None and stored == script_head():
        return False
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
        from app.backups import backup_database

        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        rev = current_revision(db) or "none"
        backup_path = db.path.with_name(f"{db.path.stem}.avant-migration-{rev}-{stamp}.db")
        backup_database(db, backup_path)
        if on_backup:
            on_backup(backup_path)
    from alembic import command

    cfg = alembic_config()
    with db.engine.execution_options(propreo_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return backup_path
