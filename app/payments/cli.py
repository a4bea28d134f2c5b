"""``propreo sepa export --date YYYY-MM-DD --out FILE``: a pain.008 batch of due invoices."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any


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


def out_paths(out: Path, schemes: list[str]) -> list[Path]:
    """The first scheme goes to ``out``; a second one (B2B) gets a suffixed name."""
    return [
        out if i == 0 else out.with_name(f"{out.stem}-{s}{out.suffix}")
        for i, s in enumerate(schemes)
    ]


def cmd_sepa_export(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, open_db
    from app.money import format_amount
    from app.payments.sepa import batch_xml, create_batches

    db = open_db(args)
    try:
        with db.write() as session:
            batches = create_batches(session, args.date)
            ids = [(b.id, b.reference, b.scheme, b.count, b.total) for b in batches]
        # The file is written outside the transaction that recorded the batch.
        paths = out_paths(Path(args.out), [scheme for _i, _r, scheme, _c, _t in ids])
        for (batch_id, reference, scheme, count, total), path in zip(ids, paths, strict=True):
            with db.read() as session:
                xml = batch_xml(session, batch_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(xml)
            print(
                f"Lot {reference} ({scheme}) : {count} prélèvement(s), {format_amount(total)} "
                f"→ {path} (pain.008.001.02 validé)"
            )
    finally:
        db.dispose()
    return EXIT_OK
