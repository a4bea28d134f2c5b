"""Demo step 1: the firm itself, its staff."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.company import CompanyForm, save_company
from app.demo.identity import fr_vat, make_siren, make_siret
from app.users import ADMIN, BILLING, OPERATIONS, SALES, create_user
from models.users import Department

SIREN = make_siren("81234567")


def load(session: Session, ctx: object) -> None:
    form = CompanyForm(
        name="Lumière Propreté Services",
        legal_form="SAS",
        share_capital="50000",
        street="12 rue de la République",
        postcode="69002",
        city="Lyon",
        siren=SIREN,
        siret=make_siret(SIREN, 17),
        rcs_city="Lyon",
        vat_number=fr_vat(SIREN),
        naf_code="81.21Z",
        iban="FR7630004001230001234567843",
        bic="BNPAFRPPXXX",
        bank_name="BNP Paribas Lyon République",
        email="facturation@lumiere-proprete.fr",
        phone="04 78 00 12 34",
        website="www.lumiere-proprete.fr",
        vat_on_debits=False,
        payment_term_kind="net",
        payment_term_days=30,
        late_penalty_rate="12.15",
        ecb_rate="2.15",
        ecb_rate_date="01/07/2026",
        sepa_creditor_id="FR72ZZZ123456",
        # Declared household-services provider: the 10 % rate of its private clients needs it.
        sap_declaration_number="SAP812345676",
        client_code_rule="letters",
    )
    company = save_company(session, form)
    company.electronic_address = SIREN
    departments = {d.name: d.id for d in session.scalars(select(Department))}
    create_user(
        session,
        "admin",
        "Claire Martin",
        role=ADMIN,
        department_id=departments.get("Direction"),
        email="c.martin@lumiere-proprete.fr",
    )
    create_user(
        session,
        "sophie",
        "Sophie Bernard",
        role=BILLING,
        department_id=departments.get("Comptabilité"),
        email="s.bernard@lumiere-proprete.fr",
    )
    create_user(
        session,
        "karim",
        "Karim Haddad",
        role=SALES,
        department_id=departments.get("Commercial"),
        email="k.haddad@lumiere-proprete.fr",
    )
    create_user(
        session,
        "lucas",
        "Lucas Moreau",
        role=OPERATIONS,
        department_id=departments.get("Exploitation"),
        email="l.moreau@lumiere-proprete.fr",
    )
