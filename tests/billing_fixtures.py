"""Shared builders for the billing tests: a firm, a client, a site, articles, a contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.billing.contracts import ContractForm, LineForm, activate, create_contract
from app.demo import DemoContext
from app.demo import company as demo_company
from models.catalog import Account, Article, VatRate
from models.clients import Client, Site
from models.contracts import Contract

D = dt.date


def firm(session: Session) -> None:
    demo_company.load(session, DemoContext())
    session.flush()


def client(session: Session, code: str = "DUPONT", **kw: object) -> Client:
    values: dict[str, object] = {
        "code": code,
        "name": f"Société {code.title()}",
        "kind": "company",
        "siren": "732829320",
        "street": "5 avenue Foch",
        "postcode": "69006",
        "city": "Lyon",
    }
    values.update(kw)
    c = Client(**values)
    session.add(c)
    session.flush()
    return c


def site(session: Session, client: Client, code: str = "S-DUP") -> Site:
    s = Site(code=code, name=f"Bureaux {code}", client_id=client.id, city="Lyon")
    session.add(s)
    session.flush()
    return s


def article(session: Session, code: str, label: str, price: str = "0") -> Article:
    vat = session.scalar(select(VatRate).where(VatRate.code == "T20"))
    account = session.scalar(select(Account).where(Account.number == "706100"))
    a = Article(
        code=code,
        label=label,
        unit="forfait",
        unit_price=Decimal(price),
        vat_rate_id=vat.id,
        revenue_account_id=account.id,
    )
    session.add(a)
    session.flush()
    return a


def three_line_contract(session: Session, c: Client, s: Site | None = None) -> Contract:
    """Monthly in arrears 1 200, quarterly in advance 450, seasonal windows 2 × 180 (Mar/Jun/Sep/Dec)."""
    a1 = article(session, "ENT-BUR", "Entretien des bureaux")
    a2 = article(session, "SOLS", "Remise en état des sols")
    a3 = article(session, "VITRES", "Nettoyage des vitres")
    contract = create_contract(
        session,
        ContractForm(
            client_id=c.id, site_id=s.id if s else None, start_date=D(2026, 1, 15), title="Bureaux"
        ),
        [
            LineForm(
                "Entretien des bureaux", Decimal(1), Decimal(1200), "monthly", "arrears", a1.id
            ),
            LineForm(
                "Remise en état des sols", Decimal(1), Decimal(450), "quarterly", "advance", a2.id
            ),
            LineForm(
                "Vitrerie",
                Decimal(2),
                Decimal(180),
                "seasonal",
                "advance",
                a3.id,
                months="3,6,9,12",
            ),
        ],
        today=D(2026, 1, 10),
    )
    activate(session, contract.id)
    return contract
