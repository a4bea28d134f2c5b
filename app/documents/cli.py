"""``propreo documents export|send`` and ``propreo accounting fec``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from app.cli import EXIT_OK, EXIT_PROBLEM, open_db
from app.i18n import ngettext
from app.storage import write_file


def register(subparsers: Any) -> None:
    documents = subparsers.add_parser("documents", help="factures Factur-X : export, envoi")
    sub = documents.add_subparsers(dest="documents_command", metavar="action", required=True)
    p = sub.add_parser("export", help="exporter les PDF Factur-X d'un mois")
    p.add_argument("--period", required=True, metavar="AAAA-MM")
    p.add_argument("--out", required=True, help="dossier de destination")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser(
        "courrier", help="lot courrier d'un mois : un PDF des documents des clients « courrier »"
    )
    p.add_argument("--period", required=True, metavar="AAAA-MM")
    p.add_argument("--out", required=True, help="fichier PDF à écrire")
    p.set_defaults(func=cmd_postal)
    p = sub.add_parser("pdf", help="PDF de documents émis, tels qu'archivés à l'émission")
    p.add_argument("numbers", nargs="+", metavar="NUMERO", help="numéro du document")
    p.add_argument("--out", required=True, help="fichier PDF à écrire")
    p.set_defaults(func=cmd_pdf)
    p = sub.add_parser("send", help="envoyer par e-mail les documents d'un mois")
    p.add_argument("--period", required=True, metavar="AAAA-MM")
    p.add_argument(
        "--smtp", metavar="HOTE:PORT", help="serveur à utiliser (sans authentification, pour test)"
    )
    p.add_argument("--retry", action="store_true", help="ne renvoyer que les envois en échec")
    p.add_argument(
        "--resend",
        action="store_true",
        help="renvoyer aussi les documents déjà envoyés ou dont l'envoi a été interrompu",
    )
    p.set_defaults(func=cmd_send)

    accounting = subparsers.add_parser("accounting", help="exports comptables")
    sub = accounting.add_subparsers(dest="accounting_command", metavar="action", required=True)
    p = sub.add_parser("fec", help="fichier des écritures comptables d'un exercice")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--year", type=int, metavar="AAAA", help="l'exercice qui se clôt cette année-là"
    )
    which.add_argument(
        "--date", type=_day, metavar="AAAA-MM-JJ", help="l'exercice qui contient ce jour"
    )
    p.add_argument("--out", required=True, help="dossier de destination")
    p.add_argument(
        "--sales-csv", action="store_true", help="écrire aussi le journal des ventes CSV"
    )
    p.set_defaults(func=cmd_fec)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date AAAA-MM-JJ attendue : « {text} »") from None


def cmd_export(args: argparse.Namespace) -> int:
    from app.documents.render import export_month

    db = open_db(args)
    out = Path(args.out)
    with db.read() as session:
        result = export_month(session, args.period, out)  # the window's export too
    for doc in result.failures:
        print(f"REFUSÉ {doc.number} : {doc.error}", file=sys.stderr)
    ok = len(result.documents) - len(result.failures)
    print(f"{ok} document(s) Factur-X exporté(s) dans {out}.")
    db.dispose()
    return EXIT_PROBLEM if result.failures else EXIT_OK


def cmd_postal(args: argparse.Namespace) -> int:
    from app.documents.printing import postal_batch_of_month

    db = open_db(args)
    try:
        with db.read() as session:
            batch = postal_batch_of_month(session, args.period, Path(args.out))  # the window's
    finally:
        db.dispose()
    print(
        ngettext(
            "Lot courrier : {n} document → {path}",
            "Lot courrier : {n} documents → {path}",
            batch.count,
        ).format(n=batch.count, path=batch.path)
    )
    return EXIT_OK


def cmd_pdf(args: argparse.Namespace) -> int:
    from app.documents.printing import issued_by_number, print_documents

    db = open_db(args)
    try:
        with db.read() as session:
            # What « PDF… » and « Imprimer… » of the screens give for the same documents.
            pdf = print_documents(session, issued_by_number(session, args.numbers))
    finally:
        db.dispose()
    path = write_file(args.out, pdf)
    print(f"{' '.join(args.numbers)} → {path}")
    return EXIT_OK


def cmd_send(args: argparse.Namespace) -> int:
    from app.documents.email import send_invoices
    from app.documents.send_plan import month_documents, send_plan

    db = open_db(args)
    with db.read() as session:
        ids = month_documents(session, args.period, failed_only=args.retry)  # the window's
        # The window's plan: a rerun never sends again what went or may have gone.
        plan = send_plan(session, ids, resend=args.resend or args.retry)
        for mail in plan.uncertain:
            print(
                f"INCERTAIN {mail.number} : l'envoi précédent a été interrompu, vérifiez "
                "auprès du client puis relancez avec --resend s'il ne l'a pas reçu.",
                file=sys.stderr,
            )
        for mail in plan.no_address:
            print(
                f"SANS ADRESSE {mail.number} : {mail.client} n'a pas d'adresse e-mail de "
                "facturation.",
                file=sys.stderr,
            )
        report = send_invoices(session, plan.ids, override=args.smtp)
    for outcome in report.outcomes:
        if outcome.ok:
            print(f"Envoyé {outcome.item.number} à {outcome.item.to}")
        else:
            print(f"ÉCHEC {outcome.item.number} : {outcome.error}", file=sys.stderr)
    print(f"{len(report.sent)} envoyé(s), {len(report.failed)} échec(s).")
    db.dispose()
    problems = report.failed or plan.uncertain or plan.no_address
    return EXIT_PROBLEM if problems else EXIT_OK


def cmd_fec(args: argparse.Namespace) -> int:
    from app.documents.accounting import export_for_accountant, fiscal_year

    db = open_db(args)
    out = Path(args.out)
    which = args.date if args.date is not None else args.year
    with db.read() as session:
        period = fiscal_year(session, which)
        fec, csv_path = export_for_accountant(session, which, out, sales=args.sales_csv)
        print(f"{period.label}")
        print(f"FEC : {fec.path} ({len(fec.entries)} écritures, {fec.line_count} lignes)")
        if csv_path is not None:
            print(f"Journal des ventes : {csv_path}")
    db.dispose()
    return EXIT_OK
