"""Backups of a PostgreSQL firm with the engine's own tools: ``pg_dump`` in the custom
format (compressed, restorable table by table with ``pg_restore``), read back entirely
after writing, plus a copy of the firm's files folder beside it.

The connection goes to the tools through the libpq environment (``PGHOST``, ``PGUSER``,
``PGPASSWORD``…), never on their command line: a password appears neither in the process
list nor in any message (URLs are printed masked, :func:`app.db.masked`).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from app.errors import DatabaseError

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


def restore_firm(url: str, backup: Path) -> Path:
    """Replace the PostgreSQL firm at ``url`` by the dump ``backup`` (refused unless it
    verifies), after a safety dump of the base as it was (returned); the firm keeps its
    shared files folder, into which the backup's files are copied back."""
    import datetime as dt

    from app.db import open_database
    from app.file_store import configured_folder, set_files_dir

    problems = verify_dump(backup)
    if problems:
        raise DatabaseError(
            "Restauration refusée, la sauvegarde est invalide : {problems}",
            problems="; ".join(problems),
        )
    db = open_database(url)
    try:
        folder = configured_folder(db)
        name = f"{make_url(url).database}-{dt.datetime.now():%Y%m%d-%H%M%S}-avant{SUFFIX}"
        safety = dump(db.engine.url, backup.parent / name)
    finally:
        db.dispose()
    restore_dump(backup, url)
    db = open_database(url)
    try:
        if folder:
            set_files_dir(db, folder)
        files = backup.with_name(backup.name + ".files")
        if files.is_dir():
            shutil.copytree(files, db.files_dir, dirs_exist_ok=True)
    finally:
        db.dispose()
    return safety


def cmd_restore_pg(url: str, backup: Path, *, yes: bool) -> int:
    from app.db import masked

    if not backup.is_file():
        raise DatabaseError("La sauvegarde « {path} » n'existe pas.", path=str(backup))
    problems = verify_dump(backup)
    print(f"Sauvegarde PostgreSQL : {backup.name} ({backup.stat().st_size // 1024} Ko)")
    print("Vérification : " + ("; ".join(problems) if problems else "aucune anomalie."))
    if problems:
        print("Restauration refusée : la sauvegarde ne passe pas la vérification.")
        return 1
    if not yes:
        answer = input(f"Remplacer le contenu de « {masked(url)} » par cette sauvegarde ? [o/N] ")
        if answer.strip().lower() not in ("o", "oui", "y"):
            return 1
    safety = restore_firm(url, backup)
    print(f"Base restaurée. Copie de sécurité de la base remplacée : {safety}")
    return 0
