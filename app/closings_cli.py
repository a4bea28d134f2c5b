"""``propreo cloture --period AAAA-MM`` — close a month: sign the chain head at its end
with the installation's key (app.closings) and print the closing's fingerprint.

``propreo cloture cle --exporter FICHIER`` / ``--importer FICHIER [--remplacer]`` — back up
the key to a passphrase-encrypted file, install it on another computer (app.closing_key).
The passphrase is asked twice on a terminal, or read from PROPREO_PHRASE_CLE (unattended).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from app.cli import EXIT_OK, open_db
from app.errors import ValidationError

PHRASE_ENV = "PROPREO_PHRASE_CLE"


def register(sub: Any) -> None:
    p = sub.add_parser("cloture", help="clôturer un mois (signature de la chaîne des factures)")
    p.add_argument("--period", metavar="AAAA-MM", help="mois à clôturer")
    p.set_defaults(func=cmd_cloture)
    actions = p.add_subparsers(dest="cloture_action", metavar="action")
    key = actions.add_parser("cle", help="sauvegarder ou installer la clé de clôture")
    which = key.add_mutually_exclusive_group(required=True)
    which.add_argument("--exporter", metavar="FICHIER", help="écrire la clé chiffrée")
    which.add_argument("--importer", metavar="FICHIER", help="installer la clé de ce fichier")
    key.add_argument(
        "--remplacer", action="store_true", help="remplacer une autre clé déjà installée"
    )
    key.set_defaults(func=cmd_key)


def cmd_cloture(args: argparse.Namespace) -> int:
    from app.closings import close_month, fingerprint

    if not args.period:
        raise ValidationError("Période", "Indiquez le mois à clôturer : --period AAAA-MM.")
    db = open_db(args)
    with db.write() as session:
        closing = close_month(session, args.period)
        print(
            f"Mois {closing.period} clôturé : {closing.chain_count} document(s) dans la "
            f"chaîne, empreinte {fingerprint(closing)}."
        )
    db.dispose()
    return EXIT_OK


def _passphrase(twice: bool) -> str:
    from app.closing_key import PASSPHRASE

    given = os.environ.get(PHRASE_ENV)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise ValidationError(
            PASSPHRASE, "{field} : tapez-la au clavier, ou donnez-la dans {env}.", env=PHRASE_ENV
        )
    import getpass

    first = getpass.getpass("Phrase de passe de la clé : ")
    if twice and getpass.getpass("La même, encore une fois : ") != first:
        raise ValidationError(PASSPHRASE, "{field} : les deux saisies diffèrent.")
    return first


def cmd_key(args: argparse.Namespace) -> int:
    from app.closing_key import export_key, import_key

    if args.exporter:
        ident = export_key(args.exporter, _passphrase(twice=True))
        print(
            f"Clé de clôture {ident} exportée dans {args.exporter} (chiffrée) : gardez ce "
            "fichier et sa phrase de passe séparément, hors de cet ordinateur."
        )
        return EXIT_OK
    ident, changed = import_key(args.importer, _passphrase(twice=False), replace=args.remplacer)
    print(
        f"Clé de clôture {ident} installée sur cet ordinateur."
        if changed
        else f"Cet ordinateur a déjà la clé de clôture {ident} : rien à changer."
    )
    return EXIT_OK
