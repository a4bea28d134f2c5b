"""Round-trip through the real widgets: the catalogue and the settings (safeguard 1 of
issue O). Articles, article families, VAT rates, accounts, the cost grid (qualifications,
hourly costs, task templates), users, the company settings and the e-mail settings: every
record of the demo firm (and records holding every optional field) is opened in its editor
and saved untouched, which must change no column of any row; then one field is changed and
only that column changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import catalog, costs
from app.db import Database
from models.catalog import Account, VatRate
from tests.roundtrip import assert_only, assert_unchanged, snapshot
from ui.context import UiContext
from ui.operations import Bus, OperationRunner
from ui.settings_lists import ListEditor


def _ctx(db: Database) -> UiContext:
    bus = Bus()
    return UiContext(db, bus, OperationRunner(db, bus))


def save_every_row(editor: ListEditor) -> int:
    """Open each row of a list editor as a user would (select it) and press Enregistrer."""
    rows = editor.list.visible_rows()
    for row in rows:
        editor.select_id(row.id)
        assert editor.current_id == row.id
        assert editor.save(), (row, editor.form.general_error.text(), _errors(editor))
    return len(rows)


def _errors(editor: ListEditor) -> dict[str, str]:
    return {
        f.name: editor.form.error_text(f.name)
        for f in editor.form.fields
        if editor.form.error_text(f.name)
    }


def _full_records(db: Database) -> None:
    """An article, a family and a task template holding every optional field."""
    with db.write() as s:
        account = s.scalar(select(Account.id).where(Account.number.like("706%")))
        vat = s.scalar(select(VatRate.id).where(VatRate.rate == 10))
        family = catalog.save_family(s, None, "VITR", "Vitrerie et façades", account, True)
        form = catalog.ArticleForm(
            code="VITR-HAUT",
            label="Vitrerie en hauteur (nacelle)",
            description="Nacelle 12 m comprise.\nBalisage de la zone.",
            unit="m²",
            unit_price="3.4575",
            vat_rate_id=vat,
            family_id=family.id,
            revenue_account_id=account,
            is_service=True,
        )
        catalog.save_article(s, None, form)
        qualification = costs.qualifications(s)[-1].id
        costs.save_task_template(
            s,
            None,
            costs.TaskTemplateForm(
                label="Lavage mécanisé des halls",
                zone="Hall",
                frequency="weekly",
                minutes_per_pass="12.5",
                productivity_m2_per_hour="450.25",
                qualification_id=qualification,
            ),
        )


EDITORS: dict[str, Callable[[UiContext], ListEditor]] = {}


def _articles(ctx: UiContext) -> ListEditor:
    from ui.articles import ArticlesTab

    tab = ArticlesTab(ctx)
    tab.editor.setParent(None)  # the editor alone, as the families and settings editors
    tab.editor.tab = tab  # type: ignore[attr-defined]  # kept alive with it
    return tab.editor


def _families(ctx: UiContext) -> ListEditor:
    from ui.articles import families_editor

    return families_editor(ctx)


def _settings(name: str, index: int = 0) -> Callable[[UiContext], ListEditor]:
    def make(ctx: UiContext) -> ListEditor:
        import ui.settings_master as m

        if name == "cost_grid":
            return m.cost_grid_editors(ctx)[index][1]  # type: ignore[return-value]
        return getattr(m, f"{name}_editor")(ctx)

    return make


EDITORS = {
    "articles": _articles,
    "familles": _families,
    "tva": _settings("vat"),
    "comptes": _settings("accounts"),
    "qualifications": _settings("cost_grid", 0),
    "couts_horaires": _settings("cost_grid", 1),
    "taches_types": _settings("cost_grid", 2),
    "utilisateurs": _settings("users"),
}


@pytest.mark.parametrize("name", list(EDITORS))
def test_every_record_saved_untouched_changes_nothing(
    qtbot: QtBot, demo_db: Database, name: str
) -> None:
    _full_records(demo_db)
    editor = EDITORS[name](_ctx(demo_db))
    qtbot.addWidget(editor.window())
    before = snapshot(demo_db)
    assert save_every_row(editor) >= 2
    assert_unchanged(demo_db, before)


# One field changed → only that column changes: (editor, row chosen, field, new text,
# table, column, stored value).
ONE_FIELD: list[tuple[str, Callable[[Any], bool], str, str, str, str, Any]] = [
    ("articles", lambda r: r.code == "VITR-HAUT", "unit_price", "3,46", "articles", "unit_price", 34600),
    ("familles", lambda r: r.code == "VITR", "label", "Vitrerie", "article_families", "label", "Vitrerie"),
    ("tva", lambda r: r.code and "20" in str(r.rate), "mention", "TVA 20 %", "vat_rates", "mention", "TVA 20 %"),
    ("qualifications", lambda r: r.code == "AS1", "label", "Agent de service 1", "qualifications", "label", "Agent de service 1"),
    ("couts_horaires", lambda r: True, "charges_rate", "43,5", "hourly_costs", "charges_rate", 43500000),
    ("comptes", lambda r: r.number.startswith("706"), "label", "Prestations de nettoyage", "accounts", "label", "Prestations de nettoyage"),
    ("utilisateurs", lambda r: True, "initials", "ZZ", "users", "initials", "ZZ"),
    ("taches_types", lambda r: r.label == "Lavage mécanisé des halls", "productivity_m2_per_hour", "460", "task_templates", "productivity_m2_per_hour", 460000),
]  # fmt: skip


@pytest.mark.parametrize("case", ONE_FIELD, ids=[c[0] for c in ONE_FIELD])
def test_one_field_changed_changes_only_that_column(
    qtbot: QtBot, demo_db: Database, case: tuple[Any, ...]
) -> None:
    name, choose, field, text, table, column, stored = case
    _full_records(demo_db)
    editor = EDITORS[name](_ctx(demo_db))
    qtbot.addWidget(editor.window())
    row = next(r for r in editor.list.visible_rows() if choose(r))
    editor.select_id(row.id)
    before = snapshot(demo_db)
    editor.form.set_value(field, text)
    assert editor.save(), _errors(editor)
    [change] = assert_only(demo_db, before, {(table, column)})
    assert change.new == stored


def test_an_article_on_a_vat_rate_deactivated_since_is_never_silently_changed(
    qtbot: QtBot, demo_db: Database
) -> None:
    """The VAT list offers active rates only. An article on a rate deactivated since shows
    it (it used to take the first rate of the list, 10 % → 20 %, without a word); saving
    says the rate is deactivated, under the field, and writes nothing."""
    _full_records(demo_db)
    with demo_db.write() as s:
        from models.catalog import Article

        article = s.scalar(select(Article).where(Article.code == "VITR-HAUT"))
        assert article is not None
        s.get(VatRate, article.vat_rate_id).active = False  # type: ignore[union-attr]
        article_id, vat_id = article.id, article.vat_rate_id
    editor = _articles(_ctx(demo_db))
    qtbot.addWidget(editor.window())
    editor.select_id(article_id)
    assert editor.form.value("vat_rate_id") == vat_id
    before = snapshot(demo_db)
    assert not editor.save()
    assert "est désactivé" in editor.form.error_text("vat_rate_id")
    assert_unchanged(demo_db, before)
    # The kept entry goes when another article is opened: the inactive rate is not offered.
    other = next(r for r in editor.list.visible_rows() if r.id != article_id)
    editor.select_id(other.id)
    combo = editor.form.widget("vat_rate_id")
    offered = [combo.itemData(i) for i in range(combo.count())]  # type: ignore[attr-defined]
    assert vat_id not in offered


def test_company_settings_saved_untouched_change_nothing(qtbot: QtBot, demo_db: Database) -> None:
    from ui.settings_dialog import CompanyDialog

    ctx = _ctx(demo_db)
    before = snapshot(demo_db)
    dialog = CompanyDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.save()
    assert dialog.result() == 1, dialog.form.general_error.text()
    assert_unchanged(demo_db, before)

    dialog = CompanyDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.form.widget("late_penalty_rate").setText("12,5")
    dialog.save()
    [change] = assert_only(demo_db, before, {("company_settings", "late_penalty_rate")})
    assert change.new == 12500000


def test_company_settings_with_every_optional_field_round_trip(
    qtbot: QtBot, demo_db: Database
) -> None:
    """An irregular first exercise, a closing on 30/06, VAT on debits, a share capital with
    cents, 45 days end of month, a shorter SEPA notice: all kept by an untouched save."""
    from app.company import form_from_company, get_company, save_company
    from ui.settings_dialog import CompanyDialog

    with demo_db.write() as s:
        form = form_from_company(get_company(s))
        form.share_capital = "50000,50"
        form.street2 = "Bâtiment C"
        form.vat_on_debits = True
        form.payment_term_kind, form.payment_term_days = "days_eom", 45
        form.late_penalty_rate, form.ecb_rate, form.ecb_rate_date = "12,15", "2,15", "01/07/2026"
        form.sepa_prenotification_days = 5
        form.fiscal_closing = "30/06"
        form.fiscal_first_start, form.fiscal_first_end = "15/03/2025", "30/06/2026"
        form.client_code_rule = "numeric"
        save_company(s, form)
    before = snapshot(demo_db)
    dialog = CompanyDialog(_ctx(demo_db))
    qtbot.addWidget(dialog)
    dialog.save()
    assert dialog.result() == 1, dialog.form.general_error.text()
    assert_unchanged(demo_db, before)


def test_email_settings_saved_untouched_change_nothing(qtbot: QtBot, demo_db: Database) -> None:
    from app.documents import smtp_settings
    from ui.documents import EmailSettingsDialog

    with demo_db.write() as s:  # every optional field filled
        form = smtp_settings.form_from_settings(smtp_settings.get_settings(s))
        form.host, form.port, form.username = "smtp.exemple.fr", "465", "facturation"
        form.security, form.sender_name = "ssl", "Lumière Propreté — facturation"
        form.sender_email, form.reply_to = "facturation@exemple.fr", "compta@exemple.fr"
        form.bcc = "archives@exemple.fr"
        smtp_settings.save_settings(s, form)
    ctx = _ctx(demo_db)
    before = snapshot(demo_db)
    dialog = EmailSettingsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.save()
    assert dialog.result() == 1, dialog.form.general_error.text()
    assert_unchanged(demo_db, before)
