"""Where files live, and whether a path lies on a network share."""

from __future__ import annotations

import os
import sys
from pathlib import Path

NETWORK_FS_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "9p",
        "afs",
        "ncpfs",
        "davfs",
        "fuse.davfs2",
        "glusterfs",
        "ceph",
        "lustre",
        "fuse.rclone",
    }
)


def user_data_dir() -> Path:
    from platformdirs import user_data_dir as _udd

    return Path(os.environ.get("PROPREO_DATA_DIR") or _udd("Propreo", "Propreo"))


def default_db_path() -> Path:
    return user_data_dir() / "propreo.db"


def _linux_mounts() -> list[tuple[str, str]]:
    try:
        text = Path("/proc/self/mounts").read_text()
    except OSError:
        return []
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            mounts.append((parts[1].replace("\\040", " "), parts[2]))
    return mounts


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding ``path`` on Linux ('' when unknown)."""
    target = str(path.resolve())
    best, fstype = "", ""
    for mount_point, kind in _linux_mounts():
        prefix = mount_point.rstrip("/") + "/"
        if (target == mount_point or target.startswith(prefix) or mount_point == "/") and len(
            mount_point
        ) > len(best):
            best, fstype = mount_point, kind
    return fstype


def is_network_path(path: Path) -> bool:
    """True for a UNC path or mapped network drive (Windows) or an NFS/SMB mount (Linux)."""
    if os.environ.get("PROPREO_ASSUME_NETWORK") == "1":
        return True
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        drive = os.path.splitdrive(os.path.abspath(text))[0]
        if drive:
            drive_remote = 4
            return ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == drive_remote
        return False
    return filesystem_type(path.parent if not path.exists() else path) in NETWORK_FS_TYPES


def attachments_dir(db_path: Path) -> Path:
    """Photo/attachment/archive store kept beside the database file (shared with it)."""
    return db_path.with_name(db_path.name + ".files")


def unused_name(folder: Path, stem: str, suffix: str) -> Path:
    """``stem + suffix`` in ``folder``, or ``stem-2 + suffix``… when taken (two safety
    copies in the same second never overwrite each other)."""
    path, n = folder / f"{stem}{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path
