"""Paramètres → TVA, plan comptable, grille de coûts, utilisateurs (list + form dialogs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QLineEdit, QWidget

from app import catalog, costs, users
from app.i18n import _
from app.money import decimal_text, format_percent
from models.costs import FREQUENCIES
from ui.context import UiContext
from ui.forms import Field
from ui.settings_lists import EditorDialog, ListEditor
from ui.table import Column


def _account_choices(ctx: UiContext, prefix: str = "") -> list[tuple[Any, str]]:
    rows = ctx.query(
        lambda s: [(a.id, f"{a.number} {a.label}") for a in catalog.accounts(s, prefix=prefix)]
    )
    return [(None, "—"), *rows]


# --- VAT rates -----------------------------------------------------------------------------


def vat_editor(ctx: UiContext, parent: QWidget | None = None) -> ListEditor:
    accounts = _account_choices(ctx, "445")
    return ListEditor(
        ctx,
        columns=[
            Column(_("Code"), lambda r: r.code, 80),
            Column(_("Libellé"), lambda r: r.label, 260),
            Column(_("Taux"), lambda r: format_percent(r.rate), 70),
            Column(_("Catégorie"), lambda r: r.category, 70, tooltip=_("Catégorie EN 16931")),
            Column(_("Actif"), lambda r: r.active),
        ],
        fields=[
            Field("code", _("Code TVA")),
            Field("label", _("Libellé")),
            Field("rate", _("Taux"), tooltip=_("En pourcentage, ex. 20 ou 5,5")),
            Field(
                "category",
                _("Catégorie"),
                kind="choice",
                choices=list(catalog.VAT_CATEGORIES.items()),
                tooltip=_("Catégorie de TVA de la norme EN 16931 (AE = autoliquidation)."),
            ),
            Field("account_debits_id", _("Compte TVA (débits)"), kind="choice", choices=accounts),
            Field(
                "account_payment_id",
                _("Compte TVA (encaissements)"),
                kind="choice",
                choices=accounts,
                tooltip=_(
                    "TVA sur encaissements à régulariser (44574) quand la société n'a pas "
                    "opté pour les débits."
                ),
            ),
            Field("mention", _("Mention"), kind="multiline", tooltip=_("Imprimée sur la facture.")),
            Field("exemption_code", _("Code d'exonération"), tooltip=_("BT-121, ex. VATEX-EU-AE")),
            Field("active", _("Actif"), kind="bool"),
        ],
        rows=lambda s: _vat_rows(s),
        new_form=catalog.VatRateForm,
        load_form=lambda s, i: catalog.form_from_vat_rate(catalog.vat_rates_by_id(s, i)),
        save=catalog.save_vat_rate,
        topic="catalog",
        export_name="taux-tva",
        parent=parent,
    )


@dataclass(frozen=True)
class _VatRow:
    id: int
    code: str
    label: str
    rate: Any
    category: str
    active: bool


def _vat_rows(session: Any) -> list[_VatRow]:
    return [
        _VatRow(v.id, v.code, v.label, v.rate, v.category, v.active)
        for v in catalog.vat_rates(session)
    ]


# --- accounts ------------------------------------------------------------------------------


@dataclass
class AccountForm:
    number: str = ""
    label: str = ""
    active: bool = True


@dataclass(frozen=True)
class _AccountRow:
    id: int
    number: str
    label: str
    active: bool


def accounts_editor(ctx: UiContext, parent: QWidget | None = None) -> ListEditor:
    return ListEditor(
        ctx,
        columns=[
            Column(_("Compte"), lambda r: r.number, 90),
            Column(_("Intitulé"), lambda r: r.label, 320),
            Column(_("Actif"), lambda r: r.active),
        ],
        fields=[
            Field("number", _("N° de compte"), tooltip=_("Chiffres uniquement, ex. 706100")),
            Field("label", _("Intitulé")),
            Field("active", _("Actif"), kind="bool"),
        ],
        rows=lambda s: [
            _AccountRow(a.id, a.number, a.label, a.active) for a in catalog.accounts(s)
        ],
        new_form=AccountForm,
        load_form=lambda s, i: _account_form(s, i),
        save=lambda s, i, f: catalog.save_account(s, i, f.number, f.label, f.active),
        topic="catalog",
        export_name="plan-comptable",
        parent=parent,
    )


def _account_form(session: Any, account_id: int) -> AccountForm:
    a = next(a for a in catalog.accounts(session) if a.id == account_id)
    return AccountForm(a.number, a.label, a.active)


# --- cost grid -----------------------------------------------------------------------------


@dataclass
class QualificationForm:
    code: str = ""
    label: str = ""
    position: int = 0
    active: bool = True


@dataclass(frozen=True)
class _QualRow:
    id: int
    code: str
    label: str
    position: int
    active: bool


@dataclass
class HourlyCostForm:
    qualification_id: int | None = None
    valid_from: dt.date = dt.date(2026, 1, 1)
    hourly_wage: str = ""
    charges_rate: str = ""


@dataclass(frozen=True)
class _TaskRow:
    id: int
    label: str
    zone: str
    frequency: str
    minutes: Any
    productivity: Any
    qualification: str
    active: bool


def cost_grid_editors(ctx: UiContext, parent: QWidget | None = None) -> list[tuple[str, QWidget]]:
    qual_choices = [
        (None, "—"),
        *ctx.query(lambda s: [(q.id, f"{q.code} — {q.label}") for q in costs.qualifications(s)]),
    ]
    qualifications = ListEditor(
        ctx,
        columns=[
            Column(_("Code"), lambda r: r.code, 70),
            Column(_("Libellé"), lambda r: r.label, 260),
            Column(_("Ordre"), lambda r: r.position, 60),
            Column(_("Actif"), lambda r: r.active),
        ],
        fields=[
            Field("code", _("Code qualification"), tooltip=_("Niveau de la convention IDCC 3043")),
            Field("label", _("Libellé")),
            Field("position", _("Ordre"), kind="int", maximum=99),
            Field("active", _("Actif"), kind="bool"),
        ],
        rows=lambda s: [
            _QualRow(q.id, q.code, q.label, q.position, q.active) for q in costs.qualifications(s)
        ],
        new_form=QualificationForm,
        load_form=lambda s, i: _qual_form(s, i),
        save=lambda s, i, f: costs.save_qualification(s, i, f.code, f.label, f.position, f.active),
        topic="costs",
        export_name="qualifications",
        parent=parent,
    )
    grid = ListEditor(
        ctx,
        columns=[
            Column(_("Qualification"), lambda r: r.qualification, 90),
            Column(_("Depuis le"), lambda r: r.valid_from, 90),
            Column(_("Taux horaire"), lambda r: r.hourly_wage, 90),
            Column(_("Charges %"), lambda r: r.charges_rate, 80),
            Column(
                _("Coût chargé"),
                lambda r: r.loaded_cost,
                90,
                tooltip=_("Taux horaire × (1 + charges)"),
            ),
        ],
        fields=[
            Field("qualification_id", _("Qualification"), kind="choice", choices=qual_choices),
            Field("valid_from", _("Depuis le"), kind="date"),
            Field("hourly_wage", _("Taux horaire"), tooltip=_("Salaire horaire brut en euros")),
            Field(
                "charges_rate",
                _("Taux de charges"),
                tooltip=_("Charges patronales en % du salaire brut (ex. 42,5)"),
            ),
        ],
        rows=costs.cost_grid,
        new_form=HourlyCostForm,
        load_form=lambda s, i: _cost_form(s, i),
        save=lambda s, _i, f: costs.set_hourly_cost(
            s, f.qualification_id or 0, f.valid_from, f.hourly_wage, f.charges_rate
        ),
        topic="costs",
        export_name="grille-couts",
        parent=parent,
    )
    tasks = ListEditor(
        ctx,
        columns=[
            Column(_("Tâche"), lambda r: r.label, 240),
            Column(_("Zone"), lambda r: r.zone, 110),
            Column(_("Fréquence"), lambda r: r.frequency, 150),
            Column(_("Min./passage"), lambda r: r.minutes, 80),
            Column(_("m²/h"), lambda r: r.productivity, 60),
            Column(_("Qualification"), lambda r: r.qualification, 80),
        ],
        fields=[
            Field("label", _("Tâche")),
            Field("zone", _("Zone")),
            Field(
                "frequency",
                _("Fréquence"),
                kind="choice",
                choices=[(k, v[0]) for k, v in FREQUENCIES.items()],
            ),
            Field(
                "minutes_per_pass", _("Minutes par passage"), tooltip=_("Temps fixe par passage")
            ),
            Field(
                "productivity_m2_per_hour",
                _("Productivité (m²/h)"),
                tooltip=_("Ou bien une cadence : le temps vient alors de la surface de la zone."),
            ),
            Field("qualification_id", _("Qualification"), kind="choice", choices=qual_choices),
            Field("active", _("Actif"), kind="bool"),
        ],
        rows=_task_rows,
        new_form=costs.TaskTemplateForm,
        load_form=lambda s, i: _task_form(s, i),
        save=costs.save_task_template,
        topic="costs",
        export_name="taches-types",
        parent=parent,
    )
    return [
        (_("Qualifications"), qualifications),
        (_("Coûts horaires"), grid),
        (_("Tâches types"), tasks),
    ]


def _qual_form(session: Any, qid: int) -> QualificationForm:
    q = next(q for q in costs.qualifications(session) if q.id == qid)
    return QualificationForm(q.code, q.label, q.position, q.active)


def _cost_form(session: Any, cost_id: int) -> HourlyCostForm:
    row = next(r for r in costs.cost_grid(session) if r.id == cost_id)
    return HourlyCostForm(
        row.qualification_id,
        row.valid_from,
        decimal_text(row.hourly_wage),
        decimal_text(row.charges_rate),
    )


def _task_rows(session: Any) -> list[_TaskRow]:
    return [
        _TaskRow(
            t.id,
            t.label,
            t.zone,
            FREQUENCIES.get(t.frequency, (t.frequency, 0))[0],
            t.minutes_per_pass,
            t.productivity_m2_per_hour,
            t.qualification.code if t.qualification else "",
            t.active,
        )
        for t in costs.task_templates(session)
    ]


def _task_form(session: Any, task_id: int) -> costs.TaskTemplateForm:
    t = next(t for t in costs.task_templates(session) if t.id == task_id)
    return costs.TaskTemplateForm(
        label=t.label,
        zone=t.zone,
        frequency=t.frequency,
        minutes_per_pass="" if t.minutes_per_pass is None else decimal_text(t.minutes_per_pass),
        productivity_m2_per_hour=""
        if t.productivity_m2_per_hour is None
        else decimal_text(t.productivity_m2_per_hour),
        qualification_id=t.qualification_id,
        active=t.active,
    )


# --- users ---------------------------------------------------------------------------------


def users_editor(ctx: UiContext, parent: QWidget | None = None) -> ListEditor:
    departments = [(None, "—"), *ctx.query(users.departments)]
    editor = ListEditor(
        ctx,
        columns=[
            Column(_("Nom"), lambda r: r.full_name, 180),
            Column(_("Identifiant"), lambda r: r.login, 100),
            Column(_("Initiales"), lambda r: r.initials, 60),
            Column(_("Rôle"), lambda r: r.role, 110),
            Column(_("Service"), lambda r: r.department, 110),
            Column(_("Mot de passe"), lambda r: r.has_password, 90),
            Column(_("Actif"), lambda r: r.active),
        ],
        fields=[
            Field("login", _("Identifiant"), tooltip=_("Ne peut plus changer après la création.")),
            Field("full_name", _("Nom")),
            Field("initials", _("Initiales")),
            Field("email", _("E-mail")),
            Field(
                "role",
                _("Rôle"),
                kind="choice",
                choices=list(users.ROLES.items()),
                tooltip=_(
                    "Facturation : valider factures, avoirs, règlements. "
                    "Administrateur : en plus, les paramètres."
                ),
            ),
            Field("department_id", _("Service"), kind="choice", choices=departments),
            Field(
                "password",
                _("Mot de passe"),
                tooltip=_("Facultatif. Laisser vide pour ne pas changer le mot de passe actuel."),
            ),
        ],
        rows=users.list_users,
        new_form=users.UserForm,
        load_form=lambda s, i: users.form_from_user(users.get_user(s, i)),
        save=users.save_user,
        toggle_active=users.set_user_active,
        topic="users",
        export_name="utilisateurs",
        parent=parent,
    )
    password = editor.form.widget("password")
    assert isinstance(password, QLineEdit)
    password.setEchoMode(QLineEdit.EchoMode.Password)
    return editor


def open_vat(ctx: UiContext, parent: QWidget | None = None) -> None:
    EditorDialog(_("Taux de TVA"), [(_("TVA"), vat_editor(ctx))], parent).exec()


def open_accounts(ctx: UiContext, parent: QWidget | None = None) -> None:
    EditorDialog(_("Plan comptable"), [(_("Comptes"), accounts_editor(ctx))], parent).exec()


def open_cost_grid(ctx: UiContext, parent: QWidget | None = None) -> None:
    EditorDialog(_("Grille de coûts horaires"), cost_grid_editors(ctx), parent).exec()


def open_users(ctx: UiContext, parent: QWidget | None = None) -> None:
    EditorDialog(_("Utilisateurs"), [(_("Utilisateurs"), users_editor(ctx))], parent).exec()


def open_change_user(ctx: UiContext, parent: QWidget | None = None) -> None:
    """Fichier/Paramètres → Changer d'utilisateur (the start-up chooser, on demand)."""
    from app.users import active_users
    from ui.user_chooser import UserChooser

    choices = ctx.query(lambda s: [(u.id, u.full_name) for u in active_users(s)])
    if not choices:
        return
    dialog = UserChooser(ctx.db, choices, parent)
    previous = ctx.db.user_id
    if dialog.exec() and hasattr(parent, "set_user"):
        parent.set_user(ctx.db.user_id)
    elif ctx.db.user_id != previous:
        ctx.db.user_id = previous
