"""Issue T §2: numbers that broke the run.

Seen: quantity 99999999999999 × price 99999999999 accepted on a contract line, then the
month-end run died with OverflowError and nobody got an invoice; ``1e30`` as a credit
limit or quantity gave ``decimal.InvalidOperation``, ``1e15`` as a price OverflowError;
``--period 9999-12`` and ``fec --year 99999`` gave tracebacks.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.billing.contracts import ContractForm, LineForm, activate, create_contract
from app.billing.runs import run_month
from app.clients import ClientForm, create_client
from app.errors import ValidationError, ValidationErrors
from models.contracts import Contract
from models.invoices import Invoice
from tests import billing_fixtures as fx
from tests.pg import target_of

ROOT = Path(__file__).resolve().parent.parent


def _line_error(session, quantity, price) -> ValidationError:  # type: ignore[no-untyped-def]
    c = fx.client(session)
    with pytest.raises(ValidationError) as err:
        create_contract(
            session,
            ContractForm(client_id=c.id, start_date=dt.date(2026, 1, 1)),
            [LineForm("Entretien", quantity, price)],
            today=dt.date(2026, 1, 1),
        )
    assert session.scalar(select(func.count()).select_from(Contract)) == 0
    return err.value


@pytest.mark.parametrize(
    ("quantity", "price", "field", "words"),
    [
        ("99999999999999", "99999999999", "Ligne 1 — quantité", "dépasse la limite admise"),
        ("5000000", "1", "Ligne 1 — quantité", "limite admise pour une quantité (±1 000 000)"),
        ("1e30", "10", "Ligne 1 — quantité", "1e30"),
        ("2", "1e15", "Ligne 1 — prix unitaire", "1e15"),
        ("1000", "9999999", "Ligne 1 — montant (quantité × prix)", "limite"),
        ("NaN", "1", "Ligne 1 — quantité", "pas un nombre valide"),
        ("Infinity", "1", "Ligne 1 — quantité", "pas un nombre valide"),
    ],
)
def test_out_of_bounds_numbers_on_a_contract_line_are_refused_in_french(
    session, quantity, price, field, words
) -> None:
    error = _line_error(session, quantity, price)
    assert error.field == field
    assert words in str(error)


def test_a_credit_limit_of_1e30_is_refused_naming_the_field(session) -> None:
    fx.firm(session)
    form = ClientForm(name="Résidence Les Tilleuls", city="Lyon", postcode="69002")
    form.street, form.credit_limit = "1 rue Neuve", "1e30"
    with pytest.raises(ValidationErrors) as err:
        create_client(session, form)
    assert "Encours autorisé" in err.value.fields
    assert "« Encours autorisé » : 1e30 dépasse la limite admise" in str(err.value)
    form.credit_limit = "2000000000"
    with pytest.raises(ValidationErrors) as err:
        create_client(session, form)
    assert "dépasse la limite admise pour un montant (±1 000 000 000)" in str(err.value)


def test_any_exact_number_written_out_of_bounds_is_refused_at_flush(db) -> None:
    with db.write() as session:
        fx.firm(session)
        client_id = fx.client(session).id
    with pytest.raises(ValidationError) as err, db.write() as session:
        session.add(Invoice(client_id=client_id, total_ht=Decimal("10000000000.00")))
    assert err.value.field == "Total HT"
    with pytest.raises(ValidationError) as err, db.write() as session:
        session.add(Invoice(client_id=client_id, issue_date=dt.date(9999, 12, 31)))
    assert str(err.value) == (
        "« Date d'émission » : la date 31/12/9999 est hors des limites admises "
        "(années 1900 à 2099)."
    )


def test_one_bad_contract_is_left_out_and_the_others_are_invoiced(db) -> None:
    with db.write() as session:
        fx.firm(session)
        ids = []
        for code in ("A", "B", "C"):
            c = fx.client(session, code=f"CLI{code}")
            contract = create_contract(
                session,
                ContractForm(client_id=c.id, start_date=dt.date(2026, 1, 1)),
                [LineForm("Entretien", Decimal(1), Decimal(1000))],
                today=dt.date(2026, 1, 1),
            )
            activate(session, contract.id)
            ids.append(contract.id)
    with db.write() as session:  # what an older version accepted, written behind the forms
        session.execute(
            text(
                "UPDATE contract_line_versions SET quantity = 99999999999999000, "
                "unit_price = 999999999990000 WHERE line_id IN "
                "(SELECT id FROM contract_lines WHERE contract_id = :c)"
            ),
            {"c": ids[1]},
        )
        bad_code = session.get(Contract, ids[1]).code
    with db.write() as session:
        result = run_month(session, "2026-01")
    assert result.created == 2
    assert result.total_ht == Decimal("2000.00")
    assert result.warnings[0].startswith(f"Contrat {bad_code} laissé de côté : « ligne 1 — ")
    with db.read() as session:
        billed = set(session.scalars(select(Invoice.contract_id)))
    assert billed == {ids[0], ids[2]}


def _cli(*args: str, db: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir()},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("billing", "run", "--period", "9999-12"),
            "Erreur : Période « 9999-12 » invalide : attendu AAAA-MM, année de 1900 à 2099.",
        ),
        (
            ("documents", "export", "--period", "9999-12", "--out", "x"),
            "Erreur : La période « 9999-12 » doit être au format AAAA-MM, année de 1900 à 2099.",
        ),
        (
            ("accounting", "fec", "--year", "99999", "--out", "x"),
            "Erreur : Exercice 99999 hors des limites admises (années 1901 à 2098).",
        ),
        (
            ("accounting", "fec", "--date", "9999-12-31", "--out", "x"),
            "Erreur : Exercice 9999 hors des limites admises (années 1901 à 2098).",
        ),
    ],
)
def test_out_of_range_periods_give_one_french_sentence(db, args, message) -> None:
    db.dispose()
    done = _cli(*args, db=target_of(db))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == message or message in done.stdout
    assert "Traceback" not in done.stderr + done.stdout
