"""``propreo billing control --period YYYY-MM [--json] [--threshold PCT]``.

Attached to the ``billing`` command group of :mod:`app.billing.cli` (registered before
this module in ``COMMAND_MODULES``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli import open_db
from app.money import format_amount, format_percent, to_decimal


def _billing_actions(sub: Any) -> Any:
    billing = sub.choices.get("billing")
    if billing is None:
        return None
    for action in billing._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def register(sub: Any) -> None:
    actions = _billing_actions(sub)
    if actions is None:  # billing CLI absent: offer the command at top level
        actions = sub
    control = actions.add_parser("control", help="contrôle du mois par rapport à M-1")
    control.add_argument("--period", required=True, metavar="AAAA-MM", help="mois contrôlé")
    control.add_argument("--json", action="store_true", help="résultat en JSON")
    control.add_argument(
        "--threshold", metavar="PCT", help="seuil de variation en % (défaut : paramètre)"
    )
    control.add_argument(
        "--mark-done",
        action="store_true",
        help="marquer le contrôle du mois fait (écarts examinés), au nom de l'utilisateur",
    )
    control.set_defaults(func=cmd_billing_control)


def cmd_billing_control(args: argparse.Namespace) -> int:
    from app.control.month import control_month

    threshold = to_decimal(args.threshold, field="seuil") if args.threshold else None
    db = open_db(args, read_only=not args.mark_done)
    if args.mark_done:
        from app.control.marks import mark_control_done

        with db.write() as session:
            state = mark_control_done(session, args.period)
        print(state.text())
        return 0
    with db.read() as session:
        result = control_month(session, args.period, threshold=threshold)
        state_text = _state_text(session, result)
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return 0
    print(state_text)
    print(f"Contrôle de la facturation {result.period} (M-1 : {result.previous})")
    for f in result.by_family:
        pct = format_percent(f.percent) if f.percent is not None else "—"
        print(
            f"  {f.family:<30} {format_amount(f.current):>16} {format_amount(f.previous):>16}"
            f" {format_amount(f.delta):>16} {pct:>9}"
        )
    print(
        f"  {'Total':<30} {format_amount(result.total_current):>16}"
        f" {format_amount(result.total_previous):>16}"
    )
    if not result.anomalies:
        print("Aucune anomalie de régularité.")
    for a in result.anomalies:
        detail = f" ({a.detail})" if a.detail else ""
        print(
            f"{a.label} : {a.contract} — {a.client} : {format_amount(a.current)} "
            f"(M-1 : {format_amount(a.previous)}){detail}"
        )
    return 0


def _state_text(session: Any, result: Any) -> str:
    from app.control.marks import control_state

    return str(control_state(session, result.period, result).text())
