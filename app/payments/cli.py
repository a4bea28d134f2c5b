"""``propreo sepa export --date YYYY-MM-DD --out FILE``: a pain.008 batch of due invoices;
``sepa annuler``: cancel a batch the bank never confirmed; ``sepa mandat``: the mandate form."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from app.cli import EXIT_OK, open_db
from app.errors import NotFoundError
from app.i18n import ngettext
from app.money import format_amount
from app.storage import write_file


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide « {text} » (AAAA-MM-JJ)") from None


def register(subparsers: Any) -> None:
    sepa = subparsers.add_parser("sepa", help="prélèvements SEPA (pain.008)")
    sub = sepa.add_subparsers(dest="sepa_command", metavar="action", required=True)
    p = sub.add_parser(
        "export",
        help="lot des factures échues au plus tard à la date, clients en prélèvement avec mandat",
    )
    p.add_argument("--date", type=_date, required=True, help="date de prélèvement AAAA-MM-JJ")
    p.add_argument("--out", required=True, help="fichier XML pain.008 à écrire")
    p.set_defaults(func=cmd_sepa_export)
    p = sub.add_parser(
        "prenotifier",
        help="nouvelle pré-notification des factures à prélever à une autre date que l'annoncée",
    )
    p.add_argument("--date", type=_date, required=True, help="nouvelle date de prélèvement")
    p.add_argument("--facture", action="append", default=[], metavar="NUMERO",
                   help="facture à pré-notifier (par défaut : toutes celles en attente)")  # fmt: skip
    p.add_argument("--out", required=True, help="fichier texte des avis à envoyer aux clients")
    p.set_defaults(func=cmd_sepa_prenotify)
    p = sub.add_parser("annuler", help="annuler un lot exporté que la banque n'a pas confirmé")
    p.add_argument("--lot", required=True, help="référence du lot (PRLV…)")
    p.add_argument("--motif", required=True, help="motif de l'annulation")
    p.set_defaults(func=cmd_sepa_cancel)
    p = sub.add_parser("mandat", help="formulaire de mandat SEPA à faire signer (PDF)")
    p.add_argument("--rum", required=True, help="référence unique du mandat")
    p.add_argument("--out", required=True, help="fichier PDF à écrire")
    p.set_defaults(func=cmd_sepa_mandate)

    cheques = subparsers.add_parser("cheques", help="chèques reçus : remise en banque")
    sub = cheques.add_subparsers(dest="cheques_command", metavar="action", required=True)
    p = sub.add_parser("remise", help="remise de chèques en banque et son bordereau (PDF)")
    p.add_argument("--date", type=_date, required=True, help="date de la remise AAAA-MM-JJ")
    p.add_argument("--reglement", action="append", default=[], metavar="NUMERO",
                   help="chèque à remettre (par défaut : tous ceux à remettre)")  # fmt: skip
    p.add_argument("--out", required=True, help="fichier PDF du bordereau à écrire")
    p.set_defaults(func=cmd_cheques_remit)


def cmd_sepa_export(args: argparse.Namespace) -> int:
    from app.payments.sepa import candidates, export_batches

    db = open_db(args)
    try:
        with db.read() as session:
            left_out = [c for c in candidates(session, args.date) if c.problem]
        for c in left_out:
            print(f"Écartée : {c.invoice_number} ({c.client_name}) — {c.problem}")
        with db.write() as session:  # the window's too: batches and files, all or nothing
            exported = export_batches(session, args.date, Path(args.out))
        for batch in exported:
            print(
                f"Lot {batch.reference} ({batch.scheme}) : {batch.count} prélèvement(s), "
                f"{format_amount(batch.total)} → {batch.path} (pain.008.001.02 validé)"
            )
    finally:
        db.dispose()
    return EXIT_OK


def cmd_cheques_remit(args: argparse.Namespace) -> int:
    from app.payments.remittance import cheques_to_remit, payments_by_number, remit_cheques

    db = open_db(args)
    try:
        with db.write() as session:  # the window's too: slip and PDF, all or nothing
            if args.reglement:
                ids = payments_by_number(session, args.reglement)
            else:
                ids = [row.payment_id for row in cheques_to_remit(session)]
            slip = remit_cheques(session, ids, args.date, Path(args.out))
    finally:
        db.dispose()
    print(
        ngettext(
            "Remise {ref} : {n} chèque, {total} → {path}",
            "Remise {ref} : {n} chèques, {total} → {path}",
            slip.count,
        ).format(ref=slip.reference, n=slip.count, total=format_amount(slip.total), path=slip.path)
    )
    return EXIT_OK


def cmd_sepa_prenotify(args: argparse.Namespace) -> int:
    from app.payments.sepa import renotify_to_file, waiting_for_notice

    db = open_db(args)
    with db.write() as session:  # the window's too: records and file, all or nothing
        ids = waiting_for_notice(session, args.date, args.facture or None)
        texts = renotify_to_file(session, ids, args.date, Path(args.out))
    print(f"{len(texts)} pré-notification(s) pour le {args.date:%d/%m/%Y} dans {args.out}.")
    return EXIT_OK


def cmd_sepa_cancel(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.payments.sepa_bank import cancel_batch
    from models.payments import SepaBatch

    db = open_db(args)
    try:
        with db.write() as session:
            batch_id = session.scalar(select(SepaBatch.id).where(SepaBatch.reference == args.lot))
            if batch_id is None:
                raise NotFoundError("Lot de prélèvements « {ref} » introuvable.", ref=args.lot)
            batch = cancel_batch(session, batch_id, args.motif)
            print(f"Lot {batch.reference} annulé : ses factures pourront être reprises.")
    finally:
        db.dispose()
    return EXIT_OK


def cmd_sepa_mandate(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.payments.sepa_mandates import mandate_pdf
    from models.payments import SepaMandate

    db = open_db(args)
    try:
        with db.read() as session:
            mandate_id = session.scalar(select(SepaMandate.id).where(SepaMandate.rum == args.rum))
            if mandate_id is None:
                raise NotFoundError("Mandat SEPA « {rum} » introuvable.", rum=args.rum)
            data = mandate_pdf(session, mandate_id)
        path = Path(args.out)
        write_file(path, data)
        print(f"Mandat {args.rum} → {path}")
    finally:
        db.dispose()
    return EXIT_OK
