"""Issue T, done when: arbitrary text and numbers thrown at every field that reaches a
document are either refused in French naming the field, or accepted; whatever was
accepted, the month is invoiced, issued and exported as valid Factur-X documents."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.billing.contracts import ContractForm, LineForm, activate, create_contract
from app.billing.issuing import issue_invoices
from app.billing.runs import run_month
from app.db import Database, open_database
from app.documents.render import render_batch
from app.errors import ValidationError, ValidationErrors
from models.clients import Client
from reports.facturx import extract_xml
from tests import billing_fixtures as fx

TEXT = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=300),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=1200),
    st.sampled_from(["=cmd|' /c calc'!A0", "A" * 900, "<b>&amp;</b>", "\x00\x0b\x1b", ""]),
)
NUMBER = st.one_of(
    st.decimals(min_value=0, max_value=10000, places=2).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["1e30", "1e15", "99999999999999", "-0", "0,5", "1 200,50", "abc"]),
)


@pytest.fixture(scope="module")
def firm_db(tmp_path_factory: pytest.TempPathFactory, empty_db_file: Path):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("property") / "p.db"
    shutil.copyfile(empty_db_file, path)
    db = open_database(path)
    with db.write() as s:
        fx.firm(s)
        fx.client(s)
    yield db
    db.dispose()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    description=TEXT,
    title=TEXT,
    purchase_order=TEXT,
    quantity=NUMBER,
    price=NUMBER,
)
def test_whatever_is_accepted_is_exported_as_valid_documents(
    firm_db: Database, description, title, purchase_order, quantity, price
) -> None:
    try:
        with firm_db.write() as s:
            client_id = s.scalar(select(Client.id))
            contract = create_contract(
                s,
                ContractForm(
                    client_id=client_id,
                    start_date=dt.date(2026, 1, 1),
                    title=title,
                    purchase_order=purchase_order,
                ),
                [LineForm(description or "Entretien", quantity, price)],
                today=dt.date(2026, 1, 1),
            )
            activate(s, contract.id)
            contract_id = contract.id
    except (ValidationError, ValidationErrors) as refused:
        message = str(refused)
        assert message and "Traceback" not in message
        fields = refused.fields if isinstance(refused, ValidationErrors) else [refused.field]
        assert all(fields)
        return
    with firm_db.write() as s:
        result = run_month(s, "2026-01", contract_ids=[contract_id])
        assert not [w for w in result.warnings if "laissé de côté" in w]
        numbers = issue_invoices(s, result.invoice_ids) if result.invoice_ids else []
    if not numbers:
        return  # a zero amount gives no invoice
    with firm_db.read() as s:
        batch = render_batch(s, result.invoice_ids)
    assert batch.failures == [], [f.error for f in batch.failures]
    for pdf in batch.pdfs:
        assert numbers[0].encode() in extract_xml(pdf)
