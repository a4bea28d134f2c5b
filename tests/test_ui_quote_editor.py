"""The quote editor round-trips what it opens (issue O): every quote of the demo firm, and a
quote holding every optional field, saved untouched changes no column of any row; one field
changed changes that column only. Plus the defects seen: article, discount and billing
frequency wiped by a save (1 260 → 1 360 € HT), every line monthly after acceptance,
contract_from_quote without the discount, a pre-selected client, an accepted quote whose
lines could still be deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.money import format_amount
from app.quotes import quotes as uc
from app.quotes import transitions
from models.catalog import Article
from models.clients import Site
from models.contracts import Contract
from models.quotes import Quote, QuoteKind
from tests.roundtrip import assert_only, assert_unchanged, snapshot
from ui.context import UiContext
from ui.operations import Bus, OperationRunner
from ui.quote_editor import QuoteEditor
from ui.quote_lines import DISCOUNT, FREQUENCY, LABEL, PRICE, VAT

DAY = dt.date(2026, 9, 20)
LINES_FREQUENCY = ("quote_lines", "billing_frequency")
TOTALS = {
    ("quote_lines", "total_ht"),
    ("quotes", "total_ht"),
    ("quotes", "total_vat"),
    ("quotes", "total_ttc"),
}


def _ctx(db: Database) -> UiContext:
    bus = Bus()
    return UiContext(db, bus, OperationRunner(db, bus))


def _full_quote(db: Database, kind: str = QuoteKind.CONTRACT) -> int:
    """A draft quote with every optional header and line field filled."""
    with db.write() as s:
        site = s.scalar(select(Site).where(Site.code == "ARNA001-01"))
        article = s.scalar(select(Article).where(Article.active).order_by(Article.code))
        assert site is not None and article is not None
        form = uc.QuoteForm(
            client_id=site.client_id,
            site_id=site.id,
            kind=kind,
            title="Entretien des bureaux et vitrerie",
            quote_date=DAY,
            validity_date=DAY + dt.timedelta(days=45),
            conditions="Prix fermes un an.",
            free_of_charge=False,
            frequency="3 passages par semaine",
            cadence="lundi, mercredi, vendredi 6 h–8 h",
            duration_hours=Decimal("2.5"),
            start_date=dt.date(2026, 10, 1),
            contract_months=24,
            probability=Decimal("70"),
            include_photos=False,
            lines=[
                uc.LineForm(
                    label="Entretien des bureaux",
                    quantity="1",
                    unit="mois",
                    unit_price="1360",
                    vat_code="T20",
                    discount="100",
                    description="Selon cahier des charges annexé",
                    billing_frequency="monthly",
                ),
                uc.LineForm(
                    label="Vitrerie",
                    quantity="1",
                    unit="forfait",
                    unit_price="360",
                    vat_code="T10",
                    article_id=article.id,
                    billing_frequency="quarterly",
                    kind="product",
                ),
                uc.LineForm(label="Produits", quantity="2,5", unit="m²", vat_code="T21"),
                uc.LineForm(label="Franchise", unit_price="12.3456", vat_code="FRANCHISE"),
            ],
        )
        return uc.create_quote(s, form).id


def _open(qtbot: QtBot, db: Database, quote_id: int | None) -> QuoteEditor:
    editor = QuoteEditor(_ctx(db), quote_id)
    qtbot.addWidget(editor)
    return editor


def test_every_quote_saved_untouched_keeps_every_column(qtbot: QtBot, demo_db: Database) -> None:
    full = _full_quote(demo_db)
    with demo_db.read() as s:
        ids = list(s.scalars(select(Quote.id).order_by(Quote.id)))
    assert full in ids and len(ids) >= 12
    before = snapshot(demo_db)
    for quote_id in ids:
        editor = _open(qtbot, demo_db, quote_id)
        assert editor.save(), editor.form.general_error.text()
        editor.close()
    assert_unchanged(demo_db, before)  # no column of any row of any table, no history


def test_unchanged_save_keeps_discount_article_and_frequency(
    qtbot: QtBot, demo_db: Database
) -> None:
    """Seen: an unchanged save moved a total from 1 260 to 1 360 € HT."""
    quote_id = _full_quote(demo_db)
    editor = _open(qtbot, demo_db, quote_id)
    assert editor.lines.cell_text(0, DISCOUNT) == "100"
    assert editor.lines.cell_text(1, FREQUENCY) == "Trimestrielle"
    assert editor.lines.cell_text(3, VAT).startswith("FRANCHISE")
    assert editor.save()
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None
        assert quote.lines[0].total_ht == Decimal("1260.00")
        assert quote.lines[0].discount == Decimal("100.00")
        assert quote.lines[1].article_id is not None
        assert quote.lines[1].billing_frequency == "quarterly"
        assert quote.start_date == dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda e: e.lines.set_cell(0, DISCOUNT, "150"), {("quote_lines", "discount")} | TOTALS),
        (lambda e: e.lines.set_cell(1, FREQUENCY, "yearly"), {LINES_FREQUENCY}),
        (lambda e: e.lines.set_cell(2, LABEL, "Produits d'entretien"), {("quote_lines", "label")}),
        # The FRANCHISE line (0 %): the totals HT and TTC move, not the VAT.
        (
            lambda e: e.lines.set_cell(3, PRICE, "20"),
            {("quote_lines", "unit_price")} | TOTALS - {("quotes", "total_vat")},
        ),
        (lambda e: e.form.set_value("title", "Nouvel objet"), {("quotes", "title")}),
        (lambda e: e.form.set_value("cadence", "mardi 7 h"), {("quotes", "cadence")}),
    ],
)
def test_one_field_changed_changes_that_column_only(
    qtbot: QtBot, demo_db: Database, change: Any, expected: set[str]
) -> None:
    quote_id = _full_quote(demo_db)
    before = snapshot(demo_db)
    editor = _open(qtbot, demo_db, quote_id)
    change(editor)
    assert editor.save(), editor.form.general_error.text()
    assert_only(demo_db, before, expected)  # + the quote's updated_at and its history


def test_quarterly_line_stays_quarterly_and_discount_reaches_the_contract(
    qtbot: QtBot, demo_db: Database
) -> None:
    """Seen: windows quoted 360 €/quarter billed 360 €/month; accepted at 1 260, contract at
    1 360 (the discount ignored)."""
    quote_id = _full_quote(demo_db)
    editor = _open(qtbot, demo_db, quote_id)
    assert editor.save()
    with demo_db.write() as s:
        transitions.send_quote(s, quote_id, DAY)
        transitions.accept_quote(s, quote_id, DAY + dt.timedelta(days=3))
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None and quote.contract_id is not None
        contract = s.get(Contract, quote.contract_id)
        assert contract is not None
        lines = [line.versions[0] for line in sorted(contract.lines, key=lambda li: li.position)]
        assert [(li.frequency, li.unit_price) for li in lines[:2]] == [
            ("monthly", Decimal("1260.0000")),
            ("quarterly", Decimal("360.0000")),
        ]
        assert f"(remise de {format_amount(Decimal(100))} déduite)" in lines[0].description


def test_new_quote_has_no_client_and_blank_form_is_refused(qtbot: QtBot, demo_db: Database) -> None:
    with demo_db.read() as s:
        count = s.query(Quote).count()
    editor = _open(qtbot, demo_db, None)
    assert editor.form.value("client_id") is None
    assert not editor.save()
    assert "client" in editor.form.error_text("client_id").lower()
    with demo_db.read() as s:
        assert s.query(Quote).count() == count


def test_accepted_quote_is_read_only(qtbot: QtBot, demo_db: Database) -> None:
    with demo_db.read() as s:
        quote_id = s.scalar(select(Quote.id).where(Quote.status == "accepted"))
    before = snapshot(demo_db)
    editor = _open(qtbot, demo_db, quote_id)
    rows = editor.lines.rowCount()
    assert rows > 0
    assert not editor.delete_line_button.isEnabled()
    assert not editor.add_button.isEnabled()
    editor.lines.setCurrentCell(0, LABEL)
    assert not editor.lines.remove_current()
    assert editor.lines.rowCount() == rows
    assert not editor.lines.cellWidget(0, VAT).isEnabled()
    assert editor.save()
    assert_unchanged(demo_db, before)


def test_article_chosen_fills_its_row_and_vat_list_comes_from_the_app(
    qtbot: QtBot, demo_db: Database
) -> None:
    editor = _open(qtbot, demo_db, None)
    row = editor.add_line()
    vat_combo = editor.lines.cellWidget(row, VAT)
    codes = {vat_combo.itemData(i) for i in range(vat_combo.count())}
    assert {"T20", "T10", "T55", "T21", "EXO", "AL", "FRANCHISE"} <= codes
    with demo_db.read() as s:
        article = s.scalar(select(Article).where(Article.active).order_by(Article.code))
        assert article is not None
        expected = (article.label, article.unit, article.vat_rate.code)
    editor.lines.set_cell(row, 0, article.id)
    assert editor.lines.item(row, LABEL).text() == expected[0]
    assert editor.lines.cell_text(row, 3) == expected[1]
    assert editor.lines.cellWidget(row, VAT).currentData() == expected[2]


def test_a_refused_sheet_keeps_the_quote_as_it_was(
    qtbot: QtBot, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue R §2: « Enregistrer » is one use case (app.quotes.sheets.save_quote). Seen: the
    editor saved the header in one transaction and the sheets in a second one, so a sheet
    refused (deleted meanwhile by another user) left the new title saved without its sheets,
    while the editor said the save failed."""
    quote_id = _full_quote(demo_db)
    before = snapshot(demo_db)
    editor = _open(qtbot, demo_db, quote_id)
    editor.form.set_value("title", "Titre qui ne doit pas rester")
    monkeypatch.setattr(editor, "checked_sheets", lambda: [987654])  # a sheet gone meanwhile
    assert not editor.save()
    assert "Fiche technique introuvable." in editor.form.general_error.text()
    assert_unchanged(demo_db, before)
    monkeypatch.setattr(editor, "checked_sheets", lambda: [])
    assert editor.save(), editor.form.general_error.text()
    with demo_db.read() as session:
        assert session.get(Quote, quote_id).title == "Titre qui ne doit pas rester"  # type: ignore[union-attr]
