"""``propreo billing run --period YYYY-MM [--validate] [--json] [--issue-date AAAA-MM-JJ]
[--advance]``; ``propreo billing avoir NUMERO [--ligne N=HT ...] [--date] [--motif] [--yes]``;
``propreo billing acompte DEVIS --part "30 %"|HT [--date] [--yes]``.

Credit notes and down-payment invoices are issued as from their dialogs
(:mod:`app.billing.issue_new`): what will be numbered is shown and confirmed (``--yes``:
without asking), the draft is checked outside any write, then numbered."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from decimal import Decimal
from typing import Any

from app.cli import open_db
from app.errors import ConfirmationRequired, NotFoundError, ValidationError
from app.money import format_amount


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
    note = billing.add_parser("avoir", help="établir et émettre un avoir sur une facture émise")
    note.add_argument("facture", metavar="NUMERO", help="numéro de la facture (ex. FA2026-00012)")
    note.add_argument(
        "--ligne",
        action="append",
        default=[],
        metavar="N=HT",
        help="montant HT à créditer sur la ligne N (répétable) ; sans --ligne : avoir total",
    )
    _issue_options(note)
    note.add_argument("--motif", default="", help="motif de l'avoir")
    note.set_defaults(func=cmd_credit_note)
    deposit = billing.add_parser(
        "acompte", help="émettre une facture d'acompte sur un devis accepté"
    )
    deposit.add_argument("devis", metavar="DEVIS", help="numéro du devis (ex. DE2026-00007)")
    deposit.add_argument(
        "--part", required=True, help="pourcentage du devis (« 30 % ») ou montant HT (« 450 »)"
    )
    _issue_options(deposit)
    deposit.set_defaults(func=cmd_down_payment)
    check = billing.add_parser("check", help="contrôle des éléments de contrat")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_billing_check)


def _issue_options(parser: Any) -> None:
    parser.add_argument(
        "--date", metavar="AAAA-MM-JJ", help="date d'émission (par défaut aujourd'hui)"
    )
    parser.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")


def _asking(args: argparse.Namespace) -> Any:
    """The confirmation of what will be numbered: printed, then asked unless ``--yes``."""

    def confirm(preview: Any) -> bool:
        print(preview.text())
        if args.yes:
            return True
        return input("Émettre ? [o/N] ").strip().lower() in ("o", "oui", "y")

    return confirm


def _day(args: argparse.Namespace) -> dt.date:
    from app import clock

    return _issue_date(args.date) if args.date else clock.today()


def _line_amounts(
    session: Any, invoice_id: int, given: list[str]
) -> dict[int, Decimal | str] | None:
    """``--ligne N=HT`` → {line id: amount HT}; None (everything left) when none given."""
    from app.billing.credit_notes import creditable_lines

    if not given:
        return None
    by_position = {c.position: c.line_id for c in creditable_lines(session, invoice_id)}
    amounts: dict[int, Decimal | str] = {}
    for text in given:
        position, _sep, amount = text.partition("=")
        if not position.strip().isdigit() or int(position) not in by_position or not amount:
            raise ValidationError(
                "Ligne",
                "« {value} » : indiquez N=MONTANT, N étant le numéro d'une ligne de la "
                "facture (1 à {count}).",
                value=text,
                count=len(by_position),
            )
        amounts[by_position[int(position)]] = amount.strip().replace(",", ".")
    return amounts


def cmd_credit_note(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.billing.credit_notes import issue_credit_note
    from models.invoices import Invoice

    db = open_db(args)
    with db.read() as session:
        invoice_id = session.scalar(select(Invoice.id).where(Invoice.number == args.facture))
        if invoice_id is None:
            raise NotFoundError("Facture {number} introuvable.", number=args.facture)
        amounts = _line_amounts(session, invoice_id, args.ligne)
    note = issue_credit_note(
        db,
        invoice_id,
        issue_date=_day(args),
        amounts=amounts,
        reason=args.motif,
        confirm=_asking(args),
    )
    return _issued(note, "Avoir {number} émis : {amount} TTC.")


def cmd_down_payment(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.payments.down_payments import issue_down_payment_invoice, parse_share
    from models.quotes import Quote

    db = open_db(args)
    with db.read() as session:
        quote_id = session.scalar(
            select(Quote.id)
            .where(Quote.number == args.devis, Quote.status == "accepted")
            .order_by(Quote.id.desc())
        )
    if quote_id is None:
        raise NotFoundError("Devis accepté {number} introuvable.", number=args.devis)
    invoice = issue_down_payment_invoice(
        db,
        issue_date=_day(args),
        quote_id=quote_id,
        confirm=_asking(args),
        **parse_share(args.part),
    )
    return _issued(invoice, "Facture d'acompte {number} émise : {amount} TTC.")


def _issued(document: Any, text: str) -> int:

    if document is None:
        print("Rien n'a été émis.")
        return 1
    print(text.format(number=document.number, amount=format_amount(abs(document.total_ttc))))
    return 0


def _issue_date(text: str) -> dt.date:
    """The issue date asked for: a real date (the rules: app.billing.issue_dates)."""
    from app.billing.issue_dates import FIELD

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            FIELD, "« {value} » n'est pas une date AAAA-MM-JJ.", value=text
        ) from None


def cmd_billing_run(args: argparse.Namespace) -> int:
    from app.billing.checked_issue import issue_checked
    from app.billing.draft_checks import check_drafts
    from app.billing.run_dates import warm_checking_workers
    from app.billing.runs import period_drafts, run_month

    issue_date = _issue_date(args.issue_date) if args.issue_date else None
    db = open_db(args)
    with db.read() as session:
        warm_checking_workers(session)  # they start while the drafts are made
    try:
        with db.write() as session:
            result = run_month(session, args.period, issue_date=issue_date, advance=args.advance)
    except ConfirmationRequired as exc:
        raise ValidationError(
            exc.field, "{reason} Relancez avec --advance pour la confirmer.", reason=str(exc)
        ) from None
    numbers: list[str] = []
    if args.validate:  # checked (outside any write), then numbered: once per draft
        with db.read() as session:
            drafts = period_drafts(session, args.period)
        outcome = issue_checked(db, drafts)
        numbers = outcome.numbers
        refused = [r.message for r in outcome.refused]
    else:  # the provisional run is checked as it would be issued (outside the write)
        errors = check_drafts(db, result.invoice_ids)
        refused = [error for error in errors.values() if error]
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

    db = open_db(args, read_only=True)
    with db.read() as session:
        problems = contract_problems(session)
    if args.json:
        print(json.dumps([p.__dict__ for p in problems], ensure_ascii=False, default=str))
    else:
        for p in problems:
            print(f"{p.subject} : {p.message}")
    return 1 if problems else 0
