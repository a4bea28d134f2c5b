"""Automatic rotating backups, start-up verification and restore.

* :func:`auto_backup` writes a verified copy (SQLite backup API, safe while another process
  writes; ``integrity_check`` and the invoice hash chain re-verified on the copy; the
  attachment store copied beside it) into ``<dossier de la base>/sauvegardes``, then
  :func:`rotate` keeps the newest copy of each of the last N days, weeks and months.
* :func:`startup_check` runs at start-up: ``quick_check`` + hash chain + archived PDF hashes,
  and the full ``propreo check`` once a week. A failed check opens the base read-only and the
  window proposes a restore.
* :func:`restore` replaces the base by a backup after a safety copy of the current file
  (``…-avant-restauration-…``); :func:`preview` says what the backup holds beforehand.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.cli_parser import db_target
from app.db import Database, open_database
from app.errors import DatabaseError, NumbersWouldBeLost
from app.fs import unused_name
from app.pg_backup import SUFFIX, dump, dump_summary, restore_firm, verify_dump
from app.storage import copy_folder, copy_tree, folder_written, raise_storage_error, written

BACKUP_DIR_NAME = "sauvegardes"
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 5, 12
FULL_CHECK_EVERY = dt.timedelta(days=7)
_SAFETY = re.compile(r"-\d{6}-avant(?:-\d+)?\.(?:db|dump)$")  # copies taken before a restore
_STAMP = re.compile(r"-(\d{8}-\d{6})(?:-[a-z]+)?(?:-(\d+))?\.(?:db|dump)$")


def backup_database(db: Database, out: Path) -> Path:
    """Copy the live database to ``out`` (a file path) and verify the copy.

    Safe while other processes write: the backup API copies a consistent snapshot.
    The attachment store beside the database is copied too. A PostgreSQL base is dumped
    with ``pg_dump`` (:mod:`app.pg_backup`) and its shared files folder copied the same way.
    """
    if db.path is None:
        dump(db.engine.url, out)
        _copy_files(db, out)
        return out
    try:
        out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # A name of its own (two backups in the same second never share one), readable by
        # the user alone, removed whatever happens before it is moved into place.
        fd, name = tempfile.mkstemp(prefix=out.name + ".", suffix=".part", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise_storage_error(exc, out)
        raise
    tmp = Path(name)
    try:
        src = sqlite3.connect(str(db.path), timeout=30)
        try:
            dst = sqlite3.connect(str(tmp))
            try:
                src.backup(dst, pages=1024)
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        problems = verify_backup(tmp)
        if problems:
            raise DatabaseError(
                "La sauvegarde écrite est invalide : {problems}", problems="; ".join(problems)
            )
        tmp.replace(out)
    except (sqlite3.Error, OSError) as exc:
        raise_storage_error(exc, out)  # full disk, read-only media: one French sentence
        raise DatabaseError(
            "Sauvegarde impossible vers « {path} » : {error}", path=str(out), error=exc
        ) from exc
    finally:
        for left in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            left.unlink(missing_ok=True)  # a copy the disk refused leaves its journal
    _copy_files(db, out)
    return out


def _copy_files(db: Database, out: Path) -> None:
    """The attachment store beside the copy; if the disk refuses it, the copy of the base
    goes too: a backup is whole or absent."""
    files = db.files_dir
    if files.exists():
        try:
            copy_folder(files, out.with_name(out.name + ".files"))
        except BaseException:  # StorageError (full disk…) or any other: no half backup
            out.unlink(missing_ok=True)
            raise


def verify_backup(path: Path) -> list[str]:
    conn = sqlite3.connect(str(path))
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def backup_file_name(db: Database, when: dt.datetime | None = None) -> str:
    when = when or dt.datetime.now()
    if db.path is None:
        return f"{db.engine.url.database or 'propreo'}-{when:%Y%m%d-%H%M%S}{SUFFIX}"
    return f"{db.path.stem}-{when:%Y%m%d-%H%M%S}.db"


def backups_dir(db_path: Path) -> Path:
    return db_path.parent / BACKUP_DIR_NAME


def backups_folder(db: Database) -> Path:
    """Where the automatic backups of ``db`` go: beside a SQLite file; for a PostgreSQL
    firm beside its shared files folder, which every workstation reaches (so a restore
    can be made from any of them)."""
    if db.path is not None:
        return backups_dir(db.path)
    return db.files_dir.parent / BACKUP_DIR_NAME


def backup_stem(db: Database) -> str:
    """The name backups of ``db`` start with: the file's stem, or the server database's."""
    return db.path.stem if db.path is not None else (db.engine.url.database or "propreo")


def _suffix(db: Database) -> str:
    return ".db" if db.path is not None else SUFFIX


def _stamp(path: Path) -> dt.datetime | None:
    match = _STAMP.search(path.name)
    return dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S") if match else None


def list_backups(folder: Path, stem: str) -> list[Path]:
    """Backups of base ``stem`` in ``folder`` (SQLite copies or PostgreSQL dumps), newest
    first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{stem}-*.d*") if p.is_file() and _stamp(p) is not None]
    return sorted(found, key=_order, reverse=True)


def _order(path: Path) -> tuple[dt.datetime, int]:
    """Stamp, then the rank ``-2``, ``-3``… two backups of the same second were given."""
    match = _STAMP.search(path.name)
    rank = int(match.group(2)) if match and match.group(2) else 1
    return _stamp(path) or dt.datetime.min, rank


def verify_copy(path: Path) -> list[str]:
    """Problems of a backup file: SQLite integrity, then the invoice hash chain (a
    PostgreSQL dump: read back entirely, see :func:`app.pg_backup.verify_dump`)."""
    if path.suffix == SUFFIX:
        return verify_dump(path)
    try:
        problems = verify_backup(path)
    except sqlite3.DatabaseError as exc:  # not a database, or damaged beyond reading
        return [f"Fichier illisible : {exc}"]
    if problems:
        return [f"Intégrité SQLite : {p}" for p in problems]
    from app.billing.chain import verify_chain

    copy = open_database(path, read_only=True, create=False)
    try:
        with copy.read() as session:
            return [f"Chaînage des factures : {p}" for p in verify_chain(session)]
    except Exception as exc:  # an unrelated or truncated database
        return [f"Sauvegarde illisible : {exc}"]
    finally:
        copy.dispose()


def make_backup(db: Database, *, now: dt.datetime | None = None, tag: str = "") -> Path:
    """One verified backup into the base's backup folder (a ``pg_dump`` for PostgreSQL)."""
    now = now or dt.datetime.now()
    folder = backups_folder(db)
    stem = f"{backup_stem(db)}-{now:%Y%m%d-%H%M%S}{'-' + tag if tag else ''}"
    suffix = _suffix(db)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name, n = f"{stem}{suffix}", 1
    while True:  # the name is reserved atomically: another backup in the same second
        try:
            (folder / name).touch(mode=0o600, exist_ok=False)
            break
        except FileExistsError:
            n += 1
            name = f"{stem}-{n}{suffix}"
    try:
        target = backup_database(db, folder / name)
    except BaseException:
        _remove(folder / name)
        raise
    problems = verify_copy(target)
    if problems:
        _remove(target)
        raise DatabaseError(
            "La sauvegarde écrite est invalide : {problems}", problems="; ".join(problems)
        )
    return target


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    files = path.with_name(path.name + ".files")
    if files.exists():
        shutil.rmtree(files, ignore_errors=True)


def rotate(
    folder: Path,
    stem: str,
    *,
    daily: int = KEEP_DAILY,
    weekly: int = KEEP_WEEKLY,
    monthly: int = KEEP_MONTHLY,
) -> list[Path]:
    """Keep the newest backup of each of the last ``daily`` days, ``weekly`` ISO weeks and
    ``monthly`` months (and always the newest one); delete the others. Returns the deleted.
    Safety copies taken before a restore (tag ``avant``) are never deleted here."""
    backups = [p for p in list_backups(folder, stem) if not _SAFETY.search(p.name)]
    keep: set[Path] = set(backups[:1])
    for width, key in (
        (daily, lambda d: d.date()),
        (weekly, lambda d: d.isocalendar()[:2]),
        (monthly, lambda d: (d.year, d.month)),
    ):
        seen: list[Any] = []
        for path in backups:  # newest first: the first of each bucket is its newest
            bucket = key(_stamp(path))
            if bucket not in seen:
                seen.append(bucket)
                if len(seen) <= width:
                    keep.add(path)
    deleted = [p for p in backups if p not in keep]
    for path in deleted:
        _remove(path)
    return deleted


def auto_backup(db: Database, *, reason: str, now: dt.datetime | None = None) -> Path | None:
    """Backup ``at close`` (always) or ``daily`` (once per calendar day), then rotate."""
    if db.read_only:
        return None
    now = now or dt.datetime.now()
    folder, stem = backups_folder(db), backup_stem(db)
    if reason == "daily":
        latest = next(iter(list_backups(folder, stem)), None)
        if latest is not None and (_stamp(latest) or dt.datetime.min).date() == now.date():
            return None
    target = make_backup(db, now=now)
    rotate(folder, stem)
    return target


# --- start-up verification ---------------------------------------------------------------


@dataclass
class StartupReport:
    full: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        kind = "Contrôle complet" if self.full else "Contrôle rapide"
        if self.ok:
            return f"{kind} de la base : aucune anomalie."
        return f"{kind} de la base : {len(self.problems)} anomalie(s).\n" + "\n".join(
            f"• {p}" for p in self.problems
        )


def _marker(db: Database) -> Path:
    """When the last full check passed: beside a SQLite file, in a PostgreSQL firm's
    backups folder."""
    if db.path is not None:
        return db.path.with_name(db.path.name + ".verif.json")
    return backups_folder(db) / f"{backup_stem(db)}.verif.json"


def startup_check(db: Database, *, now: dt.datetime | None = None) -> StartupReport:
    """Quick check at every start; the full ``check`` when the last one is a week old."""
    from app.check import run_checks

    now = now or dt.datetime.now()
    last: dt.datetime | None = None
    try:
        last = dt.datetime.fromisoformat(json.loads(_marker(db).read_text())["full"])
    except (OSError, ValueError, KeyError, DatabaseError):
        last = None
    full = last is None or now - last >= FULL_CHECK_EVERY
    report = StartupReport(full=full)
    if full:
        report.problems = run_checks(db).problems
    else:
        report.problems = quick_problems(db)
    if full and report.ok:
        # A read-only folder: the full check simply runs again next time.
        with contextlib.suppress(OSError, DatabaseError):
            marker = _marker(db)
            marker.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            marker.write_text(json.dumps({"full": now.isoformat()}))
    return report


def quick_problems(db: Database) -> list[str]:
    """``quick_check``, the invoice hash chain and the archived PDF hashes."""
    from app.billing.chain import verify_chain
    from app.documents.archive import check_archives

    problems: list[str] = []
    if db.is_sqlite:
        with db.engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check")]
        if rows != ["ok"]:
            return [f"Intégrité SQLite : {r}" for r in rows]
    with db.read() as session:
        problems += [f"Chaînage des factures : {p}" for p in verify_chain(session)]
        problems += [f"Archives des documents : {p}" for p in check_archives(session)]
    return problems


# --- restore -------------------------------------------------------------------------------


@dataclass
class RestorePreview:
    path: Path
    taken_at: str
    size: int
    counts: dict[str, int]
    last_invoice: str
    problems: list[str]

    def text(self) -> str:
        lines = [
            f"Sauvegarde : {self.path.name} ({self.size // 1024} Ko) du {self.taken_at}",
            f"Clients : {self.counts.get('clients', 0)}, contrats : "
            f"{self.counts.get('contracts', 0)}, factures émises : "
            f"{self.counts.get('invoices', 0)} (dernière : {self.last_invoice or '—'})",
        ]
        lines.append(
            "Vérification : aucune anomalie."
            if not self.problems
            else "Vérification : " + "; ".join(self.problems)
        )
        return "\n".join(lines)


def preview(path: Path) -> RestorePreview:
    """What a backup holds, read without changing it."""
    if not path.is_file():
        raise DatabaseError("La sauvegarde « {path} » n'existe pas.", path=str(path))
    problems = verify_copy(path)
    stamp = _stamp(path)
    taken = stamp.strftime("%d/%m/%Y %H:%M") if stamp else "date inconnue"
    if path.suffix == SUFFIX:
        summary, newest = dump_summary(path) if not problems else ({}, "")
        return RestorePreview(path, taken, path.stat().st_size, summary, newest, problems)
    counts: dict[str, int] = {}
    last = ""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for key, sql in (
            ("clients", "SELECT count(*) FROM clients"),
            ("contracts", "SELECT count(*) FROM contracts"),
            ("invoices", "SELECT count(*) FROM invoices WHERE status='issued'"),
        ):
            try:
                counts[key] = int(conn.execute(sql).fetchone()[0])
            except sqlite3.Error:
                counts[key] = 0
        try:
            row = conn.execute(
                "SELECT number FROM invoices WHERE status='issued' "
                "ORDER BY chain_index DESC LIMIT 1"
            ).fetchone()
            last = row[0] if row else ""
        except sqlite3.Error:
            last = ""
    finally:
        conn.close()
    return RestorePreview(path, taken, path.stat().st_size, counts, last, problems)


LOCK_WAIT_S = 5.0


def _lock(db_path: Path) -> sqlite3.Connection:
    """The base's write lock (``BEGIN IMMEDIATE``), refused while another process writes."""
    conn = sqlite3.connect(str(db_path), timeout=LOCK_WAIT_S, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        conn.close()
        raise DatabaseError(
            "Une autre opération écrit dans la base (facturation, émission, saisie…) : "
            "restauration refusée. Réessayez quand elle sera terminée."
        ) from None
    return conn


def lost_numbers(lock: sqlite3.Connection, backup: Path) -> list[str]:
    """Numbers given in the base (register of issued numbers) that the backup lacks."""
    # attached for the rest of the lock's life (a read table cannot be detached in it)
    lock.execute("ATTACH DATABASE ? AS restored", (str(backup),))
    try:
        rows = lock.execute(
            "SELECT number FROM main.issued_numbers WHERE number NOT IN "
            "(SELECT number FROM restored.issued_numbers) ORDER BY id"
        ).fetchall()
    except sqlite3.Error:
        rows = []
    return [r[0] for r in rows]


def restore(
    db_path: Path, backup: Path, *, now: dt.datetime | None = None, lose_numbers: bool = False
) -> Path:
    """Replace the base at ``db_path`` by ``backup``; returns the safety copy of the base
    as it was. Refused when the backup does not verify, while another process writes
    (the comparison and the safety copy are made under the base's write lock), and when
    the backup lacks numbers the base has given, unless ``lose_numbers`` (the user saw
    the list: :class:`NumbersWouldBeLost`)."""
    problems = verify_copy(backup)
    if problems:
        raise DatabaseError(
            "Restauration refusée, la sauvegarde est invalide : {problems}",
            problems="; ".join(problems),
        )
    now = now or dt.datetime.now()
    safety: Path | None = None
    if db_path.exists():
        lock = _lock(db_path)
        try:
            lost = lost_numbers(lock, backup)
            if lost and not lose_numbers:
                raise NumbersWouldBeLost(lost)
            safety = _safety_copy(db_path, now)
        finally:
            lock.rollback()
            lock.close()
    files_src = backup.with_name(backup.name + ".files")
    files_dst = db_path.with_name(db_path.name + ".files")
    with contextlib.ExitStack() as staged:
        if files_src.exists():  # copied first: a refusal leaves base and folder as they were
            copy_tree(files_src, staged.enter_context(folder_written(files_dst)))
        _replace_base(backup, db_path)
    return safety or backup


def _replace_base(backup: Path, db_path: Path) -> None:
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(str(db_path), timeout=30)
    try:
        src.backup(dst)  # one step: the base is locked while it is replaced
    except sqlite3.Error as exc:
        raise_storage_error(exc, db_path)
        raise
    finally:
        dst.close()
        src.close()


def is_server(target: str | Path) -> bool:
    """``target`` names a database server (a URL other than SQLite's), not a file."""
    text = str(target)
    return "://" in text and not text.startswith("sqlite")


def restore_target(target: str | Path, backup: Path, *, lose_numbers: bool = False) -> Path:
    """:func:`restore` onto a SQLite file, or onto a PostgreSQL firm from a dump
    (:func:`app.pg_backup.restore_firm`, same refusals); returns the safety copy."""
    if is_server(target):
        return restore_firm(str(target), backup, lose_numbers=lose_numbers, wait_s=LOCK_WAIT_S)
    return restore(Path(target), backup, lose_numbers=lose_numbers)


def _safety_copy(db_path: Path, now: dt.datetime) -> Path:
    """The base as it is, beside its backups (read while the caller holds the write lock:
    nothing can be committed in between)."""
    folder = backups_dir(db_path)
    target = unused_name(folder, f"{db_path.stem}-{now:%Y%m%d-%H%M%S}-avant", ".db")
    current = open_database(db_path, create=False)
    try:
        return backup_database(current, target)
    except DatabaseError:
        # A damaged base cannot go through the backup API: keep its raw bytes instead.
        with written(target) as tmp:
            shutil.copyfile(db_path, tmp)
        return target
    finally:
        current.dispose()


# --- CLI -----------------------------------------------------------------------------------


def register(sub: Any) -> None:
    p = sub.add_parser("restore", help="restaurer la base depuis une sauvegarde")
    p.add_argument("--from", dest="source", required=True, metavar="FICHIER")
    p.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    p.add_argument(
        "--lose-numbers",
        action="store_true",
        help="restaurer même si la sauvegarde est antérieure à des numéros déjà attribués",
    )
    p.set_defaults(func=cmd_restore)


def cmd_restore(args: argparse.Namespace) -> int:
    from app.db import masked
    from app.lease import LeaseHeld, acquire

    target = db_target(args)
    info = preview(Path(args.source))
    print(info.text())
    if info.problems:
        print("Restauration refusée : la sauvegarde ne passe pas la vérification.")
        return 1
    if not args.yes:
        answer = input(f"Remplacer « {masked(target)} » par cette sauvegarde ? [o/N] ")
        if answer.strip().lower() not in ("o", "oui", "y"):
            return 1
    lease = None
    if not is_server(target):  # a server base has no lease file; its writers' lock is taken
        try:
            lease = acquire(Path(target))
        except LeaseHeld as held:
            print(f"Restauration impossible : {held}")
            return 2
    try:
        safety = _restore_asking(target, Path(args.source), args)
    except DatabaseError as exc:
        print(f"Restauration refusée : {exc}")
        return 1
    finally:
        if lease is not None:
            lease.release()
    print(f"Base restaurée. Copie de sécurité de la base remplacée : {safety}")
    return 0


def _restore_asking(target: str, source: Path, args: argparse.Namespace) -> Path:
    """:func:`restore_target`; numbers that would be lost are listed and confirmed
    knowingly."""
    try:
        return restore_target(target, source, lose_numbers=args.lose_numbers)
    except NumbersWouldBeLost as lost:
        if args.yes:  # unattended: only with --lose-numbers
            raise
        print(lost)
        answer = input("Restaurer quand même et perdre ces numéros ? Tapez PERDRE : ")
        if answer.strip() != "PERDRE":
            raise DatabaseError("Restauration annulée : aucun numéro perdu.") from None
        return restore_target(target, source, lose_numbers=True)
