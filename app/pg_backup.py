"""Backups of a PostgreSQL firm with the engine's own tools: ``pg_dump`` in the custom
format (compressed, restorable table by table with ``pg_restore``), read back entirely
after writing, plus a copy of the firm's files folder beside it.

The connection goes to the tools through the libpq environment (``PGHOST``, ``PGUSER``,
``PGPASSWORD``…), never on their command line: a password appears neither in the process
list nor in any message (URLs are printed masked, :func:`app.db.masked`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL, Connection, make_url

from app.errors import DatabaseError, NumbersWouldBeLost
from app.fs import unused_name
from app.storage import copy_folder

if TYPE_CHECKING:
    from app.db import Database

SUFFIX = ".dump"


def tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: on the PATH, else the newest Debian-installed one."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise DatabaseError(
        "Outil « {tool} » introuvable : installez les outils clients de PostgreSQL "
        "(paquet Debian postgresql-client).",
        tool=name,
    )


def libpq_env(url: str | URL) -> dict[str, str]:
    """The environment the PostgreSQL tools need to reach the database of ``url``."""
    parsed = make_url(url) if isinstance(url, str) else url
    env = dict(os.environ)
    values = {
        "PGHOST": parsed.host or parsed.query.get("host"),
        "PGPORT": parsed.port or parsed.query.get("port"),
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    for key, value in values.items():
        if isinstance(value, tuple):
            value = value[0]
        if value not in (None, ""):
            env[key] = str(value)
    return env


def run_tool(name: str, args: list[str], url: str | URL) -> str:
    """Run a PostgreSQL tool; its error output (never holding the password) on failure."""
    done = subprocess.run(
        [tool(name), *args], env=libpq_env(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise DatabaseError(
            "{tool} a échoué : {error}", tool=name, error=done.stderr.strip()[-800:]
        )
    return done.stdout


def dump(url: str | URL, out: Path) -> Path:
    """``pg_dump`` of the database at ``url`` into ``out`` (custom format), verified."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    tmp.unlink(missing_ok=True)
    try:
        run_tool(
            "pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "-f", str(tmp)], url
        )
        problems = verify_dump(tmp)
        if problems:
            raise DatabaseError(
                "La sauvegarde écrite est invalide : {problems}", problems="; ".join(problems)
            )
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def dump_tables(path: Path) -> set[str]:
    """The tables whose data a dump holds (its table of contents)."""
    listing = run_tool("pg_restore", ["--list", str(path)], "postgresql://")
    tables = set()
    for line in listing.splitlines():
        parts = line.split()
        # "215; 0 16390 TABLE DATA public invoices propreo"
        if "TABLE DATA" in line and len(parts) >= 7:
            tables.add(parts[parts.index("DATA") + 2])
    return tables


def verify_dump(path: Path) -> list[str]:
    """A dump is readable from end to end (every table's data decompressed by
    ``pg_restore`` into nothing) and holds the invoices and the hash-chain tables."""
    try:
        run_tool("pg_restore", ["--file", os.devnull, str(path)], "postgresql://")
        tables = dump_tables(path)
    except DatabaseError as exc:
        return [f"Sauvegarde PostgreSQL illisible : {exc}"]
    missing = sorted({"invoices", "issued_numbers", "archived_documents"} - tables)
    return [f"Table absente de la sauvegarde : {name}" for name in missing]


def restore_dump(path: Path, url: str | URL) -> None:
    """Replace the contents of the database at ``url`` by the dump ``path``, all or
    nothing (one transaction)."""
    run_tool(
        "pg_restore",
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            make_url(url).database or "",
            str(path),
        ],
        url,
    )


def copy_rows(path: Path, table: str) -> list[dict[str, str | None]]:
    """The rows of ``table`` in a dump, read from the ``COPY`` text ``pg_restore`` writes
    (no database needed): one dict per row, column name → text (``None`` for NULL)."""
    script = run_tool(
        "pg_restore", ["--data-only", "--table", table, "--file", "-", str(path)], "postgresql://"
    )
    lines = iter(script.split("\n"))
    for line in lines:
        if line.startswith("COPY ") and line.endswith(" FROM stdin;"):
            columns = [
                c.strip().strip('"')
                for c in line[line.index("(") + 1 : line.rindex(")")].split(",")
            ]
            break
    else:
        return []
    rows = []
    for line in lines:
        if line == "\\.":
            break
        rows.append(dict(zip(columns, (_copy_value(v) for v in line.split("\t")), strict=True)))
    return rows


def _copy_value(text: str) -> str | None:
    if text == "\\N":
        return None
    if "\\" not in text:
        return text
    # the sequences COPY TO writes (it never writes octal or hex ones)
    escapes = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "\\": "\\"}
    out, chars = [], iter(text)
    for char in chars:
        out.append(escapes.get(next(chars, ""), "") if char == "\\" else char)
    return "".join(out)


def dump_summary(path: Path) -> tuple[dict[str, int], str]:
    """Clients, contracts and issued invoices a dump holds, and its last invoice number."""
    invoices = [r for r in copy_rows(path, "invoices") if r.get("status") == "issued"]
    counts = {
        "clients": len(copy_rows(path, "clients")),
        "contracts": len(copy_rows(path, "contracts")),
        "invoices": len(invoices),
    }
    last = max(invoices, key=lambda r: int(r.get("chain_index") or 0), default={})
    return counts, last.get("number") or ""


@contextlib.contextmanager
def writers_held(db: Database, wait_s: float) -> Iterator[Connection]:
    """The writers' lock of every workstation (the key their write transactions take,
    :data:`app.db.WRITE_LOCK_KEY`), held by this session until the block ends: writers
    wait meanwhile. Refused after ``wait_s`` seconds while another writes."""
    from sqlalchemy.exc import OperationalError

    from app.db import WRITE_LOCK_KEY, is_busy

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"SET lock_timeout = {int(wait_s * 1000)}")
        try:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({WRITE_LOCK_KEY})")
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            raise DatabaseError(
                "Une autre opération écrit dans la base (facturation, émission, saisie…) : "
                "restauration refusée. Réessayez quand elle sera terminée."
            ) from None
        try:
            yield conn
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({WRITE_LOCK_KEY})")


def restore_firm(
    url: str, backup: Path, *, lose_numbers: bool = False, wait_s: float = 5.0
) -> Path:
    """Replace the PostgreSQL firm at ``url`` by the dump ``backup`` (refused unless it
    verifies), after a safety dump of the base as it was (returned); the firm keeps its
    shared files folder, into which the backup's files are copied back.

    Like a SQLite restore: done while holding the writers' lock (no run can commit
    between the comparison, the safety dump and the replacement), and refused when the
    dump lacks numbers the base has already given (:class:`app.errors.NumbersWouldBeLost`)
    unless ``lose_numbers``."""
    import datetime as dt

    from app.db import open_database
    from app.file_store import configured_folder, set_files_dir

    problems = verify_dump(backup)
    if problems:
        raise DatabaseError(
            "Restauration refusée, la sauvegarde est invalide : {problems}",
            problems="; ".join(problems),
        )
    kept = {r["number"] for r in copy_rows(backup, "issued_numbers")}
    db = open_database(url)
    try:
        folder = configured_folder(db)
        with writers_held(db, wait_s) as conn:
            given = conn.exec_driver_sql("SELECT number FROM issued_numbers ORDER BY id")
            lost = [number for (number,) in given if number not in kept]
            if lost and not lose_numbers:
                raise NumbersWouldBeLost(lost)
            stem = f"{make_url(url).database}-{dt.datetime.now():%Y%m%d-%H%M%S}-avant"
            safety = dump(db.engine.url, unused_name(backup.parent, stem, SUFFIX))
            restore_dump(backup, url)
    finally:
        db.dispose()
    db = open_database(url)
    try:
        if folder:
            set_files_dir(db, folder)
        files = backup.with_name(backup.name + ".files")
        if files.is_dir():
            copy_folder(files, db.files_dir, merge=True)  # whole or not at all
    finally:
        db.dispose()
    return safety
