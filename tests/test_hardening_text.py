"""Issue T §1: text that broke documents.

Seen: control characters in a contract line and in the purchase-order field were issued
into invoices, then ``documents export`` failed for every client (« All strings must be
XML compatible »); a 100,000-character unbroken word hung the PDF for minutes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import time
from decimal import Decimal

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import func, select, text

from app.billing.contracts import ContractForm, LineForm, create_contract
from app.errors import ValidationError
from models.contracts import Contract
from models.invoices import Invoice, InvoiceLine
from reports.facturx import build_cii_xml
from reports.invoice_pdf import render_invoice_pdf
from tests import billing_fixtures as fx
from tests import documents_samples as samples

CONTROLS = ["\x00", "\x0b", "\x1b", "\x07", "\x01", "\x7f", "\u202e", "\x85"]


def _contract(session, description="Entretien", **header):  # type: ignore[no-untyped-def]
    fx.firm(session)
    c = fx.client(session)
    return create_contract(
        session,
        ContractForm(client_id=c.id, start_date=dt.date(2026, 1, 1), **header),
        [LineForm(description, Decimal(1), Decimal(100))],
        today=dt.date(2026, 1, 1),
    )


@pytest.mark.parametrize("char", CONTROLS)
def test_control_character_in_a_contract_line_is_refused_naming_the_line(session, char) -> None:
    with pytest.raises(ValidationError) as err:
        _contract(session, f"Vitrerie{char}hall")
    assert err.value.field == "Ligne 1 — désignation"
    assert "caractères de contrôle interdits" in str(err.value)
    assert session.scalar(select(func.count()).select_from(Contract)) == 0


@pytest.mark.parametrize("char", CONTROLS)
def test_control_character_in_the_purchase_order_is_refused(session, char) -> None:
    with pytest.raises(ValidationError) as err:
        _contract(session, purchase_order=f"BC{char}42")
    assert err.value.field == "N° de bon de commande"


def test_lengths_are_limited_per_field(session) -> None:
    with pytest.raises(ValidationError) as err:
        _contract(session, "A" * 1001)
    assert str(err.value) == "Le champ « Ligne 1 — désignation » dépasse 1000 caractères (1001)."


def test_one_line_fields_stay_on_one_line(session) -> None:
    with pytest.raises(ValidationError) as err:
        _contract(session, title="Bureaux\nhall")
    assert "une seule ligne" in str(err.value)


def test_every_entry_path_meets_the_same_rule_at_flush(db) -> None:
    """A script, an import or a future screen writing the model directly is refused too."""
    with db.write() as session:
        contract = _contract(session)
    with pytest.raises(ValidationError) as err, db.write() as session:
        session.add(Invoice(client_id=contract.client_id, notes="Nouvel IBAN\x1b[31m FR76"))
    assert err.value.field == "Note de la facture"
    with pytest.raises(ValidationError) as err, db.write() as session:
        session.get(Contract, contract.id).lines[0].versions[0].description = "x\x00y"
    assert err.value.field == "Désignation de la ligne"
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0
        assert session.get(Contract, contract.id).lines[0].versions[0].description == "Entretien"


def test_a_value_stored_before_the_rule_does_not_block_other_edits(db) -> None:
    with db.write() as session:
        contract_id = _contract(session).id
    with db.write() as session:  # as an older version could store it
        session.execute(text("UPDATE contracts SET notes = :n"), {"n": "ancien\x07texte"})
    with db.write() as session:
        session.get(Contract, contract_id).title = "Bureaux du 2e étage"
    with db.read() as session:
        assert session.get(Contract, contract_id).title == "Bureaux du 2e étage"


# --- rendering what older versions stored ---------------------------------------------------


def _with_description(description: str, **changes: object):  # type: ignore[no-untyped-def]
    doc = samples.invoice()
    first = dataclasses.replace(doc.lines[0], description=description)
    return dataclasses.replace(doc, lines=[first, *doc.lines[1:]], **changes)


def test_stored_control_characters_still_give_a_valid_facturx_and_pdf(tmp_path) -> None:
    doc = _with_description("Vitrerie\x00\x0b\x1b\x07\x01hall", purchase_order="BC\x0742")
    xml = build_cii_xml(doc)
    root = etree.fromstring(xml)
    names = [n.text for n in root.iter("{*}Name")]
    assert "Vitrerie     hall" in names
    assert "BC 42" in [n.text for n in root.iter("{*}IssuerAssignedID")]
    pdf = render_invoice_pdf(doc, facturx_xml=xml)
    assert "Vitrerie hall" in " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages
    ).replace("  ", " ").replace("  ", " ")


def test_a_100000_character_word_renders_fast_on_as_many_pages_as_needed() -> None:
    word = "ABCDEFGHIJ" * 10_000
    start = time.perf_counter()
    pdf = render_invoice_pdf(_with_description(word))
    elapsed = time.perf_counter() - start
    assert elapsed < 5, f"{elapsed:.1f} s"  # was more than ten minutes
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 20  # the row continues on the next pages instead of leaving the sheet
    runs = ["".join(re.findall("[A-J]{20,}", "".join(p.extract_text().split()))) for p in pages]
    assert "".join(runs) == word


def test_a_long_word_is_cut_to_the_column_in_every_wrapped_text() -> None:
    from reports.drawing import text_width, wrap
    from reports.fonts import REGULAR, register_fonts

    register_fonts()
    lines = wrap("Avant " + "W" * 5000 + " après", REGULAR, 8, 200)
    assert "".join(lines).replace(" ", "") == "Avant" + "W" * 5000 + "après"
    assert all(text_width(line, REGULAR, 8) <= 200 for line in lines)


def test_documents_written_field_by_field_are_cleaned_whole() -> None:
    """The Word quote sets text in many places: its model is cleaned as a whole."""
    from reports.text import printable_all

    doc = printable_all(_with_description("Remise\x0b en état\x00", purchase_order="BC\x1b1"))
    assert doc.lines[0].description == "Remise  en état "
    assert doc.purchase_order == "BC 1"
    assert list(doc.lines[1:]) == list(samples.invoice().lines[1:])


def test_flush_guard_reports_invoice_line_text(db) -> None:
    with db.write() as session:
        client_id = _contract(session).client_id
    with pytest.raises(ValidationError) as err, db.write() as session:
        inv = Invoice(client_id=client_id)
        inv.lines.append(InvoiceLine(position=1, description="ok", unit="h\x1b"))
        session.add(inv)
    assert err.value.field == "Unité"
