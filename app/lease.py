"""Application lease: which workstation has a database open for writing.

SQLite locks only for the length of a transaction; it does not tell a second workstation that
somebody is already working in the file. The lease is a small JSON file beside the database
(``<base>.lease``: host, user, PID, start and last heartbeat). It is written whole under a
temporary name (0600, synced) then linked into place only if no lease exists (``link``, or
``O_EXCL`` where the medium has no hard links), refreshed by a heartbeat (written whole,
then renamed), and removed on close: a full disk never leaves a half-written lease. A second workstation that finds
a live lease is told "Base utilisée par … depuis …" and may open read-only or wait; a lease
whose heartbeat is older than the expiry is *stale* (crashed workstation) and may be taken
over, but only when the caller asks for it explicitly (after the user confirmed).

A file rather than a table: it must be readable when the database itself is locked, damaged
or opened read-only, and must not add writes to the database.
"""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import json
import os
import socket
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from app.errors import PropreoError, StorageError
from app.storage import raise_storage_error, write_file

DEFAULT_TTL = dt.timedelta(minutes=2)
HEARTBEAT_EVERY = dt.timedelta(seconds=30)


class LeaseHeld(PropreoError):
    """Another workstation holds the database."""

    def __init__(self, holder: LeaseInfo, *, stale: bool) -> None:
        super().__init__(
            "{text}{extra}",
            text=holder.describe(),
            extra=" (session interrompue, reprise possible)." if stale else ".",
        )
        self.holder = holder
        self.stale = stale


@dataclass(frozen=True)
class LeaseInfo:
    host: str
    user: str
    pid: int
    since: str  # ISO, UTC
    heartbeat: str  # ISO, UTC
    token: str

    def describe(self) -> str:
        since = dt.datetime.fromisoformat(self.since).astimezone()
        return (
            f"Base utilisée par {self.user or 'un utilisateur'} sur le poste {self.host} "
            f"depuis le {since:%d/%m/%Y à %H:%M}"
        )

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - dt.datetime.fromisoformat(self.heartbeat)


def lease_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lease")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def read_lease(db_path: Path) -> LeaseInfo | None:
    """The current lease, or None (no file, or a half-written/unreadable one)."""
    try:
        data = json.loads(lease_path(db_path).read_text(encoding="utf-8"))
        return LeaseInfo(**{k: data[k] for k in LeaseInfo.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def is_stale(
    info: LeaseInfo, *, ttl: dt.timedelta = DEFAULT_TTL, now: dt.datetime | None = None
) -> bool:
    """Expired heartbeat; on this very host a dead PID is stale at once."""
    now = now or _now()
    if info.host == socket.gethostname() and not _pid_alive(info.pid):
        return True
    return info.age(now) > ttl


@dataclass
class Lease:
    """A lease we hold. Call :meth:`heartbeat` regularly and :meth:`release` on close."""

    db_path: Path
    info: LeaseInfo

    def heartbeat(self, now: dt.datetime | None = None) -> bool:
        """Refresh the heartbeat; False if the lease was taken over meanwhile."""
        current = read_lease(self.db_path)
        if current is None or current.token != self.info.token:
            return False
        info = LeaseInfo(**{**asdict(self.info), "heartbeat": (now or _now()).isoformat()})
        try:
            _write_replace(lease_path(self.db_path), info)
        except StorageError:
            return True  # disk full: the previous lease stays whole, the next beat retries
        self.info = info
        return True

    def release(self) -> None:
        current = read_lease(self.db_path)
        if current is not None and current.token == self.info.token:
            lease_path(self.db_path).unlink(missing_ok=True)


def _payload(info: LeaseInfo) -> bytes:
    return json.dumps(asdict(info), ensure_ascii=False).encode()


def _write_replace(target: Path, info: LeaseInfo) -> None:
    write_file(target, _payload(info))


# A medium without hard links (FAT, some network shares) refuses ``link`` with these.
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK}


def _create(target: Path, info: LeaseInfo) -> bool:
    """Put the lease ``info`` at ``target`` whole, only if there is none (False then).
    A refused write (full disk, read-only medium) becomes :class:`StorageError` and
    leaves nothing behind."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise_storage_error(exc, target)
        raise
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_payload(info))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)  # atomic and never replaces an existing lease
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            return _create_exclusive(target, info)
        return True
    except OSError as exc:
        raise_storage_error(exc, target)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def _create_exclusive(target: Path, info: LeaseInfo) -> bool:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_payload(info))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        target.unlink(missing_ok=True)  # ours, half-written: not left behind
        raise
    return True


def acquire(
    db_path: Path,
    *,
    take_over: bool = False,
    ttl: dt.timedelta = DEFAULT_TTL,
    user: str | None = None,
    now: dt.datetime | None = None,
) -> Lease:
    """Take the lease of ``db_path`` or raise :class:`LeaseHeld`.

    ``take_over`` replaces a *stale* lease only (after the user confirmed); a live one is
    never taken over.
    """
    now = now or _now()
    info = LeaseInfo(
        host=socket.gethostname(),
        user=user if user is not None else _login(),
        pid=os.getpid(),
        since=now.isoformat(),
        heartbeat=now.isoformat(),
        token=uuid.uuid4().hex,
    )
    target = lease_path(db_path)
    for _attempt in range(3):
        if not _create(target, info):
            holder = read_lease(db_path)
            if holder is None:
                # Half-written by a process killed at that instant, or being replaced.
                if _unreadable_for_long(target, now, ttl):
                    target.unlink(missing_ok=True)
                continue
            mine = holder.host == info.host and holder.pid == info.pid
            stale = is_stale(holder, ttl=ttl, now=now)
            if not (mine or (stale and take_over)):
                raise LeaseHeld(holder, stale=stale) from None
            _write_replace(target, info)
            if (read_lease(db_path) or holder).token != info.token:
                continue
            return Lease(db_path, info)
        return Lease(db_path, info)
    holder = read_lease(db_path)
    if holder is not None:
        raise LeaseHeld(holder, stale=is_stale(holder, ttl=ttl, now=now))
    raise PropreoError("Impossible de prendre le verrou de la base « {path} ».", path=str(db_path))


def _unreadable_for_long(target: Path, now: dt.datetime, ttl: dt.timedelta) -> bool:
    try:
        mtime = dt.datetime.fromtimestamp(target.stat().st_mtime, dt.UTC)
    except OSError:
        return False
    return now - mtime > ttl


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name on some service accounts
        return ""
