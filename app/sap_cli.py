"""``propreo attestations --year AAAA --out DIR [--send]`` — the yearly tax certificates of
the services à la personne clients (app.sap): one PDF per client written to ``DIR``, and
with ``--send`` e-mailed to each client that has an address (exit code 1 if any failed)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from app.cli import EXIT_OK, EXIT_PROBLEM, open_db
from app.i18n import ngettext


def register(sub: Any) -> None:
    p = sub.add_parser(
        "attestations", help="attestations fiscales annuelles (services à la personne)"
    )
    p.add_argument(
        "--year",
        default=str(dt.date.today().year - 1),
        metavar="AAAA",
        help="année des paiements (par défaut l'année écoulée)",
    )
    p.add_argument("--out", required=True, type=Path, help="dossier des PDF")
    p.add_argument("--send", action="store_true", help="envoyer aussi chaque attestation")
    p.add_argument(
        "--smtp", metavar="HOTE:PORT", help="serveur à utiliser (sans authentification, pour test)"
    )
    p.set_defaults(func=cmd_attestations)


def cmd_attestations(args: argparse.Namespace) -> int:
    from app.sap import send_attestations, write_attestations

    db = open_db(args)
    with db.read() as session:
        written = write_attestations(session, args.year, args.out)
    for path in written:
        print(path)
    print(
        ngettext(
            "{n} attestation fiscale {year} dans {folder}.",
            "{n} attestations fiscales {year} dans {folder}.",
            len(written),
        ).format(n=len(written), year=args.year, folder=args.out)
    )
    if not args.send or not written:
        return EXIT_OK
    with db.read() as session:
        report = send_attestations(session, args.year, override=args.smtp)
    for outcome in report.failed:
        print(f"Non envoyée à {outcome.item.to_name} : {outcome.item.error or outcome.error}")
    print(
        ngettext(
            "{sent} envoyée, {failed} en échec.",
            "{sent} envoyées, {failed} en échec.",
            len(report.sent),
        ).format(sent=len(report.sent), failed=len(report.failed))
    )
    return EXIT_PROBLEM if report.failed else EXIT_OK
