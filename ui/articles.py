"""Articles tab: the catalogue of services and products, with families."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QComboBox, QPushButton, QVBoxLayout, QWidget

from app import catalog
from app.i18n import _
from models.catalog import UNITS
from ui import choices
from ui.context import Tab, UiContext
from ui.forms import Field
from ui.settings_lists import EditorDialog, ListEditor
from ui.table import Column

COLUMNS = [
    Column(_("Code"), lambda r: r.code, 90),
    Column(_("Libellé"), lambda r: r.label, 260),
    Column(_("Famille"), lambda r: r.family, 130),
    Column(_("Unité"), lambda r: r.unit, 70),
    Column(_("Prix HT"), lambda r: r.unit_price, 90),
    Column(_("TVA"), lambda r: r.vat, 170),
    Column(_("Compte"), lambda r: r.revenue_account, 70),
    Column(_("Actif"), lambda r: r.active, 50),
]


def _choices(ctx: UiContext) -> tuple[list[Any], list[Any], list[Any]]:
    def load(session: Any) -> tuple[list[Any], list[Any], list[Any]]:
        vat = [(v.id, v.label) for v in catalog.vat_rates(session, include_inactive=False)]
        families = [(None, "—")] + [(f.id, f.label) for f in catalog.families(session)]
        accounts = [(None, _("— celui de la famille"))] + [
            (a.id, f"{a.number} {a.label}") for a in catalog.accounts(session, prefix="7")
        ]
        return vat, families, accounts

    return ctx.query(load)


class ArticlesTab(Tab):
    title = _("Articles")
    help_chapter = "articles"
    topics = ("catalog",)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        vat, families, accounts = _choices(ctx)
        default_vat = next((v for v, label in vat if "20" in label), vat[0][0] if vat else None)
        self.editor = ListEditor(
            ctx,
            columns=COLUMNS,
            fields=[
                Field("code", _("Code article")),
                Field("label", _("Libellé")),
                Field("description", _("Description"), kind="multiline"),
                Field("unit", _("Unité"), kind="choice", choices=[(u, u) for u in UNITS]),
                Field("unit_price", _("Prix unitaire HT"), tooltip=_("Jusqu'à 4 décimales.")),
                Field(
                    "vat_rate_id",
                    _("TVA"),
                    kind="choice",
                    choices=vat,
                    tooltip=_(
                        "20 % pour le nettoyage, y compris chez les particuliers ; 10 % pour "
                        "les services à la personne d'un prestataire déclaré ; autoliquidation pour "
                        "la sous-traitance dans le BTP."
                    ),
                ),
                Field("family_id", _("Famille"), kind="choice", choices=families),
                Field(
                    "revenue_account_id",
                    _("Compte de produit"),
                    kind="choice",
                    choices=accounts,
                    tooltip=_("Vide : le compte par défaut de la famille."),
                ),
                Field("is_service", _("Prestation de service"), kind="bool"),
                Field(
                    "sap_service",
                    _("Service à la personne (SAP)"),
                    kind="bool",
                    tooltip=_(
                        "Ménage, repassage… au domicile d'un particulier : mentions SAP sur "
                        "la facture et attestation fiscale annuelle, si la société est déclarée SAP. "
                        "Des travaux dans un logement à 10 % ne sont pas des services à la personne."
                    ),
                ),
            ],
            rows=catalog.list_articles,
            new_form=lambda: catalog.ArticleForm(vat_rate_id=default_vat),
            load_form=lambda s, i: catalog.form_from_article(catalog.get_article(s, i)),
            save=catalog.save_article,
            toggle_active=catalog.set_article_active,
            topic="catalog",
            export_name="articles",
            parent=self,
        )
        self.editor.list.filter_combo.setVisible(False)
        # Families and VAT rates from app.choices, reloaded when the catalogue changes.
        for name, kind, fixed in (
            ("family_id", "families", [(None, "—")]),
            ("vat_rate_id", "vat_rates", []),
        ):
            combo = self.editor.form.widget(name)
            assert isinstance(combo, QComboBox)
            choices.bind(ctx, combo, kind, fixed=fixed)
        families_button = QPushButton(_("Familles d'articles…"), self)
        families_button.clicked.connect(self.edit_families)
        self.editor.layout().addWidget(families_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor)
        self.editor.list.select_first()

    def refresh(self) -> None:
        self.editor.refresh()

    def edit_families(self) -> None:
        EditorDialog(
            _("Familles d'articles"), [(_("Familles"), families_editor(self.ctx))], self
        ).exec()
        self.refresh()


@dataclass
class FamilyForm:
    code: str = ""
    label: str = ""
    revenue_account_id: int | None = None
    active: bool = True


@dataclass(frozen=True)
class _FamilyRow:
    id: int
    code: str
    label: str
    account: str
    active: bool


def families_editor(ctx: UiContext, parent: QWidget | None = None) -> ListEditor:
    _vat, _families, accounts = _choices(ctx)

    def rows(session: Any) -> list[_FamilyRow]:
        return [
            _FamilyRow(
                f.id,
                f.code,
                f.label,
                f.revenue_account.number if f.revenue_account else "",
                f.active,
            )
            for f in catalog.families(session)
        ]

    def load(session: Any, family_id: int) -> FamilyForm:
        f = next(f for f in catalog.families(session) if f.id == family_id)
        return FamilyForm(f.code, f.label, f.revenue_account_id, f.active)

    return ListEditor(
        ctx,
        columns=[
            Column(_("Code"), lambda r: r.code, 80),
            Column(_("Famille"), lambda r: r.label, 220),
            Column(_("Compte"), lambda r: r.account, 80),
            Column(_("Actif"), lambda r: r.active, 50),
        ],
        fields=[
            Field("code", _("Code famille")),
            Field("label", _("Libellé de la famille")),
            Field("revenue_account_id", _("Compte de produit"), kind="choice", choices=accounts),
            Field("active", _("Actif"), kind="bool"),
        ],
        rows=rows,
        new_form=FamilyForm,
        load_form=load,
        save=lambda s, i, f: catalog.save_family(
            s, i, f.code, f.label, f.revenue_account_id, f.active
        ),
        topic="catalog",
        export_name="familles",
        parent=parent,
    )
