"""``propreo transfer``: move a firm from one engine to another, SQLite → PostgreSQL when
it outgrows one file, PostgreSQL → SQLite for a copy that fits in one file.

The target gets the schema through the migrations, then every table's rows in
foreign-key order (same ids), its sequences moved past the copied ids, and the files
copied into its files folder. The target must be empty: nothing is merged. Afterwards
the target is verified: ``check``, the same head of the invoice hash chain, the same
number of rows in every table; any difference is reported and the command fails.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, text

from app.cli import open_db
from app.db import Database, insert_rows, masked, open_database
from app.errors import DatabaseError, ValidationError
from app.storage import copy_folder
from models.base import Base

CHUNK = 5_000


@dataclass
class TransferReport:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    chain_head: str = ""
    problems: list[str] = field(default_factory=list)


def row_counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def chain_head(db: Database) -> str:
    """The hash of the last document of the invoice hash chain ('' before any)."""
    from models.invoices import Invoice

    with db.read() as session:
        return (
            session.scalar(
                select(Invoice.content_hash)
                .where(Invoice.chain_index.is_not(None))
                .order_by(Invoice.chain_index.desc())
                .limit(1)
            )
            or ""
        )


def _copy_rows(source: Database, target: Database) -> None:
    with source.read() as reader, target.write() as writer:
        for table in Base.metadata.sorted_tables:
            result = reader.execute(select(table).order_by(*table.primary_key.columns))
            for chunk in result.mappings().partitions(CHUNK):
                insert_rows(writer, table, [dict(r) for r in chunk])
        if not target.is_sqlite:
            for table in Base.metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement in (True, "auto"):
                    writer.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                            f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                        ),
                        {"t": table.name},
                    )


def _copy_files(source: Database, target: Database) -> int:
    src = source.files_dir
    if not src.is_dir():
        return 0
    return copy_folder(src, target.files_dir, merge=True)  # whole or not at all


def transfer(source: Database, target_text: str, *, files_dir: str | None = None) -> TransferReport:
    """Copy the firm of ``source`` into the empty database ``target_text``, then verify."""
    from app import migrate
    from app.check import run_checks

    target = open_database(target_text)
    try:
        migrate.upgrade(target)
        if files_dir is not None:
            from app.file_store import set_files_dir

            set_files_dir(target, files_dir)
        counts = row_counts(target)
        filled = sorted(name for name, n in counts.items() if n and name != "file_store")
        if filled:
            raise ValidationError(
                "Base cible",
                "{field} : « {url} » n'est pas vide ({tables}…) ; le transfert ne fusionne "
                "pas deux bases, indiquez une base neuve.",
                url=masked(target_text),
                tables=", ".join(filled[:3]),
            )
        target.files_dir  # noqa: B018 - no files folder: stop before copying anything
        folder_row = _file_store_rows(target)
        _copy_rows(source, target)
        _restore_file_store(target, folder_row)
        report = TransferReport(files=_copy_files(source, target))
        report.rows = row_counts(target)
        expected = row_counts(source)
        for name, n in expected.items():
            if name != "file_store" and report.rows.get(name) != n:
                report.problems.append(
                    f"Table {name} : {report.rows.get(name)} ligne(s) au lieu de {n}."
                )
        report.chain_head = chain_head(target)
        if report.chain_head != chain_head(source):
            report.problems.append("La tête du chaînage des factures diffère de la source.")
        report.problems += run_checks(target).problems
        return report
    finally:
        target.dispose()


def _file_store_rows(target: Database) -> list[dict[str, Any]]:
    from models.documents import FileStore

    with target.write() as session:
        rows = [{"folder": f} for f in session.scalars(select(FileStore.folder))]
        session.execute(delete(FileStore))
    return rows


def _restore_file_store(target: Database, rows: list[dict[str, Any]]) -> None:
    """The copied ``file_store`` row names the source's folder: the target keeps its own."""
    from models.documents import FileStore

    if target.is_sqlite:
        with target.write() as session:
            session.execute(delete(FileStore))
        return
    with target.write() as session:
        session.execute(delete(FileStore))
        insert_rows(session, FileStore.__table__, rows)


# --- CLI -----------------------------------------------------------------------------------


def register(sub: Any) -> None:
    p = sub.add_parser(
        "transfer", help="copier la société vers une autre base (SQLite ↔ PostgreSQL)"
    )
    p.add_argument("--to", required=True, metavar="URL", help="base cible, vide")
    p.add_argument(
        "--files", metavar="DOSSIER", help="cible PostgreSQL : dossier partagé des fichiers"
    )
    p.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    p.set_defaults(func=cmd_transfer)


def cmd_transfer(args: argparse.Namespace) -> int:
    from app.cli_parser import db_target

    source = open_db(args)
    try:
        shown = masked(args.to)
        if not args.yes:
            answer = input(
                f"Copier la société de « {masked(db_target(args))} » vers « {shown} » ? [o/N] "
            )
            if answer.strip().lower() not in ("o", "oui", "y"):
                return 1
        report = transfer(source, args.to, files_dir=args.files)
    finally:
        source.dispose()
    total = sum(report.rows.values())
    print(f"Copié : {total} ligne(s) dans {len(report.rows)} tables, {report.files} fichier(s).")
    if report.problems:
        for problem in report.problems:
            print(f"PROBLÈME : {problem}")
        raise DatabaseError(
            "Le transfert n'est pas vérifié : ne travaillez pas sur « {url} ».", url=shown
        )
    print(
        f"Vérifié : contrôle de cohérence, même nombre de lignes par table, même tête du "
        f"chaînage ({report.chain_head[:16] or 'aucune facture'})."
    )
    if "://" in args.to and not args.to.startswith("sqlite"):
        password = " (*** : le mot de passe)" if "***" in shown else ""
        print(
            f"Sur chaque poste, ouvrez désormais cette base{password} : propreo --db '{shown}' "
            "ou PROPREO_DB dans l'environnement ; l'ancienne base reste telle quelle, "
            "ne l'utilisez plus."
        )
    else:
        print(f"Copie autonome de la société dans « {shown} ».")
    return 0
