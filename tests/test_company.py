from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.company import CompanyForm, get_company, save_company
from app.demo.company import SIREN
from app.demo.identity import fr_vat, make_siret
from app.errors import ValidationErrors
from models.audit import AuditEvent


def _form(**over: object) -> CompanyForm:
    form = CompanyForm(
        name="Net Pro",
        street="1 rue A",
        postcode="69001",
        city="Lyon",
        siren=SIREN,
        siret=make_siret(SIREN),
        vat_number=fr_vat(SIREN),
        iban="FR7630006000011234567890189",
        bic="BNPAFRPPXXX",
        email="compta@netpro.fr",
    )
    for k, v in over.items():
        setattr(form, k, v)
    return form


def test_valid_settings_are_saved_and_audited(session: Session) -> None:
    save_company(session, _form(share_capital="10 000,00"))
    company = get_company(session)
    assert company.siren == SIREN and str(company.share_capital) == "10000.00"
    assert session.query(AuditEvent).filter_by(entity_type="company").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("siren", "123456789", "SIREN"),
        ("siret", "81234567600018", "SIRET"),
        ("vat_number", "FR00812345676", "N° TVA intracommunautaire"),
        ("iban", "FR7630006000011234567890180", "IBAN"),
        ("bic", "BNPXX", "BIC"),
        ("postcode", "6900", "Code postal"),
        ("email", "compta@", "E-mail"),
        ("name", "", "Raison sociale"),
        ("share_capital", "beaucoup", "Capital social"),
    ],
)
def test_each_bad_field_is_named_in_french_and_nothing_is_written(
    session: Session, field: str, value: str, label: str
) -> None:
    with pytest.raises(ValidationErrors) as info:
        save_company(session, _form(**{field: value}))
    assert label in info.value.fields
    assert label in str(info.value)
    assert session.query(AuditEvent).count() == 0


def test_siret_must_belong_to_siren(session: Session) -> None:
    other = "732829320"
    with pytest.raises(ValidationErrors, match="SIRET doit commencer par le SIREN"):
        save_company(session, _form(siret=make_siret(other)))
