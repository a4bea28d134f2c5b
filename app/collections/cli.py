"""``propreo relances balance|run --on AAAA-MM-JJ [--record] [--json]``: aged balance and
the dunning run of a day (recorded with ``--record``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from app.cli import open_db
from app.errors import ValidationError
from app.money import format_amount


def register(sub: Any) -> None:
    p = sub.add_parser("relances", help="balance âgée et relances des impayés")
    actions = p.add_subparsers(dest="relances_command", metavar="action", required=True)
    balance = actions.add_parser("balance", help="balance âgée par client")
    balance.add_argument("--on", metavar="AAAA-MM-JJ", help="date de référence (défaut : ce jour)")
    balance.add_argument("--json", action="store_true")
    balance.set_defaults(func=cmd_balance)
    run = actions.add_parser("run", help="relances dues à la date")
    run.add_argument("--on", metavar="AAAA-MM-JJ", help="date de référence (défaut : ce jour)")
    run.add_argument("--record", action="store_true", help="enregistrer les relances (courrier)")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_run)


def _day(text: str | None) -> dt.date:

    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError("Date", "{field} : format attendu AAAA-MM-JJ.") from None


def cmd_balance(args: argparse.Namespace) -> int:
    from app.collections.aging import BUCKET_LABELS, BUCKETS, aged_balance

    db = open_db(args, read_only=True)
    with db.read() as session:
        result = aged_balance(session, _day(args.on))
    rows = [*result.rows, result.total]
    if args.json:
        print(
            json.dumps(
                {
                    "on": result.on.isoformat(),
                    "rows": [
                        {
                            "client": r.client,
                            **{b: str(r.buckets[b]) for b in BUCKETS},
                            "total": str(r.total),
                        }
                        for r in rows
                    ],
                },
                ensure_ascii=False,
            )
        )
        return 0
    print(f"Balance âgée au {result.on:%d/%m/%Y}")
    print(
        f"{'Client':<34}" + "".join(f"{BUCKET_LABELS[b]:>15}" for b in BUCKETS) + f"{'Total':>15}"
    )
    for r in rows:
        amounts = "".join(f"{format_amount(r.buckets[b], currency=False):>15}" for b in BUCKETS)
        print(f"{r.client[:33]:<34}{amounts}{format_amount(r.total, currency=False):>15}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from app.collections.dunning import dunning_run, record_reminders

    day = _day(args.on)
    db = open_db(args, read_only=not args.record)
    with db.read() as session:
        run = dunning_run(session, day)
    recorded = 0
    if args.record and run.proposals:
        with db.write() as session:
            recorded = len(record_reminders(session, day))
    if args.json:
        print(
            json.dumps(
                {
                    "on": day.isoformat(),
                    "recorded": recorded,
                    "letters": [
                        {
                            "client": p.client,
                            "level": p.code,
                            "invoices": [i.number for i in p.items],
                            "total_due": str(p.total_due),
                            "penalty": str(p.penalty),
                            "indemnity": str(p.indemnity),
                        }
                        for p in run.proposals
                    ],
                    "skipped": run.skipped,
                },
                ensure_ascii=False,
            )
        )
        return 0
    for p in run.proposals:
        print(
            f"{p.label} : {p.client} — {', '.join(i.number for i in p.items)} — "
            f"{format_amount(p.total_due)} (pénalités {format_amount(p.penalty)}, "
            f"indemnité {format_amount(p.indemnity)})"
        )
    for text in run.skipped:
        print(f"Non relancé : {text}")
    if not run.proposals:
        print("Aucune relance due.")
    if recorded:
        print(f"{recorded} relance(s) enregistrée(s).")
    return 0
