"""Demo step 2 (first part, called by :mod:`app.demo.master`): the catalogue (families,
articles) and the cost grid (qualifications with their hourly costs, task templates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog import ArticleForm, save_article, save_family
from app.costs import TaskTemplateForm, save_qualification, save_task_template, set_hourly_cost
from models.catalog import Account, VatRate

ARTICLES: list[tuple[str, str, str, str, str, str]] = [
    # code, label, unit, price, VAT code, family
    ("NETCONT", "Nettoyage des locaux selon cadencier", "mois", "1250.00", "T20", "NET"),
    ("NETHEURE", "Heure de nettoyage complémentaire", "heure", "29.50", "T20", "NET"),
    ("NETPARTC", "Entretien des parties communes", "passage", "68.00", "T20", "NET"),
    ("SORTPOUB", "Sortie et rentrée des conteneurs", "passage", "12.00", "T20", "NET"),
    ("VITRINT", "Nettoyage des vitres intérieures", "m²", "1.80", "T20", "VIT"),
    ("VITREXT", "Nettoyage des vitres extérieures", "m²", "2.40", "T20", "VIT"),
    ("VITRNAC", "Vitrerie en hauteur avec nacelle", "forfait", "650.00", "T20", "VIT"),
    ("REMSOL", "Décapage et mise en cire des sols", "m²", "6.50", "T20", "REM"),
    ("REMMOQ", "Shampouinage des moquettes", "m²", "4.20", "T20", "REM"),
    ("REMFIN", "Nettoyage de fin de chantier (sous-traitance BTP)", "m²", "3.10", "AL", "REM"),
    ("MULTENC", "Enlèvement d'encombrants", "forfait", "180.00", "T20", "MULTI"),
    ("MULTESP", "Entretien des espaces verts", "heure", "35.00", "T20", "MULTI"),
    ("SAPMEN", "Ménage au domicile (services à la personne)", "heure", "26.00", "T10", "MULTI"),
    ("PRODSAV", "Savon mains — recharge 5 L", "unité", "18.90", "T20", "PROD"),
    ("PRODPAP", "Papier toilette — colis de 96 rouleaux", "unité", "54.00", "T20", "PROD"),
]

FAMILIES = [
    ("NET", "Nettoyage contrat", "706100"),
    ("VIT", "Vitrerie", "706200"),
    ("REM", "Remise en état", "706200"),
    ("MULTI", "Multiservices", "706300"),
    ("PROD", "Produits", "707000"),
]

# code, label, 2025 wage, 2026 wage, charges rate %
QUALIFICATIONS = [
    ("AS1", "Agent de service AS1", "11.88", "12.10", "38.5"),
    ("AS2", "Agent de service AS2", "11.98", "12.22", "38.5"),
    ("AS3", "Agent de service AS3", "12.15", "12.40", "38.5"),
    ("AQS", "Agent qualifié de service", "12.45", "12.71", "40.0"),
    ("ATQS", "Agent très qualifié de service", "12.90", "13.17", "40.0"),
    ("CE", "Chef d'équipe", "13.60", "13.88", "41.0"),
    ("MP", "Maîtrise (chef de site)", "15.90", "16.25", "43.0"),
    ("CA", "Cadre", "22.50", "23.00", "45.0"),
]

TASKS = [
    ("Vidage des corbeilles", "Bureaux", "daily", "", "600", "AS1"),
    ("Aspiration des sols textiles", "Bureaux", "2_week", "", "250", "AS1"),
    ("Lavage des sols", "Couloirs", "daily", "", "300", "AS2"),
    ("Nettoyage et désinfection des sanitaires", "Sanitaires", "daily", "", "40", "AS2"),
    ("Dépoussiérage des bureaux", "Bureaux", "weekly", "", "200", "AS1"),
    ("Nettoyage de la cuisine / tisanerie", "Cuisine", "daily", "20", "", "AS2"),
    ("Balayage et lavage des halls", "Parties communes", "weekly", "", "150", "AS1"),
    (
        "Essuyage des portes vitrées et boîtes aux lettres",
        "Parties communes",
        "weekly",
        "15",
        "",
        "AS1",
    ),
    ("Sortie des conteneurs", "Parties communes", "2_week", "10", "", "AS1"),
    ("Lavage des vitres intérieures", "Vitrerie", "quarterly", "", "40", "AQS"),
    ("Décapage et cirage des sols", "Remise en état", "yearly", "", "25", "ATQS"),
    ("Contrôle qualité du site", "Encadrement", "monthly", "45", "", "CE"),
]


def load_catalogue(session: Session, ctx: Any) -> None:
    """Families, articles (``ctx["articles"]``), qualifications and task templates."""
    accounts = {a.number: a for a in session.scalars(select(Account))}
    vat = {v.code: v for v in session.scalars(select(VatRate))}

    # --- catalogue ---------------------------------------------------------------------------
    families = {
        code: save_family(session, None, code, label, accounts[account].id)
        for code, label, account in FAMILIES
    }
    articles = {}
    for code, label, unit, price, vat_code, family in ARTICLES:
        articles[code] = save_article(
            session,
            None,
            ArticleForm(
                code=code,
                label=label,
                unit=unit,
                unit_price=price,
                vat_rate_id=vat[vat_code].id,
                family_id=families[family].id,
                is_service=family != "PROD",
                sap_service=code == "SAPMEN",
            ),
        )
    ctx["families"] = families
    ctx["articles"] = articles

    # --- cost grid ---------------------------------------------------------------------------
    qualifications = {}
    for position, (code, label, wage25, wage26, rate) in enumerate(QUALIFICATIONS, start=1):
        q = save_qualification(session, None, code, label, position)
        set_hourly_cost(session, q.id, dt.date(2025, 1, 1), wage25, rate)
        set_hourly_cost(session, q.id, dt.date(2026, 1, 1), wage26, rate)
        qualifications[code] = q
    ctx["qualifications"] = qualifications
    for label, zone, freq, minutes, productivity, qual in TASKS:
        save_task_template(
            session,
            None,
            TaskTemplateForm(
                label=label,
                zone=zone,
                frequency=freq,
                minutes_per_pass=minutes,
                productivity_m2_per_hour=productivity,
                qualification_id=qualifications[qual].id,
            ),
        )
