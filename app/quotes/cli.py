"""``propreo devis relances|expirer|pdf|pipe`` — quote follow-up from the command line
(scripts, scheduled tasks)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from app.cli import open_db
from app.errors import NotFoundError
from app.money import format_amount
from app.storage import write_file


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date attendue AAAA-MM-JJ : {text}") from None


def register(sub: Any) -> None:
    p = sub.add_parser("devis", help="suivi des devis : relances, expiration, PDF, pipe")
    cmds = p.add_subparsers(dest="devis_command", metavar="action", required=True)
    rel = cmds.add_parser("relances", help="devis envoyés à relancer à une date")
    rel.add_argument("--date", type=_date, default=dt.date.today(), metavar="AAAA-MM-JJ")
    rel.add_argument("--json", action="store_true")
    rel.set_defaults(func=cmd_reminders)
    exp = cmds.add_parser(
        "expirer", help="passer en « expiré » les devis dont la validité est échue"
    )
    exp.add_argument("--date", type=_date, default=dt.date.today(), metavar="AAAA-MM-JJ")
    exp.set_defaults(func=cmd_expire)
    pdf = cmds.add_parser("pdf", help="imprimer un devis (PDF avec annexes)")
    pdf.add_argument("numero", help="numéro du devis, ex. DE2026-00012 (dernière version)")
    pdf.add_argument("--out", required=True, help="fichier .pdf")
    pdf.set_defaults(func=cmd_pdf)
    pipe = cmds.add_parser("pipe", help="pipe commercial pondéré (devis en cours)")
    pipe.add_argument("--json", action="store_true")
    pipe.set_defaults(func=cmd_pipeline)


def cmd_reminders(args: argparse.Namespace) -> int:
    from app.quotes.followup import reminders_due

    db = open_db(args)
    with db.read() as session:
        rows = reminders_due(session, args.date)
    if args.json:
        payload = [
            {
                "number": r.reference,
                "client": r.client,
                "total_ttc": str(r.total_ttc),
                "validity": r.validity_date.isoformat(),
                "reminders": r.reminder_count,
            }
            for r in rows
        ]
        print(json.dumps(payload, ensure_ascii=False))
    else:
        for r in rows:
            print(
                f"{r.reference}  {r.client}  {format_amount(r.total_ttc)} TTC  "
                f"valable jusqu'au {r.validity_date:%d/%m/%Y}  ({r.reminder_count} relance(s))"
            )
        print(f"{len(rows)} devis à relancer.")
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    from app.quotes.transitions import expire_quotes

    db = open_db(args)
    with db.write() as session:
        expired = [q.reference for q in expire_quotes(session, args.date)]
    for ref in expired:
        print(f"{ref} expiré")
    print(f"{len(expired)} devis expiré(s).")
    return 0


def cmd_pdf(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.quotes.documents import quote_pdf
    from models.quotes import Quote

    db = open_db(args)
    with db.read() as session:
        quote = session.scalar(
            select(Quote).where(Quote.number == args.numero).order_by(Quote.version.desc())
        )
        if quote is None:
            raise NotFoundError("Devis « {number} » introuvable.", number=args.numero)
        data = quote_pdf(session, quote.id)
    write_file(args.out, data)
    print(f"{args.out} écrit ({len(data)} octets).")
    return 0


def cmd_pipeline(args: argparse.Namespace) -> int:
    from app.quotes.forecast import pipeline

    db = open_db(args)
    with db.read() as session:
        cells = pipeline(session)
    if args.json:
        payload = [
            {
                "month": c.month.strftime("%Y-%m"),
                "status": c.status,
                "count": c.count,
                "amount_ht": str(c.amount_ht),
                "weighted_ht": str(c.weighted_ht),
            }
            for c in cells
        ]
        print(json.dumps(payload, ensure_ascii=False))
    else:
        for c in cells:
            print(
                f"{c.month:%m/%Y}  {c.status:6}  {c.count:3} devis  "
                f"{format_amount(c.amount_ht)} HT  pondéré {format_amount(c.weighted_ht)}"
            )
    return 0
