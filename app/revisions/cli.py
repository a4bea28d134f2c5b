"""``propreo revisions due|apply|import-index|renewals|projection`` — the contract follow-up
from the command line (scripts, scheduled tasks)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from app.cli import open_db
from app.money import format_amount


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date attendue AAAA-MM-JJ : {text}") from None


def register(sub: Any) -> None:
    p = sub.add_parser("revisions", help="révisions de prix, échéances, projection annuelle")
    rev = p.add_subparsers(dest="revisions_command", metavar="action", required=True)
    due = rev.add_parser("due", help="contrats à réviser jusqu'à une date")
    due.add_argument("--until", type=_date, default=dt.date.today(), metavar="AAAA-MM-JJ")
    due.add_argument("--json", action="store_true")
    due.set_defaults(func=cmd_due)
    apply = rev.add_parser("apply", help="appliquer les révisions dues et calculables")
    apply.add_argument("--until", type=_date, default=dt.date.today(), metavar="AAAA-MM-JJ")
    apply.add_argument("--contract", action="append", default=[], metavar="CODE")
    apply.set_defaults(func=cmd_apply)
    imp = rev.add_parser("import-index", help="importer les valeurs d'un indice (CSV)")
    imp.add_argument("--index", required=True, help="nom de l'indice")
    imp.add_argument("file", help="fichier CSV mois;valeur")
    imp.set_defaults(func=cmd_import)
    ren = rev.add_parser("renewals", help="échéances, préavis et résiliations à venir")
    ren.add_argument("--date", type=_date, default=dt.date.today(), metavar="AAAA-MM-JJ")
    ren.add_argument("--alert-days", type=int, default=60)
    ren.add_argument("--json", action="store_true")
    ren.set_defaults(func=cmd_renewals)
    proj = rev.add_parser("projection", help="projection sur 12 mois, export .xlsx")
    proj.add_argument("--start", type=_date, default=dt.date.today(), metavar="AAAA-MM-JJ")
    proj.add_argument("--out", required=True, help="fichier .xlsx")
    proj.set_defaults(func=cmd_projection)


def cmd_due(args: argparse.Namespace) -> int:
    from app.revisions.runs import due_revisions

    db = open_db(args)
    with db.read() as session:
        rows = due_revisions(session, args.until, today=dt.date.today())
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "contract": r.contract_code,
                        "date": r.revision_date.isoformat(),
                        "coefficient": str(r.coefficient) if r.coefficient else None,
                        "old_annual": str(r.old_annual),
                        "new_annual": str(r.new_annual),
                        "gain": str(r.gain),
                        "error": r.error,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
            )
        )
    else:
        for r in rows:
            detail = r.error or f"{r.computation} ; gain annuel {format_amount(r.gain)}"
            print(f"{r.contract_code}  {r.revision_date:%d/%m/%Y}  {detail}")
        print(f"{len(rows)} révision(s) due(s).")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    from app.revisions.runs import apply_revisions, due_revisions

    db = open_db(args)
    with db.write() as session:
        rows = [r for r in due_revisions(session, args.until, today=dt.date.today()) if r.ready]
        if args.contract:
            rows = [r for r in rows if r.contract_code in set(args.contract)]
        done = apply_revisions(session, [r.contract_id for r in rows], today=dt.date.today())
    for r in rows:
        print(
            f"{r.contract_code} révisé au {r.revision_date:%d/%m/%Y} : coefficient {r.coefficient}"
        )
    print(f"{len(done)} révision(s) appliquée(s).")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.revisions.indices import import_csv, index_by_name

    raw = Path(args.file).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    db = open_db(args)
    with db.write() as session:
        result = import_csv(session, index_by_name(session, args.index).id, text)
    print(result.summary)
    return 0


def cmd_renewals(args: argparse.Namespace) -> int:
    from app.revisions.renewals import upcoming

    db = open_db(args)
    with db.read() as session:
        rows = upcoming(session, args.date, alert_days=args.alert_days)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "contract": r.contract_code,
                        "event": r.event,
                        "term_end": r.term_end.isoformat(),
                        "notice_deadline": r.notice_deadline.isoformat()
                        if r.notice_deadline
                        else None,
                        "days_left": r.days_left,
                        "alert": r.alert,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
            )
        )
    else:
        for r in rows:
            flag = "ALERTE " if r.alert else ""
            print(f"{flag}{r.contract_code}  {r.event_label}  {r.message}")
    return 0


def cmd_projection(args: argparse.Namespace) -> int:
    from app.revisions.projection import export_xlsx, project_contracts

    db = open_db(args)
    with db.read() as session:
        items = project_contracts(session, args.start, today=dt.date.today())
    export_xlsx(items, args.out)
    losing = sum(1 for i in items if i.projection.losing)
    print(f"{len(items)} contrat(s), {losing} déficitaire(s) : {args.out}")
    return 0
