"""Contract follow-up: indices and CSV import, revision runs, notices, renewals, projection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy.orm import Session

from app.errors import ValidationErrors
from app.revisions import indices
from app.revisions.indices import IndexForm
from models.revisions import Periodicity

INSEE_EXPORT = """\
"Libellé";"Indice du coût horaire du travail révisé - Salaires et charges - Section N"
"idBank";"001565183"
"Dernière mise à jour";"12/06/2026 08:45"
"Période";""
"2025-12";"129,4";"A"
"2026-01";"129,9";"A"
"2026-02";"130,2";"P"
"""


def test_csv_import_insee_export_and_corrections(session: Session) -> None:
    index = indices.create_index(session, IndexForm(name="ICHTrev-TS section N", source="INSEE"))
    result = indices.import_csv(session, index.id, INSEE_EXPORT)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert indices.value_at(session, index.id, dt.date(2026, 2, 17)) == D("130.200000")
    # Second import: one corrected value, one new, one unchanged.
    again = indices.import_csv(session, index.id, "02/2026;130,3\n03/2026;130,8\n2026-01;129.9\n")
    assert (again.created, again.updated, again.unchanged) == (1, 1, 1)
    assert [(r.month, r.value) for r in indices.list_values(session, index.id)][:2] == [
        (dt.date(2026, 3, 1), D("130.800000")),
        (dt.date(2026, 2, 1), D("130.300000")),
    ]
    assert indices.list_indices(session)[0].values == 4


def test_csv_import_reports_every_bad_line_and_writes_nothing(session: Session) -> None:
    index = indices.create_index(session, IndexForm(name="Index Propreté"))
    text = "Mois;Valeur\n2026-01;118,2\n2026-13;119\n2026-03;abc\n2026-04\n2026-01;118,3\n"
    with pytest.raises(ValidationErrors) as err:
        indices.import_csv(session, index.id, text)
    messages = [str(e) for e in err.value.errors]
    assert messages == [
        "Ligne 3 : « 2026-13 » n'est pas un mois (attendu 2026-06, 06/2026 ou 2026-T2).",
        "Ligne 4 : « abc » n'est pas une valeur d'indice valide (nombre positif, 6 décimales au "
        "plus).",
        "Ligne 5 : il manque la valeur.",
        "Ligne 6 : le mois 01/2026 figure déjà ligne 2.",
    ]
    assert indices.list_values(session, index.id) == []


def test_quarterly_series(session: Session) -> None:
    form = IndexForm(name="Index Propreté", periodicity=Periodicity.QUARTERLY)
    index = indices.create_index(session, form)
    result = indices.import_csv(session, index.id, "2026-T1;121,4\nT2 2026;122,0\n")
    assert result.created == 2
    assert indices.value_at(session, index.id, dt.date(2026, 5, 1)) == D("122.000000")
    assert indices.value_at(session, index.id, dt.date(2026, 7, 1)) is None
    with pytest.raises(ValidationErrors, match="n'est pas un début de trimestre"):
        indices.import_csv(session, index.id, "2026-08;123\n")
    with pytest.raises(ValidationErrors, match="existe déjà"):
        indices.create_index(session, IndexForm(name="Index Propreté"))
