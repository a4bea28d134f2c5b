"""Opening a base that cannot be written: on a read-only medium (write-protected key,
read-only mount) or in a folder the user may not write (issue T §9).

SQLite reads a base in WAL mode through its ``-shm`` file, which it must be able to
create: on such a medium a plain read-only open fails. What is safe, decided here:

- ``mode=ro`` whenever SQLite can open it so (the ``-wal`` and ``-shm`` files are there,
  or the base is not in WAL mode): SQLite's own locking, the ``-wal`` is read, writes by
  others are seen.
- ``immutable=1`` (no locking, no ``-wal``) only on a read-only *medium* of this computer,
  with no ``-wal`` content, no interrupted write (``-journal``) and no live lease: the
  file is then the whole base and nothing on this computer can change it.
- refused, with the reason, otherwise: a ``-wal`` not yet checkpointed (reading without
  it would show a base without its latest writes), an interrupted write, a folder only
  *this user* may not write or a network share (another user or workstation may be
  writing the base while it is read).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from app.errors import DatabaseError
from app.fs import is_network_path
from app.storage import read_only_media

OPEN_READ_ONLY = (
    "Base ouverte en lecture seule : « {path} » est sur un support ou dans un dossier où "
    "vous ne pouvez pas écrire. Consultation, impressions et exports vers un autre dossier "
    "restent possibles ; aucune modification ne peut être enregistrée."
)
SNAPSHOT = " Les données sont celles du fichier au moment de l'ouverture."
_REFUSED = "La base « {path} » ne peut pas être ouverte, même en lecture seule : "
WAL_PENDING = _REFUSED + (
    "son journal « {path}-wal » contient des écritures pas encore reportées dans le "
    "fichier, et la lire sans lui montrerait une base sans ses dernières opérations. "
    "Ouvrez-la une fois depuis un disque où vous pouvez écrire (ou copiez-y la base avec "
    "ses fichiers -wal et -shm), puis réessayez."
)
INTERRUPTED = _REFUSED + (
    "une écriture y a été interrompue (fichier « {path}-journal ») et seule une ouverture "
    "en écriture peut la terminer. Copiez la base avec ce fichier sur un disque où vous "
    "pouvez écrire, puis ouvrez-la."
)
OTHERS_MAY_WRITE = _REFUSED + (
    "vous n'avez pas le droit d'écrire dans « {folder} » et un autre utilisateur ou poste "
    "peut la modifier pendant que vous la lisez. Demandez le droit d'écriture sur ce "
    "dossier, ou ouvrez une copie de la base."
)
IN_USE = _REFUSED + "{holder} ; elle peut changer pendant que vous la liriez."


@dataclass(frozen=True)
class ReadOnlyAccess:
    """How to read a base that cannot be written: the SQLite URI parameters and the
    sentence the window shows above its tabs."""

    query: str
    banner: str

    def uri(self, path: Path) -> str:
        return f"file:{quote(str(path))}?{self.query}"


def writable_folder(path: Path) -> bool:
    """The base's folder accepts new files (the ``-wal``, ``-shm``, lease, backups)."""
    return not read_only_media(path) and os.access(path.parent, os.W_OK | os.X_OK)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _opens(access: ReadOnlyAccess, path: Path) -> bool:
    try:
        conn = sqlite3.connect(access.uri(path), uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return True


def read_only_access(path: Path) -> ReadOnlyAccess:
    """How to open ``path`` read-only, or :class:`DatabaseError` saying why it is not safe."""
    from app.lease import is_stale, read_lease

    name = str(path)
    if _size(Path(f"{name}-journal")):
        raise DatabaseError(INTERRUPTED, path=name)
    shared = ReadOnlyAccess("mode=ro", OPEN_READ_ONLY.format(path=name))
    if _opens(shared, path):
        return shared
    if _size(Path(f"{name}-wal")):
        raise DatabaseError(WAL_PENDING, path=name)
    if not read_only_media(path) or is_network_path(path):
        raise DatabaseError(OTHERS_MAY_WRITE, path=name, folder=str(path.parent))
    holder = read_lease(path)
    if holder is not None and not is_stale(holder):
        raise DatabaseError(IN_USE, path=name, holder=holder.describe())
    return ReadOnlyAccess("immutable=1", OPEN_READ_ONLY.format(path=name) + SNAPSHOT)
