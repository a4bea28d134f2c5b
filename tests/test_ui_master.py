"""Clients, syndics, copropriétés, sites and articles created through the real widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.db import Database, open_database
from app.demo.identity import make_siren, make_siret
from tests.pg import target_of
from ui.main_window import MainWindow

SIREN = make_siren("41253678")
SYNDIC_SIREN = make_siren("49812376")
GOOD_IBAN = "FR7630004000120001234567859"


def type_into(qtbot: QtBot, widget: QLineEdit, text: str) -> None:
    """Type like a user; QTest only knows ASCII keys, so accented text is pasted."""
    widget.clear()
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:
        widget.setText(text)
        widget.textEdited.emit(text)


def fill(qtbot: QtBot, form, **values: object) -> None:  # type: ignore[no-untyped-def]
    for name, value in values.items():
        widget = form.widget(name)
        if isinstance(widget, QLineEdit):
            type_into(qtbot, widget, str(value))
        else:
            form.set_value(name, value)


def test_master_data_through_the_widgets(qtbot: QtBot, db: Database) -> None:
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    tab = window.tab("Clients")
    editor = tab.editor

    # 1. A company client: code proposed from the name, bad SIRET then bad IBAN refused.
    editor.new()
    fill(qtbot, editor.form, kind="company", name="Cabinet Arnaud & Associés")
    assert editor.form.value("code") == "ARNA001"
    fill(
        qtbot,
        editor.form,
        siret="41253678900011",
        street="45 cours Lafayette",
        postcode="69003",
        city="Lyon",
        payment_means="direct_debit",
        iban="FR76 3000 4000 1200 0123 4567 800",
    )
    assert not editor.save()
    assert "Le SIRET « 41253678900011 » n'est pas valide" in editor.form.error_text("siret")
    assert "IBAN" in editor.form.error_text("iban")
    assert "n'est pas valide" in editor.form.error_text("iban")
    fill(qtbot, editor.form, siret=make_siret(SIREN, 10))
    assert not editor.save()
    assert editor.form.error_text("siret") == ""
    assert "L'IBAN" in editor.form.error_text("iban")
    fill(qtbot, editor.form, iban=GOOD_IBAN)
    assert editor.save(), editor.form.general_error.text()
    assert editor.title.text() == "ARNA001 — Cabinet Arnaud & Associés"
    assert [r.code for r in tab.list.visible_rows()] == ["ARNA001"]

    # 2. A syndic with two copropriétés, each with a site.
    editor.new()
    fill(
        qtbot,
        editor.form,
        kind="manager",
        name="Régie Foncière des Brotteaux",
        siret=make_siret(SYNDIC_SIREN, 20),
        street="54 boulevard des Brotteaux",
        postcode="69006",
        city="Lyon",
    )
    assert editor.save(), editor.form.general_error.text()
    syndic_id = editor.client_id
    assert editor.panels.isTabVisible(editor.condos_index)
    condo_ids = []
    for residence, street in (
        ("Résidence Les Tilleuls", "23 rue des Tilleuls"),
        ("Le Carré Gerland", "150 avenue Jean Jaurès"),
    ):
        editor.load(syndic_id)
        editor.panels.setCurrentWidget(editor.condos)
        qtbot.mouseClick(editor.condos.new_button, Qt.MouseButton.LeftButton)
        assert editor.form.value("kind") == "condominium"
        assert editor.form.value("manager_id") == syndic_id
        fill(qtbot, editor.form, name=residence, street=street, postcode="69007", city="Lyon")
        assert editor.save(), editor.form.general_error.text()
        condo_ids.append(editor.client_id)
        tab.new_site(editor.client_id)
        sites = window.tab("Chantiers")
        assert sites.form.value("client_id") == editor.client_id
        fill(
            qtbot,
            sites.form,
            name=f"{residence} — parties communes",
            surfaces="Halls : 220\nEscaliers : 90",
        )
        sites.checks["water_point"].setChecked(True)
        sites.checks["no_lift"].setChecked(True)
        assert sites.save(), sites.status.text()
        window.tab("Clients")
    editor.load(syndic_id)
    editor.panels.setCurrentWidget(editor.condos)
    tree = editor.condos.tree
    assert tree.topLevelItemCount() == 2
    assert sorted(tree.topLevelItem(i).text(0) for i in range(2)) == [
        "SDC Le Carré Gerland",
        "SDC Résidence Les Tilleuls",
    ]
    assert all(tree.topLevelItem(i).childCount() == 1 for i in range(2))
    # Double-click on a copropriété opens its record.
    editor.condos.open_client.emit(condo_ids[0])
    assert editor.client_id == condo_ids[0]
    assert editor.title.text().endswith("Résidence Les Tilleuls")

    # A bad postcode on a site is refused under the field.
    sites = window.tab("Chantiers")
    sites.new_site(condo_ids[0])
    fill(qtbot, sites.form, postcode="690", surfaces="Hall")
    assert not sites.save()
    assert "5 chiffres" in sites.form.error_text("postcode")
    assert "Surfaces" in sites.form.error_text("surfaces")

    # 3. An article at 20 %.
    articles = window.tab("Articles").editor
    articles.new()
    assert articles.form.widget("vat_rate_id").currentText() == "TVA 20 %"
    fill(
        qtbot,
        articles.form,
        code="VITRINT",
        label="Nettoyage des vitres intérieures",
        unit="m²",
        unit_price="1,80",
    )
    combo = articles.form.widget("revenue_account_id")
    combo.setCurrentIndex(
        next(i for i in range(combo.count()) if combo.itemText(i).startswith("706200"))
    )
    assert articles.save()
    assert [(r.code, r.vat, r.revenue_account) for r in articles.list.visible_rows()] == [
        ("VITRINT", "TVA 20 %", "706200")
    ]

    # 4. Everything is still there after reopening the database.
    path = target_of(db)
    window.close()
    db.dispose()
    reopened = open_database(path)
    try:
        again = MainWindow(reopened)
        qtbot.addWidget(again)
        clients_tab = again.tab("Clients")
        clients_tab.list.filter_combo.setCurrentIndex(1)  # all clients
        assert sorted(r.code for r in clients_tab.list.visible_rows()) == [
            "ARNA001",
            "CARR001",
            "REGI001",
            "TILL001",
        ]
        arnaud = next(r for r in clients_tab.list.visible_rows() if r.code == "ARNA001")
        clients_tab.editor.load(arnaud.id)
        assert clients_tab.editor.form.value("iban") == GOOD_IBAN
        assert clients_tab.editor.form.value("siren") == SIREN
        site_rows = again.tab("Chantiers").list.visible_rows()
        assert sorted(r.code for r in site_rows) == ["CARR001-01", "TILL001-01"]
        assert {r.surface for r in site_rows} == {310}
        assert [r.code for r in again.tab("Articles").editor.list.visible_rows()] == ["VITRINT"]
        again.close()
    finally:
        reopened.dispose()


def test_clients_tab_on_the_demo(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Clients")
    qtbot.keyClicks(tab.list.search, "Brotteaux")
    names = {r.name for r in tab.list.visible_rows()}
    assert "Régie Foncière des Brotteaux" in names
    tab.list.search.clear()
    tab.list.filter_combo.setCurrentText("Copropriété (SDC)")
    assert len(tab.list.visible_rows()) == 7
    row = tab.list.visible_rows()[0]
    tab.editor.load(row.id)
    tab.editor.panels.setCurrentWidget(tab.editor.history)
    assert tab.editor.history.list.visible_rows()[-1].action == "Création"
    tab.editor.panels.setCurrentWidget(tab.editor.ledger)
    assert "Encours" in tab.editor.ledger.summary.text()
    tab.editor.panels.setCurrentWidget(tab.editor.stats)
    tab.editor.panels.setCurrentWidget(tab.editor.contacts)
    from ui.contacts import ContactsDirectory

    directory = ContactsDirectory(window.ctx, window)
    qtbot.addWidget(directory)
    qtbot.keyClicks(directory.list.search, "Comptable")
    assert directory.list.visible_rows()
    assert all(r.role == "Comptable" for r in directory.list.visible_rows())


def test_settings_dialogs(qtbot: QtBot, db: Database) -> None:
    import datetime as dt
    from decimal import Decimal

    from ui.settings_master import cost_grid_editors, users_editor, vat_editor

    window = MainWindow(db)
    qtbot.addWidget(window)
    titles = [a.text() for a in window.settings_menu.actions()]
    for title in ("Taux de TVA…", "Plan comptable…", "Grille de coûts horaires…", "Utilisateurs…"):
        assert title in titles

    vat = vat_editor(window.ctx)
    qtbot.addWidget(vat)
    vat.new()
    fill(qtbot, vat.form, code="AL2", label="Autoliquidation bis", rate="0", category="AE")
    assert not vat.save()
    assert "Mention" in vat.form.error_text("mention")
    fill(qtbot, vat.form, code="T85", label="TVA 8,5 %", rate="8,5", category="S")
    assert vat.save()
    assert any(r.code == "T85" and r.rate == Decimal("8.5") for r in vat.list.visible_rows())

    people = users_editor(window.ctx)
    qtbot.addWidget(people)
    people.new()
    fill(
        qtbot,
        people.form,
        login="sophie",
        full_name="Sophie Bernard",
        initials="SB",
        role="facturation",
    )
    fill(qtbot, people.form, password="secret")
    assert people.save()
    [row] = people.list.visible_rows()
    assert (row.login, row.role, row.has_password) == ("sophie", "Facturation", True)

    qualifications, grid, tasks = (w for _name, w in cost_grid_editors(window.ctx))
    for w in (qualifications, grid, tasks):
        qtbot.addWidget(w)
    qualifications.new()
    fill(qtbot, qualifications.form, code="AS1", label="Agent de service AS1")
    assert qualifications.save()
    grid = cost_grid_editors(window.ctx)[1][1]  # rebuilt: the qualification is now a choice
    qtbot.addWidget(grid)
    grid.new()
    combo = grid.form.widget("qualification_id")
    combo.setCurrentIndex(1)
    grid.form.set_value("valid_from", dt.date(2026, 1, 1))
    fill(qtbot, grid.form, hourly_wage="12,10", charges_rate="38,5")
    assert grid.save()
    [line] = grid.list.visible_rows()
    assert (line.qualification, line.loaded_cost) == ("AS1", Decimal("16.7585"))
    tasks.new()
    fill(qtbot, tasks.form, label="Vidage des corbeilles", zone="Bureaux")
    assert not tasks.save()
    assert "Minutes par passage" in tasks.form.error_text("minutes_per_pass")


def test_startup_chooser_checks_the_password(qtbot: QtBot, demo_db: Database) -> None:
    from app import users
    from ui.user_chooser import UserChooser, choose_startup_user

    with demo_db.write() as s:
        sophie = next(u for u in users.active_users(s) if u.login == "sophie")
        form = users.form_from_user(sophie)
        form.password = "facture"
        users.update_user(s, sophie.id, form)
        choices = [(u.id, u.full_name) for u in users.active_users(s)]
        sophie_id = sophie.id
    # Tests set PROPREO_USER: the chooser never blocks them.
    assert choose_startup_user(demo_db) is True and demo_db.user_id is None
    dialog = UserChooser(demo_db, choices)
    qtbot.addWidget(dialog)
    dialog.combo.setCurrentIndex(dialog.combo.findData(sophie_id))
    assert dialog.password.isEnabled()
    qtbot.keyClicks(dialog.password, "wrong")
    dialog.check()
    assert dialog.error.text() == "Mot de passe incorrect." and demo_db.user_id is None
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, "facture")
    dialog.check()
    assert demo_db.user_id == sophie_id


def test_clients_export_to_xlsx(qtbot: QtBot, demo_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Clients")
    tab.list.filter_combo.setCurrentText("Syndic / régie")
    target = tmp_path / "syndics.xlsx"
    tab.list.export_xlsx(str(target))
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Code", "Type", "Nom")
    assert sorted(r[2] for r in rows[1:]) == [
        "Cabinet Vallon Syndic",
        "Régie Foncière des Brotteaux",
    ]
