"""One source of choices (app.choices), refreshed on a change signal: a client, an article, a
family or a VAT rate created in one tab is offered in the others' combos without a restart."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.db import Database
from tests import billing_fixtures as bf
from ui.articles import ArticlesTab, families_editor
from ui.main_window import MainWindow
from ui.settings_master import vat_editor


def _labels(combo) -> list[str]:  # type: ignore[no-untyped-def]
    return [combo.itemText(i) for i in range(combo.count())]


def test_a_client_created_in_one_tab_is_offered_in_the_others(qtbot: QtBot, db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        bf.client(s)
    window = MainWindow(db)
    qtbot.addWidget(window)
    # Tabs opened before the client exists.
    contracts = window.tab("Contrats")
    billing = window.tab("Facturation")
    sites = window.tab("Chantiers")
    payments = window.tab("Règlements")
    before = _labels(contracts.form.widget("client_id"))  # type: ignore[attr-defined]
    assert before == ["—", "Société Dupont (DUPONT)"]
    clients = window.tab("Clients")
    editor = clients.editor  # type: ignore[attr-defined]
    editor.new()
    editor.form.set_value("kind", "person")
    name = editor.form.widget("name")
    name.setText("Boulangerie Martin")
    name.textEdited.emit("Boulangerie Martin")
    for field, value in (("street", "12 rue Mercière"), ("postcode", "69002"), ("city", "Lyon")):
        editor.form.set_value(field, value)
    assert editor.save(), editor.form.general_error.text()
    created = editor.client_id
    label = "Boulangerie Martin (" + editor.form.value("code") + ")"
    # Contrats → Nouveau, the invoice filter, the site form, a new payment: all offer it.
    contracts.new_contract()  # type: ignore[attr-defined]
    combo = contracts.form.widget("client_id")  # type: ignore[attr-defined]
    assert _labels(combo) == ["—", label, "Société Dupont (DUPONT)"]
    assert combo.findData(created) == 1
    assert label in _labels(billing.f_client)  # type: ignore[attr-defined]
    assert billing.f_client.itemText(0) == "Tous clients"  # type: ignore[attr-defined]
    assert sites.form.widget("client_id").findData(created) > 0  # type: ignore[attr-defined]
    assert sites.form.widget("payer_id").findData(created) > 0  # type: ignore[attr-defined]
    dialog = payments.new_payment()  # type: ignore[attr-defined]
    assert dialog.form.widget("client_id").findData(created) > 0
    # The choice in progress survives a reload.
    combo.setCurrentIndex(2)
    window.bus.changed.emit("clients")
    assert combo.currentText() == "Société Dupont (DUPONT)"


def test_a_family_an_article_and_a_vat_rate_are_offered_at_once(qtbot: QtBot, db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
    window = MainWindow(db)
    qtbot.addWidget(window)
    contracts = window.tab("Contrats")
    articles = window.tab("Articles")
    assert isinstance(articles, ArticlesTab)
    family_combo = articles.editor.form.widget("family_id")
    vat_combo = articles.editor.form.widget("vat_rate_id")
    assert "Vitrerie spéciale" not in _labels(family_combo)
    # A family created in « Familles d'articles… ».
    families = families_editor(window.ctx)
    qtbot.addWidget(families)
    families.new()
    families.form.set_value("code", "VITSP")
    families.form.set_value("label", "Vitrerie spéciale")
    revenue = families.form.widget("revenue_account_id")
    revenue.setCurrentIndex(revenue.findText("706100", Qt.MatchFlag.MatchStartsWith))
    assert revenue.currentIndex() > 0
    families.save()
    assert "Vitrerie spéciale" in _labels(family_combo)
    # A VAT rate created in Paramètres → TVA.
    vat = vat_editor(window.ctx)
    qtbot.addWidget(vat)
    vat.new()
    vat.form.set_value("code", "T13")
    vat.form.set_value("label", "TVA 13 % (test)")
    vat.form.set_value("rate", "13")
    vat.save()
    assert "TVA 13 % (test)" in _labels(vat_combo)
    # An article created in the Articles tab is offered on a contract line.
    editor = articles.editor
    editor.new()
    editor.form.set_value("code", "VIT-SP")
    editor.form.set_value("label", "Vitres en hauteur")
    editor.form.set_value("unit_price", "85")
    editor.form.set_value(
        "family_id", family_combo.itemData(_labels(family_combo).index("Vitrerie spéciale"))
    )
    editor.save()
    assert editor.form.general_error.isHidden(), editor.form.general_error.text()
    line_article = contracts.lines.cellWidget(0, 0)  # type: ignore[attr-defined]
    assert "VIT-SP — Vitres en hauteur" in _labels(line_article)
    line_article.setCurrentIndex(_labels(line_article).index("VIT-SP — Vitres en hauteur"))
    assert contracts.lines.item(0, 3).text() == "85"  # type: ignore[attr-defined]
