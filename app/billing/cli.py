"""``propreo billing run --period YYYY-MM [--validate] [--json] [--issue-date AAAA-MM-JJ]
[--advance]``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("billing", help="facturation des contrats")
    billing = p.add_subparsers(dest="billing_command", metavar="action", required=True)
    run = billing.add_parser("run", help="facturation de fin de mois")
    run.add_argument("--period", required=True, metavar="AAAA-MM", help="mois à facturer")
    run.add_argument("--validate", action="store_true", help="émettre les factures créées")
    run.add_argument("--json", action="store_true", help="résultat en JSON")
    run.add_argument(
        "--issue-date",
        metavar="AAAA-MM-JJ",
        help="date d'émission des factures, jamais après aujourd'hui (par défaut le dernier "
        "jour du mois facturé s'il est passé, sinon aujourd'hui)",
    )
    run.add_argument(
        "--advance",
        action="store_true",
        help="confirme la facturation par avance d'un mois au-delà du mois suivant",
    )
    run.set_defaults(func=cmd_billing_run)
    check = billing.add_parser("check", help="contrôle des éléments de contrat")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_billing_check)


def _issue_date(text: str) -> dt.date:
    """The issue date asked for: a real date (the rules: app.billing.issue_dates)."""
    from app.billing.issue_dates import FIELD
    from app.errors import ValidationError

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            FIELD, "« {value} » n'est pas une date AAAA-MM-JJ.", value=text
        ) from None


def cmd_billing_run(args: argparse.Namespace) -> int:
    from app.billing.draft_checks import check_drafts, issue_checked
    from app.billing.runs import period_drafts, run_month
    from app.cli import open_db
    from app.errors import ConfirmationRequired, ValidationError

    issue_date = _issue_date(args.issue_date) if args.issue_date else None
    db = open_db(args)
    try:
        with db.write() as session:
            result = run_month(session, args.period, issue_date=issue_date, advance=args.advance)
    except ConfirmationRequired as exc:
        raise ValidationError(
            exc.field, "{reason} Relancez avec --advance pour la confirmer.", reason=str(exc)
        ) from None
    # The provisional run is checked as it would be issued (outside the write).
    errors = check_drafts(db, result.invoice_ids)
    refused = [error for error in errors.values() if error]
    numbers: list[str] = []
    if args.validate:
        with db.read() as session:
            drafts = period_drafts(session, args.period)
        outcome = issue_checked(db, drafts)
        numbers = outcome.numbers
        refused = [r.message for r in outcome.refused]
    if args.json:
        print(
            json.dumps(
                {
                    "period": args.period,
                    "created": result.created,
                    "issued": len(numbers),
                    "numbers": numbers,
                    "total_ht": str(result.total_ht),
                    "total_ttc": str(result.total_ttc),
                    "warnings": result.warnings,
                    "refused": refused,
                },
                ensure_ascii=False,
            )
        )
    else:
        from app.money import format_amount

        print(
            f"Facturation {args.period} : {result.created} facture(s) provisoire(s), "
            f"{format_amount(result.total_ht)} HT, {format_amount(result.total_ttc)} TTC."
        )
        if numbers:
            print(f"{len(numbers)} facture(s) émise(s) : {numbers[0]} à {numbers[-1]}.")
        for warning in result.warnings:
            print(f"Attention : {warning}")
        for error in refused:
            print(f"Refusé : {error}")
    return 1 if refused else 0


def cmd_billing_check(args: argparse.Namespace) -> int:
    from app.billing.consistency import contract_problems
    from app.cli import open_db

    db = open_db(args, read_only=True)
    with db.read() as session:
        problems = contract_problems(session)
    if args.json:
        print(json.dumps([p.__dict__ for p in problems], ensure_ascii=False, default=str))
    else:
        for p in problems:
            print(f"{p.subject} : {p.message}")
    return 1 if problems else 0
