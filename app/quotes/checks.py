"""``propreo check``: quote files present and unchanged, quote totals agreeing with lines."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.check import register_check
from app.quotes.photos import files_dir_of
from app.quotes.quotes import quote_totals
from models.quotes import Quote, QuotePhoto, TechnicalSheet


@register_check("Devis")
def check_quotes(session: Session) -> list[str]:
    problems = []
    try:
        files = files_dir_of(session)
    except Exception:  # non-SQLite database: no file store to check
        files = None
    if files is not None:
        rows: list[tuple[str, str, str]] = [
            (f"photo « {p.original_name} »", p.storage_name, p.sha256)
            for p in session.scalars(select(QuotePhoto))
        ]
        rows += [
            (f"fiche technique « {s.title} »", s.storage_name, s.sha256)
            for s in session.scalars(select(TechnicalSheet))
        ]
        for label, name, digest in dict.fromkeys(rows):
            path = files / name
            if not path.is_file():
                problems.append(f"{label} : fichier {name} absent")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                problems.append(f"{label} : fichier {name} modifié")
    for quote in session.scalars(select(Quote)):
        totals = quote_totals(session, quote)
        if (totals.total_ht, totals.total_ttc) != (quote.total_ht, quote.total_ttc):
            problems.append(f"devis {quote.reference} : totaux différents de ses lignes")
    return problems
