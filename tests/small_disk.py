"""A real small filesystem for the disk-full / read-only tests (issue T §9).

A command runs in a private mount namespace (``unshare -m``; ``unshare -rm`` for a user
without privileges) where a tmpfs of a few hundred KiB is mounted on ``disk``: it can be
filled up to the last bytes, or mounted read-only. The mount disappears with the process.
Skipped where the system allows neither.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILLER = "remplissage"


@functools.cache
def _unshare() -> list[str] | None:
    probe = Path(f"/tmp/propreo-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
            try:
                done = subprocess.run(
                    [*prefix, "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
                    capture_output=True,
                    timeout=30,
                )
            except OSError:
                return None
            if done.returncode == 0:
                return prefix
        return None
    finally:
        probe.rmdir()


def propreo(*args: str) -> str:
    """The shell words running ``propreo ARGS`` from this checkout."""
    return shlex.join([sys.executable, "-m", "app", *args])


def on_small_disk(
    disk: Path,
    script: str,
    *,
    size_kb: int = 512,
    free_kb: int | None = 0,
    read_only: bool = False,
    before: str = "",
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (shell) with a tmpfs of ``size_kb`` on ``disk``: ``before`` runs
    first (copy a base onto it…), then the disk is filled until ``free_kb`` KiB are left
    (``None``: not filled) or remounted read-only. ``$DISK`` names the folder."""
    prefix = _unshare()
    if prefix is None:
        pytest.skip("no private mount namespace here (unshare -m / -rm refused)")
    disk.mkdir(parents=True, exist_ok=True)
    fill = ""
    if free_kb is not None and not read_only:
        fill = (
            f'dd if=/dev/zero of="$DISK/{FILLER}" bs=1k 2>/dev/null || true; '
            f'truncate -s -{free_kb}k "$DISK/{FILLER}"; '
            if free_kb
            else f'dd if=/dev/zero of="$DISK/{FILLER}" bs=1k 2>/dev/null || true; '
        )
    remount = 'mount -o remount,ro "$DISK"; ' if read_only else ""
    body = (
        f"DISK={shlex.quote(str(disk))}; mount -t tmpfs -o size={size_kb}k,mode=0700 tmpfs "
        f'"$DISK" && {{ {before}\n{fill}{remount}\n{script}\n}}'
    )
    return subprocess.run(
        [*prefix, "sh", "-c", body],
        cwd=ROOT,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "HOME": str(disk.parent),
            "QT_QPA_PLATFORM": "offscreen",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )


def left_on() -> str:
    """Shell that prints what is on the disk besides the filler, one name a line."""
    return f'find "$DISK" -mindepth 1 ! -name {FILLER} | sed "s#^$DISK/##" | sort'


@contextlib.contextmanager
def mounted(folder: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` mounted on ``folder`` for the test process itself (root
    only, else skipped), unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small filesystem in the test process needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)],
        capture_output=True,
    )
    if done.returncode:
        pytest.skip(f"mount refused: {done.stderr.decode(errors='replace')}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder: Path, free_kb: int = 0) -> None:
    """Fill the filesystem of ``folder`` to its last byte, then give ``free_kb`` back."""
    filler = folder / FILLER
    with contextlib.suppress(OSError), open(filler, "ab") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()
    if free_kb:
        os.truncate(filler, max(0, filler.stat().st_size - free_kb * 1024))


def remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)


def files_on(folder: Path) -> list[str]:
    """Every file and folder under ``folder`` but the filler, relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name != FILLER)
