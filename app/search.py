"""Global search (Ctrl+K): clients, sites, contracts, quotes and invoices found by number,
code, name, city or amount, whatever the accents and the case.

A term that reads as an amount (« 1 234,56 », « 129,60 € ») also finds the invoices and
quotes of that total, HT or TTC. Every word of the query must appear in the record's text
(« tilleuls lyon » finds « Résidence Les Tilleuls », Lyon). Results come grouped by kind, at
most :data:`PER_KIND` of each, in the order the user expects them (numbers, then names).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.money import format_amount, to_decimal
from models.clients import Client, Site
from models.contracts import Contract
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.quotes import Quote, QuoteStatus

PER_KIND = 10
MIN_LENGTH = 2
KIND_LABELS = {
    "client": "Client",
    "site": "Chantier",
    "contract": "Contrat",
    "quote": "Devis",
    "invoice": "Facture",
}


@dataclass(frozen=True)
class Hit:
    kind: str  # a key of KIND_LABELS
    id: int
    title: str  # number or name, as shown first
    detail: str  # client, city, amount...

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def fold(text: str) -> str:
    """Lower case without accents (« Résidence » → « residence »)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def amount_of(query: str) -> Decimal | None:
    """The amount a query reads as (« 1 234,56 € »), None when it is not one."""
    if not any(c.isdigit() for c in query) or any(c.isalpha() for c in query.replace("€", "")):
        return None
    try:
        value = to_decimal(query)
    except ValidationError:
        return None
    return value if value == value.quantize(Decimal("0.01")) else None


def _matches(words: list[str], *texts: str) -> bool:
    haystack = fold(" ".join(t for t in texts if t))
    return all(w in haystack for w in words)


def search(session: Session, query: str) -> list[Hit]:
    query = " ".join((query or "").split())
    if len(query) < MIN_LENGTH:
        return []
    words = fold(query).split()
    amount = amount_of(query)
    names = dict(session.execute(select(Client.id, Client.name)).all())
    hits: list[Hit] = []
    hits += _clients(session, words)
    hits += _sites(session, words, names)
    hits += _contracts(session, words, names)
    hits += _quotes(session, words, names, amount)
    hits += _invoices(session, query, names, amount)
    return hits


def _first(rows: list[Hit]) -> list[Hit]:
    return rows[:PER_KIND]


def _clients(session: Session, words: list[str]) -> list[Hit]:
    rows = session.execute(
        select(Client.id, Client.code, Client.name, Client.postcode, Client.city).order_by(
            Client.name
        )
    ).all()
    return _first(
        [
            Hit("client", r.id, r.name, f"{r.code} — {r.postcode} {r.city}".strip())
            for r in rows
            if _matches(words, r.code, r.name, r.city, r.postcode)
        ]
    )


def _sites(session: Session, words: list[str], names: dict[int, str]) -> list[Hit]:
    rows = session.execute(
        select(Site.id, Site.code, Site.name, Site.city, Site.client_id).order_by(Site.name)
    ).all()
    return _first(
        [
            Hit("site", r.id, r.name, f"{r.code} — {r.city} — {names.get(r.client_id, '')}")
            for r in rows
            if _matches(words, r.code, r.name, r.city, names.get(r.client_id, ""))
        ]
    )


def _contracts(session: Session, words: list[str], names: dict[int, str]) -> list[Hit]:
    rows = session.execute(
        select(Contract.id, Contract.code, Contract.title, Contract.client_id).order_by(
            Contract.code
        )
    ).all()
    return _first(
        [
            Hit("contract", r.id, r.code, f"{names.get(r.client_id, '')} — {r.title}")
            for r in rows
            if _matches(words, r.code, r.title, names.get(r.client_id, ""))
        ]
    )


def _quotes(
    session: Session, words: list[str], names: dict[int, str], amount: Decimal | None
) -> list[Hit]:
    found = []
    for q in session.scalars(
        select(Quote).where(Quote.status != QuoteStatus.REVISED).order_by(Quote.id.desc())
    ):
        by_amount = amount is not None and amount in (q.total_ht, q.total_ttc)
        client = names.get(q.client_id, "")
        if by_amount or _matches(words, q.reference, q.title, client):
            detail = f"{client} — {q.title} — {format_amount(q.total_ht)} HT"
            found.append(Hit("quote", q.id, q.reference, detail))
    return _first(found)


def _invoices(
    session: Session, query: str, names: dict[int, str], amount: Decimal | None
) -> list[Hit]:
    conditions: list[ColumnElement[bool]] = [Invoice.number.ilike(f"%{query.replace(' ', '')}%")]
    if amount is not None:
        conditions += [Invoice.total_ttc == amount, Invoice.total_ht == amount]
    rows = session.execute(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.kind,
            Invoice.client_id,
            Invoice.issue_date,
            Invoice.total_ttc,
        )
        .where(Invoice.status == InvoiceStatus.ISSUED, or_(*conditions))
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
        .limit(PER_KIND)
    ).all()
    return [
        Hit(
            "invoice",
            r.id,
            r.number or "",
            f"{'Avoir — ' if r.kind == InvoiceKind.CREDIT_NOTE else ''}"
            f"{names.get(r.client_id, '')} — {r.issue_date:%d/%m/%Y} — "
            f"{format_amount(r.total_ttc)} TTC",
        )
        for r in rows
    ]
