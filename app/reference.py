"""Reference data every database starts with: VAT rates, chart of accounts, series,
departments, qualifications. Idempotent: safe to run on every ``init``."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.numbering import ensure_default_series
from models.catalog import Account, VatRate
from models.users import Department

ACCOUNTS: list[tuple[str, str]] = [
    ("411000", "Clients"),
    ("416000", "Clients douteux ou litigieux"),
    ("419100", "Clients - avances et acomptes reçus"),
    ("445710", "TVA collectée"),
    ("445740", "TVA collectée sur encaissements (à régulariser)"),
    ("512000", "Banque"),
    ("511200", "Chèques à encaisser"),
    ("530000", "Caisse"),
    ("580000", "Virements internes"),
    ("658000", "Charges diverses de gestion courante (écarts de règlement)"),
    ("758000", "Produits divers de gestion courante (écarts de règlement)"),
    ("706100", "Prestations de nettoyage - contrats"),
    ("706200", "Prestations de nettoyage - travaux ponctuels"),
    ("706300", "Prestations multiservices"),
    ("707000", "Ventes de produits"),
    ("708500", "Ports et frais accessoires facturés"),
    ("763000", "Revenus des autres créances (pénalités de retard)"),
]

# code, label, rate, EN 16931 category, mention, exemption code
VAT_RATES: list[tuple[str, str, str, str, str, str]] = [
    ("T20", "TVA 20 %", "20", "S", "", ""),
    ("T10", "TVA 10 % (services à la personne)", "10", "S", "", ""),
    ("T55", "TVA 5,5 %", "5.5", "S", "", ""),
    ("T21", "TVA 2,1 %", "2.1", "S", "", ""),
    ("EXO", "Exonéré (0 %)", "0", "E", "Exonération de TVA", "VATEX-EU-132"),
    (
        "AL",
        "Autoliquidation (art. 283-2 nonies CGI)",
        "0",
        "AE",
        "Autoliquidation - TVA due par le preneur (art. 283-2 nonies du CGI)",
        "VATEX-EU-AE",
    ),
    (
        "FRANCHISE",
        "Franchise en base (art. 293 B)",
        "0",
        "E",
        "TVA non applicable, art. 293 B du CGI",
        "VATEX-FR-FRANCHISE",
    ),
]

DEPARTMENTS = ["Commercial", "Exploitation", "Comptabilité", "Direction"]


def ensure_reference_data(session: Session) -> None:
    accounts = {a.number: a for a in session.scalars(select(Account))}
    for number, label in ACCOUNTS:
        if number not in accounts:
            accounts[number] = Account(number=number, label=label)
            session.add(accounts[number])
    session.flush()
    existing = set(session.scalars(select(VatRate.code)))
    for code, label, rate, category, mention, exemption in VAT_RATES:
        if code in existing:
            continue
        session.add(
            VatRate(
                code=code,
                label=label,
                rate=Decimal(rate),
                category=category,
                mention=mention,
                exemption_code=exemption,
                account_debits_id=accounts["445710"].id,
                account_payment_id=accounts["445740"].id,
            )
        )
    names = set(session.scalars(select(Department.name)))
    for name in DEPARTMENTS:
        if name not in names:
            session.add(Department(name=name))
    ensure_default_series(session)
    session.flush()
