"""Command line: ``propreo [--db PATH] <command>``; ``gui`` is the default command.

Errors are printed in French on stderr with a non-zero exit code. Command modules
register their sub-commands through a ``register(subparsers)`` function listed in
:data:`COMMAND_MODULES`; they import heavy libraries inside their handlers only.

Only the modules of the command being run are imported (:data:`COMMAND_OWNERS`): a
month-end run from a scheduled task does not pay for the import of every other command.
``--help``, an unknown command and modules not listed in :data:`COMMAND_OWNERS` fall back
to importing every module, so a new command module works before it is listed there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.cli_parser import db_target
from app.errors import DatabaseError, PropreoError, ValidationError

if TYPE_CHECKING:
    from app.db import Database

COMMAND_MODULES: list[str] = [
    "app.backups",
    "app.billing.cli",
    "app.closings_cli",
    "app.collections.cli",
    "app.control.cli",
    "app.documents.cli",
    "app.payments.cli",
    "app.quotes.cli",
    "app.revisions.cli",
    "app.transfer",
    "app.sap_cli",
    "app.einvoicing.cli",
    "app.imports.cli",
]

# Top-level command word → the modules of COMMAND_MODULES that register it or add
# actions to it (``billing control`` is added by app.control.cli). Checked against the
# full parser by tests/test_cli_lazy.py.
COMMAND_OWNERS: dict[str, tuple[str, ...]] = {
    "restore": ("app.backups",),
    "billing": ("app.billing.cli", "app.control.cli"),
    "relances": ("app.collections.cli",),
    "documents": ("app.documents.cli",),
    "accounting": ("app.documents.cli",),
    "sepa": ("app.payments.cli",),
    "cheques": ("app.payments.cli",),
    "devis": ("app.quotes.cli",),
    "revisions": ("app.revisions.cli",),
    "transfer": ("app.transfer",),
    "attestations": ("app.sap_cli",),
    "cloture": ("app.closings_cli",),
    "pa": ("app.einvoicing.cli",),
    "import": ("app.imports.cli",),
}
BUILTIN_COMMANDS = frozenset({"gui", "init", "check", "backup", "files"})

EXIT_OK, EXIT_PROBLEM, EXIT_ERROR = 0, 1, 2


def open_db(args: argparse.Namespace, *, upgrade: bool = True, read_only: bool = False) -> Database:
    """Open the database named on the command line, upgraded to the current schema."""
    from app import migrate

    target = db_target(args)
    if "://" not in target and not Path(target).exists():
        raise DatabaseError(
            "La base « {path} » n'existe pas : créez-la avec « propreo --db {path} init ».",
            path=target,
        )
    db = migrate.open_usable(target, read_only=read_only)
    if upgrade and not read_only and migrate.needs_upgrade(db):
        backup = migrate.upgrade(db)
        if backup:
            print(f"Sauvegarde avant migration : {backup}", file=sys.stderr)
    from app.users import resolve_cli_user

    resolve_cli_user(db)
    return db


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date attendue AAAA-MM-JJ : {text}") from None


def cmd_init(args: argparse.Namespace) -> int:
    from app.db import masked
    from app.setup import prepare_database

    target = db_target(args)
    if args.as_of is not None and not args.demo:
        raise ValidationError("--as-of", "« --as-of » ne s'emploie qu'avec « --demo ».")
    if args.as_of is not None:
        from app.demo.build import check_as_of

        check_as_of(args.as_of)  # before anything is created
    prepared = prepare_database(
        target, demo=args.demo, contracts=args.contracts, files_dir=args.files, as_of=args.as_of
    )
    if prepared.backup:
        print(f"Sauvegarde avant migration : {prepared.backup}")
    print(f"Base {prepared.state} : {masked(target)} (schéma {prepared.after})")
    if args.demo:
        print(
            "Société de démonstration chargée."
            if prepared.demo_loaded
            else "Données de démonstration déjà présentes."
        )
    prepared.db.dispose()
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from app.check import run_checks
    from app.documents.producible import unproducible_documents

    db = open_db(args, upgrade=False, read_only=False)
    more = [("Documents émis", unproducible_documents)] if args.documents else []
    report = run_checks(db, quick=args.quick, more=more)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            print(f"PROBLÈME : {problem}")
        for series, info in report.documents.items():
            if info["count"]:
                print(f"{series} : {info['count']} documents, de {info['first']} à {info['last']}")
        print("Base cohérente." if report.ok else f"{len(report.problems)} problème(s) détecté(s).")
    db.dispose()
    return EXIT_OK if report.ok else EXIT_PROBLEM


def cmd_backup(args: argparse.Namespace) -> int:
    from app.backups import backup_database, backup_file_name, verify_copy

    db = open_db(args, upgrade=False)
    out_dir = Path(args.out)
    target = backup_database(db, out_dir / backup_file_name(db))
    problems = verify_copy(target)  # integrity, then the invoice hash chain of the copy
    if problems:
        target.unlink(missing_ok=True)
        raise DatabaseError(
            "La sauvegarde écrite est invalide : {problems}", problems="; ".join(problems)
        )
    checked = "relue en entier par pg_restore" if db.path is None else "intégrité et chaînage"
    print(f"Sauvegarde vérifiée ({checked}) : {target}")
    db.dispose()
    return EXIT_OK


def cmd_files(args: argparse.Namespace) -> int:
    from app.file_store import set_files_dir

    db = open_db(args)
    if args.set:
        print(f"Dossier de fichiers de la société : {set_files_dir(db, args.set)}")
    else:
        print(f"Dossier de fichiers : {db.files_dir}")
    db.dispose()
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from ui.app import run_gui

    return run_gui(db_target(args), explicit=bool(args.db or os.environ.get("PROPREO_DB")))


def command_word(argv: Sequence[str]) -> str | None:
    """The top-level command of ``argv`` (``None`` for help or no command)."""
    tokens = iter(argv)
    for token in tokens:
        if token in ("-h", "--help"):
            return None
        if token == "--db" or (len(token) > 2 and "--db".startswith(token)):
            next(tokens, None)  # its value
            continue
        if token.startswith("-"):
            continue
        return token
    return None


def command_modules(argv: Sequence[str] | None) -> list[str]:
    """Modules to import for ``argv``, in :data:`COMMAND_MODULES` order (every one when
    the command is unknown, for help, or when ``argv`` is ``None``)."""
    if argv is None:
        return list(COMMAND_MODULES)
    word = command_word(argv)
    if word in BUILTIN_COMMANDS:
        wanted: set[str] = set()
    elif word in COMMAND_OWNERS:
        wanted = set(COMMAND_OWNERS[word])
    elif word is None and not any(t in ("-h", "--help") for t in argv):
        wanted = set()  # no command (the window) or --version
    else:
        return list(COMMAND_MODULES)
    known = {m for owners in COMMAND_OWNERS.values() for m in owners}
    return [m for m in COMMAND_MODULES if m in wanted or m not in known]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: only the command modules it needs (all when ``None``)."""
    from app.cli_parser import FrenchParser

    parser = FrenchParser(
        prog="propreo", description="Propreo — gestion des entreprises de propreté"
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"Propreo {__version__}",
        help="afficher le numéro de version et quitter",
    )
    parser.add_argument("--db", help="fichier de base SQLite ou URL SQLAlchemy (ou PROPREO_DB)")
    sub = parser.add_subparsers(dest="command", metavar="commande", title="commandes")

    p = sub.add_parser("gui", help="ouvrir la fenêtre principale (par défaut)")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("init", help="créer ou mettre à jour la base")
    p.add_argument("--demo", action="store_true", help="charger la société de démonstration")
    p.add_argument(
        "--contracts",
        type=int,
        default=None,
        metavar="N",
        help="nombre approximatif de contrats actifs de la démonstration",
    )
    p.add_argument(
        "--files",
        metavar="DOSSIER",
        help="base PostgreSQL : dossier partagé des photos, pièces jointes et PDF archivés",
    )
    p.add_argument(
        "--as-of",
        type=_iso_date,
        default=None,
        metavar="AAAA-MM-JJ",
        help="démonstration : son « aujourd'hui » (historique jusqu'au mois précédent ; "
        "par défaut la date du jour)",
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("files", help="dossier des photos, pièces jointes et PDF archivés")
    p.add_argument("--set", metavar="DOSSIER", help="base PostgreSQL : le dossier partagé")
    p.set_defaults(func=cmd_files)

    p = sub.add_parser("check", help="vérifier l'intégrité de la base")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quick", action="store_true", help="contrôle rapide (quick_check)")
    p.add_argument(
        "--documents",
        action="store_true",
        help="contrôle complet (lent) : chaque document émis se produit et se valide",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("backup", help="sauvegarder la base (copie vérifiée)")
    p.add_argument("--out", required=True, help="dossier de destination")
    p.set_defaults(func=cmd_backup)

    for name in command_modules(argv):
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Importing the command's modules (SQLAlchemy, the models...) makes long-lived objects
    # only: the cycle collector would walk them again and again for nothing (≈ 0.04 s).
    collecting = gc.isenabled()
    gc.disable()
    try:
        parser = build_parser(argv)
    finally:
        if collecting:
            gc.enable()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args.func = cmd_gui
    from app import startup  # after parsing: --version and --help stay light

    startup.install()
    try:
        return int(args.func(args))
    except PropreoError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except Exception as exc:
        return _said(exc, args)


def _said(exc: Exception, args: argparse.Namespace) -> int:
    """A refused write (full disk, read-only media, no permission) or a database error in
    one French sentence; anything else is a bug and keeps its traceback."""
    from app.storage import storage_error

    target = db_target(args)
    refused = storage_error(exc, None if isinstance(exc, OSError) else target)
    if refused is not None:
        print(f"Erreur : {refused}", file=sys.stderr)
        return EXIT_ERROR
    if not type(exc).__module__.startswith("sqlalchemy"):
        raise exc
    # The server cannot be reached, refuses the login, went away…: said, not traced.
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    print(f"Erreur : la base de données a refusé l'opération ({reason}).", file=sys.stderr)
    return EXIT_ERROR


def private_files() -> None:
    """Every file Propreo creates is readable by its user alone (0600, folders 0700): the
    base, its WAL, the lease, backups, photos, archived PDFs and exports hold the firm's
    data. On Windows the user's profile folders are already private (inherited ACLs):
    the umask has no effect there (docs/THREAT_MODEL.md)."""
    if os.name == "posix":
        os.umask(0o077)


def run() -> None:
    """Entry point of ``propreo``, ``python -m app`` and the bundle: run one command, then
    leave quickly.

    At exit CPython collects every reference cycle still alive; after a month-end run (the
    models, SQLAlchemy's caches) that last collection costs ≈ 0.3 s of a 2-3 s command. The
    databases are closed first (what that collection would have done for them: SQLite
    checkpoints its WAL when the last connection closes), then the surviving objects are
    frozen out of the collector. atexit handlers and buffered files are flushed as usual.
    """
    private_files()
    code = main()
    database_module = sys.modules.get("app.db")  # not imported by --version or --help
    if database_module is not None:
        database_module.close_databases()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
