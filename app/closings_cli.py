"""``propreo cloture --period AAAA-MM`` — close a month: sign the chain head at its end
with the installation's key (app.closings) and print the closing's fingerprint."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("cloture", help="clôturer un mois (signature de la chaîne des factures)")
    p.add_argument("--period", required=True, metavar="AAAA-MM", help="mois à clôturer")
    p.set_defaults(func=cmd_cloture)


def cmd_cloture(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, open_db
    from app.closings import close_month, fingerprint

    db = open_db(args)
    with db.write() as session:
        closing = close_month(session, args.period)
        print(
            f"Mois {closing.period} clôturé : {closing.chain_count} document(s) dans la "
            f"chaîne, empreinte {fingerprint(closing)}."
        )
    db.dispose()
    return EXIT_OK
