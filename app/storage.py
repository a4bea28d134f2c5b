"""Writing files and the database when the disk says no (issue T §9).

A full disk, read-only media or a folder the user may not write give one French sentence
(:func:`storage_error`), whatever raised it: ``OSError`` from a file write, SQLite's
« database or disk is full » / « disk I/O error » / « attempt to write a readonly
database », PostgreSQL's disk-full state. The command line (app.cli) and the window
(ui.operations.show_error) both say it through this function.

Files are written so that nothing is left behind when the write fails: :func:`write_file`
(temporary name in the same folder, fsync, rename), :func:`written` for libraries that
save to a path themselves, :class:`FileBatch` for an export of many files (the files of a
batch that failed are removed), :func:`copy_folder` for a whole folder (the files of a base
copied by a backup, a restore or a transfer: into a temporary sibling, then renamed).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.errors import StorageError

FULL, READ_ONLY, DENIED, MISSING, OTHER = "full", "read_only", "denied", "missing", "other"

MESSAGES = {
    FULL: "Disque plein : {what} n'a pas pu être écrit, libérez de la place puis recommencez.",
    READ_ONLY: "Support en lecture seule : {what} ne peut pas être écrit, choisissez un autre "
    "emplacement.",
    DENIED: "Accès refusé : vous n'avez pas le droit d'écrire {what}, choisissez un autre "
    "dossier ou demandez ce droit.",
    MISSING: "Dossier introuvable : {what} ne peut pas être écrit, vérifiez le chemin (support "
    "débranché ?).",
    OTHER: "Erreur du disque : {what} n'a pas pu être écrit ({detail}), vérifiez le support "
    "puis recommencez.",
}

_ERRNO = {
    errno.ENOSPC: FULL,
    errno.EDQUOT: FULL,
    errno.EFBIG: FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: DENIED,
    errno.EPERM: DENIED,
    errno.ENOENT: MISSING,
    errno.ENOTDIR: MISSING,
}
_FREE_MARGIN = 1 << 20  # less than 1 MiB free: the disk is full, whatever SQLite said


def _existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def read_only_media(path: Path) -> bool:
    """``path`` lies on a filesystem mounted read-only (a write-protected key…)."""
    try:
        return bool(os.statvfs(_existing(path)).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs on Windows
        return False


def _disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(_existing(path)).free < _FREE_MARGIN
    except OSError:
        return False


def _kind_of_database_error(message: str, path: Path | None) -> str | None:
    text = message.lower()
    if "disk is full" in text or "no space left" in text or "could not extend file" in text:
        return FULL
    if not any(
        s in text
        for s in ("readonly database", "read-only", "disk i/o error", "unable to open database")
    ):
        return None
    if path is not None and read_only_media(path):
        return READ_ONLY
    if path is not None and _disk_full(path):
        return FULL
    if "readonly" in text or "unable to open" in text:
        return DENIED
    return OTHER


def _database_message(exc: BaseException) -> str | None:
    """The driver's message of a database error (sqlite3, SQLAlchemy's wrapper, psycopg)."""
    orig = getattr(exc, "orig", None)
    inner = orig if orig is not None else exc
    if isinstance(inner, sqlite3.Error):
        return str(inner)
    if getattr(inner, "sqlstate", None) in ("53100", "53400"):  # PostgreSQL: disk full
        return "disk is full"
    if type(inner).__module__.startswith(("psycopg", "sqlalchemy")):
        return str(inner)
    return None


def storage_error(
    exc: BaseException, path: str | Path | None = None, *, what: str | None = None
) -> StorageError | None:
    """The French sentence for a write the disk refused (None when ``exc`` is no such
    refusal). ``path`` is the file or base written; ``what`` names it otherwise."""
    target = Path(path) if path is not None and "://" not in str(path) else None
    if isinstance(exc, OSError):
        kind = _ERRNO.get(exc.errno or 0, OTHER)
        if target is None and exc.filename:
            target = Path(str(exc.filename))
        if kind == MISSING and target is not None and target.parent.exists():
            return None  # a file that is not there, not a write refused: the caller says it
        if kind == OTHER and target is not None and _disk_full(target):
            kind = FULL
        detail = errno.errorcode.get(exc.errno or 0, "") or str(exc)
    else:
        message = _database_message(exc)
        found = _kind_of_database_error(message, target) if message else None
        if found is None:
            return None
        kind, detail = found, (message or "").splitlines()[0]
    if what is None:
        what = f"« {target if target is not None else path} »" if path or target else ""
        what = what or "la base de données"
    return StorageError(MESSAGES[kind], what=what, detail=detail)


def raise_storage_error(exc: BaseException, path: str | Path | None = None) -> None:
    """Raise the French sentence for ``exc`` (from it) when it is a refused write."""
    error = storage_error(exc, path)
    if error is not None:
        raise error from exc


@contextlib.contextmanager
def written(path: Path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder for a library that saves to a path (a
    workbook, a PDF canvas): moved onto ``path`` once complete, removed if anything fails;
    a refused write becomes :class:`StorageError`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise_storage_error(exc, path)
        raise
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise_storage_error(exc, path)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def write_file(path: str | Path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` whole or not at all (see :func:`written`)."""
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    with written(path) as tmp:
        tmp.write_bytes(payload)
    return path


def _copy_synced(src: Path, dst: Path) -> None:
    shutil.copy2(src, dst)
    with open(dst, "rb+") as handle:
        os.fsync(handle.fileno())


def copy_tree(src: Path, dst: Path) -> int:
    """Copy the files of ``src`` into the existing folder ``dst`` (each synced), stopping at
    the first refusal (``shutil.copytree`` gathers them into one ``shutil.Error`` without errno)."""
    count = 0
    for folder, dirs, files in os.walk(src):
        here = dst / Path(folder).relative_to(src)
        for name in dirs:
            (here / name).mkdir(mode=0o700, exist_ok=True)
        for name in files:
            _copy_synced(Path(folder) / name, here / name)
            count += 1
    return count


def _move_into(src: Path, dst: Path) -> None:
    """Rename every file of ``src`` into ``dst`` (same filesystem: no data is copied)."""
    for folder, _dirs, files in os.walk(src):
        here = dst / Path(folder).relative_to(src)
        here.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in files:
            os.replace(Path(folder) / name, here / name)


@contextlib.contextmanager
def folder_written(dst: Path, *, merge: bool = False) -> Iterator[Path]:
    """A temporary sibling folder of ``dst`` (0700) to fill: once the block is done it is
    renamed onto ``dst`` (``merge``: its files are renamed into ``dst``, those ``dst``
    already holds stay); removed if anything fails, ``dst`` then as it was. A refused
    write becomes :class:`StorageError`."""
    dst = Path(dst)
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent))
    except OSError as exc:
        raise_storage_error(exc, dst)
        raise
    old = tmp.with_suffix(".old")
    try:
        yield tmp
        if merge and dst.exists():
            _move_into(tmp, dst)
        else:
            if dst.exists():
                os.replace(dst, old)
            try:
                os.replace(tmp, dst)
            except OSError:
                if old.exists():
                    os.replace(old, dst)
                raise
    except OSError as exc:
        raise_storage_error(exc, dst)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def copy_folder(src: str | Path, dst: str | Path, *, merge: bool = False) -> int:
    """Copy the folder ``src`` onto ``dst`` whole or not at all (see
    :func:`folder_written`); returns the number of files copied."""
    with folder_written(Path(dst), merge=merge) as tmp:
        return copy_tree(Path(src), tmp)


class FileBatch:
    """Many files of one export: each written whole; if one fails, those already written
    by the batch are removed too, so a failed export leaves nothing behind."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def write(self, path: str | Path, data: bytes | str) -> Path:
        try:
            done = write_file(path, data)
        except BaseException:
            self.discard()
            raise
        self.paths.append(done)
        return done

    def discard(self) -> None:
        for p in self.paths:
            p.unlink(missing_ok=True)
        self.paths.clear()


def discard_if_rolled_back(session: Any, paths: list[Path]) -> None:
    """Files written for rows of ``session`` (a photo, a sheet) removed if its transaction
    rolls back (a later step refused, the disk full at commit): no orphan file stays."""
    from sqlalchemy import event

    def discard(_session: Any) -> None:
        for p in paths:
            p.unlink(missing_ok=True)
        if event.contains(session, "after_commit", keep):
            event.remove(session, "after_commit", keep)

    def keep(_session: Any) -> None:  # committed: the files belong to their rows now
        if event.contains(session, "after_rollback", discard):
            event.remove(session, "after_rollback", discard)

    event.listen(session, "after_rollback", discard, once=True)
    event.listen(session, "after_commit", keep, once=True)
