"""``propreo pa serve|send|sync|ereporting|test|watch|demo`` — the e-invoicing platform from the
command line (the same use cases as the e-invoicing screen)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.db import Database
    from app.einvoicing import connector


def register(sub: Any) -> None:
    pa = sub.add_parser("pa", help="facturation électronique : plateforme agréée, Chorus Pro")
    actions = pa.add_subparsers(dest="pa_action", required=True, metavar="ACTION")

    serve = actions.add_parser("serve", help="plateforme de référence (tests, démonstration)")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--scenario", type=Path, help="fichier JSON du scénario joué")
    serve.set_defaults(func=cmd_serve)

    for name, helptext, func in (
        ("send", "envoyer les factures B2B et publiques du mois", cmd_send),
        ("ereporting", "produire et envoyer l'e-reporting du mois", cmd_ereporting),
    ):
        p = actions.add_parser(name, help=helptext)
        p.add_argument("--period", required=True, metavar="AAAA-MM")
        _common(p)
        p.set_defaults(func=func)
    sync = actions.add_parser("sync", help="lire les statuts, envoyer « Encaissée »")
    _common(sync)
    sync.set_defaults(func=cmd_sync)
    test = actions.add_parser("test", help="tester la connexion à la plateforme")
    _common(test)
    test.set_defaults(func=cmd_test)
    watch = actions.add_parser(
        "watch", help="recevoir les statuts au fil de l'eau (webhook, sinon interrogation)"
    )
    watch.add_argument("--minutes", type=float, default=60.0, help="durée d'écoute")
    watch.add_argument("--poll-seconds", type=float, help="intervalle d'interrogation")
    watch.set_defaults(func=cmd_watch)
    demo = actions.add_parser("demo", help="configurer la plateforme de référence de la démo")
    demo.add_argument("--url", default="http://127.0.0.1:8800")
    demo.set_defaults(func=cmd_demo)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="adresse de la plateforme (sinon celle des paramètres)")
    p.add_argument("--chorus-url", help="adresse de Chorus Pro (sinon celle des paramètres)")
    p.add_argument("--json", action="store_true", help="résultat en JSON")


def cmd_serve(args: argparse.Namespace) -> int:
    from app.einvoicing.server import make_server

    server = make_server(args.port, args.scenario)
    host, port = server.server_address[:2]
    host = host.decode() if isinstance(host, bytes) else host
    print(f"Plateforme de référence à l'écoute sur http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _sessions(
    args: argparse.Namespace,
) -> tuple[Database, connector.Session, Callable[[], connector.ChorusSession] | None]:
    from app.cli import open_db
    from app.einvoicing.settings import chorus_session, platform_session, read_settings

    db = open_db(args)
    with db.read() as session:
        platform = platform_session(session, args.url)
        has_chorus = bool(args.chorus_url or read_settings(session).chorus_url)

    def chorus() -> connector.ChorusSession:
        with db.read() as session:
            return chorus_session(session, args.chorus_url)

    return db, platform, (chorus if has_chorus else None)


def cmd_send(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, EXIT_PROBLEM
    from app.einvoicing.outgoing import invoices_of_period, month_bounds, send_invoices

    month_bounds(args.period)
    db, platform, chorus = _sessions(args)
    with db.read() as session:
        ids = invoices_of_period(session, args.period)
    report = send_invoices(db, ids, platform, chorus)
    if args.json:
        print(json.dumps([o.as_json() for o in report.outcomes], ensure_ascii=False, indent=1))
    else:
        for o in report.outcomes:
            line = f"{o.number} {o.client} : "
            print(
                line
                + (f"NON ENVOYÉE — {o.error}" if o.error else f"flux {o.flow_id} ({o.state_label})")
            )
        print(f"{len(report.sent)} facture(s) déposée(s), {len(report.failed)} en échec.")
    return EXIT_PROBLEM if report.failed else EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, EXIT_PROBLEM
    from app.einvoicing.status import invoice_states
    from app.einvoicing.sync import sync

    db, platform, chorus = _sessions(args)
    report = sync(db, platform, chorus)
    with db.read() as session:
        states = invoice_states(session)
    if args.json:
        print(
            json.dumps(
                {
                    "factures": [s.as_json() for s in states],
                    "recues": report.received,
                    "encaissees": report.cashed,
                    "erreurs": report.errors,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for s in states:
            print(f"{s.number} : {s.label}" + (f" — {s.action}" if s.action else ""))
        print(
            f"{len(report.statuses)} statut(s) reçu(s), {len(report.cashed)} « Encaissée » "
            f"envoyé(s), {len(report.received)} facture(s) fournisseur reçue(s)."
        )
        for error in report.errors:
            print(error, file=sys.stderr)
    return EXIT_PROBLEM if report.errors else EXIT_OK


def cmd_ereporting(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, EXIT_PROBLEM
    from app.einvoicing.ereporting import send_period

    db, platform, _chorus = _sessions(args)
    results = send_period(db, platform, args.period)
    if args.json:
        print(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=1))
    else:
        for r in results:
            print(r.describe())
    return EXIT_PROBLEM if any(r.error for r in results) else EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    from app.cli import open_db
    from app.einvoicing.settings import test_connection

    db = open_db(args)
    with db.read() as session:
        print(test_connection(session, args.url))
    return 0


def _print_statuses(report: Any) -> None:
    from models.einvoicing import LifecycleCode

    for number, code, reason in report.statuses:
        label = LifecycleCode.LABELS.get(code, code)
        print(f"{number} : {label}" + (f" ({reason})" if reason else ""), flush=True)
    for name in report.received:
        print(f"Facture fournisseur reçue : {name}", flush=True)
    for error in report.errors:
        print(error, file=sys.stderr, flush=True)


def cmd_watch(args: argparse.Namespace) -> int:
    """The window's watch without the window: webhook when the platform can reach this
    machine, polling otherwise, for ``--minutes``."""
    import time

    from app.cli import EXIT_OK, EXIT_PROBLEM, open_db
    from app.einvoicing.watch import OFF, POLL_MINUTES, WEBHOOK, Watch

    db = open_db(args)
    watch = Watch(db)
    if watch.start() == OFF:
        print("Aucune plateforme n'est configurée (Paramètres › Facturation électronique).")
        return EXIT_PROBLEM
    print(watch.describe(), flush=True)
    every = args.poll_seconds or POLL_MINUTES * 60
    deadline = time.monotonic() + args.minutes * 60
    try:
        _print_statuses(watch.poll())  # what arrived while nobody listened
        next_poll = time.monotonic() + every
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if watch.mode == WEBHOOK:
                _print_statuses(watch.receive())
            elif time.monotonic() >= next_poll:
                _print_statuses(watch.poll())
                next_poll = time.monotonic() + every
    except KeyboardInterrupt:
        pass
    finally:
        watch.close()
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, open_db
    from app.einvoicing.settings import configure_demo

    db = open_db(args)
    with db.write() as session:
        print(configure_demo(session, args.url))
    return EXIT_OK
