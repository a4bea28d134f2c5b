"""``propreo import clients|sites|contacts|articles|contracts|open-items FICHIER
[--dry-run] [--json]``: the import assistant's work from the command line (exit 1 and
nothing written when any row is refused); ``propreo import modeles DOSSIER`` copies the
blank templates."""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli import EXIT_OK, EXIT_PROBLEM, open_db

KINDS = ("clients", "sites", "contacts", "articles", "contracts", "open-items")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "import",
        help="reprendre les fichiers d'un autre logiciel (.xlsx ou .csv)",
        description="Importe un fichier .xlsx ou .csv (tout séparateur, tout encodage, "
        "nombres et dates à la française) : tout ou rien. « modeles DOSSIER » copie les "
        "modèles vierges.",
    )
    p.add_argument(
        "kind",
        choices=(*KINDS, "modeles"),
        metavar="type",
        help="clients, sites, contacts, articles, contracts, open-items, modeles",
    )
    p.add_argument("file", metavar="FICHIER", help="fichier à importer (ou dossier des modèles)")
    p.add_argument("--dry-run", action="store_true", help="simuler : contrôler sans rien écrire")
    p.add_argument("--json", action="store_true", help="rapport JSON (lignes et problèmes)")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:

    if args.kind == "modeles":
        from app.imports.templates import copy_templates

        for path in copy_templates(args.file):
            print(f"Modèle : {path}")
        return EXIT_OK
    from app.imports.run import import_file

    db = open_db(args)
    try:
        report = import_file(db, args.kind, args.file, dry_run=args.dry_run)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
    else:
        for result in report.rows:
            for problem in result.problems:
                print(f"Ligne {result.row} : {problem}")
        print(report.conclusion())
    return EXIT_PROBLEM if report.refused else EXIT_OK
