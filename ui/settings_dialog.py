"""Paramètres → Société: the firm's identity, bank, VAT option, terms and penalties."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QScrollArea, QVBoxLayout, QWidget

from app import terms
from app.company import CompanyForm, form_from_company, get_company, save_company
from app.errors import NotFoundError, PropreoError
from app.i18n import _
from ui.context import UiContext
from ui.forms import Field, FormWidget

FIELDS = [
    Field("name", _("Raison sociale")),
    Field("legal_form", _("Forme juridique"), placeholder=_("SAS, SARL, EURL…")),
    Field("share_capital", _("Capital social"), placeholder="50000"),
    Field("street", _("Adresse")),
    Field("street2", _("Complément d'adresse")),
    Field("postcode", _("Code postal")),
    Field("city", _("Ville")),
    Field("siren", _("SIREN")),
    Field("siret", _("SIRET")),
    Field("rcs_city", _("Ville du RCS")),
    Field("vat_number", _("N° TVA intracommunautaire")),
    Field("naf_code", _("Code NAF")),
    Field("iban", _("IBAN")),
    Field("bic", _("BIC")),
    Field("bank_name", _("Banque")),
    Field("email", _("E-mail")),
    Field("phone", _("Téléphone")),
    Field("website", _("Site web")),
    Field(
        "vat_on_debits",
        _("Option pour les débits"),
        kind="bool",
        tooltip=(
            _(
                "Cochez seulement si la société a opté pour le paiement de la TVA d'après les "
                "débits : la mention est alors imprimée sur les factures et la TVA est exigible "
                "dès la facturation. Sinon, la TVA sur les services est due à l'encaissement."
            )
        ),
    ),
    Field(
        "payment_term_kind",
        _("Conditions de règlement"),
        kind="choice",
        choices=[(k, v.replace("{days}", "N")) for k, v in terms.KINDS.items()],
        error_key=_("Conditions de règlement"),
    ),
    Field("payment_term_days", _("Délai de paiement"), kind="int", maximum=60),
    Field(
        "late_penalty_rate",
        _("Taux des pénalités de retard"),
        tooltip=_("Taux annuel ; par défaut taux de refinancement BCE + 10 points."),
    ),
    Field(
        "ecb_rate",
        _("Taux BCE (refinancement)"),
        placeholder="2,15",
        tooltip=(
            _(
                "Taux des opérations principales de refinancement de la BCE en vigueur au premier "
                "jour du semestre. Les organismes publics doivent des intérêts moratoires à ce taux "
                "majoré de 8 points (art. R2192-31 du Code de la commande publique) : il est imprimé "
                "sur leurs factures et appliqué dans leurs relances."
            )
        ),
    ),
    Field(
        "ecb_rate_date",
        _("Date du taux BCE"),
        placeholder="01/07/2026",
        tooltip=_("Premier jour du semestre auquel ce taux s'applique (01/01 ou 01/07)."),
    ),
    Field("sepa_creditor_id", _("ICS (créancier SEPA)")),
    Field(
        "sepa_prenotification_days",
        _("Préavis de prélèvement"),
        kind="int",
        maximum=60,
        tooltip=(
            _(
                "Jours calendaires entre la facture (pré-notification) et son prélèvement SEPA : "
                "14, sauf délai plus court convenu au contrat ou au mandat."
            )
        ),
    ),
    Field("sap_declaration_number", _("N° de déclaration SAP")),
    Field("sap_declaration_date", _("Date de déclaration SAP"), placeholder=_("JJ/MM/AAAA")),
    Field(
        "fiscal_closing",
        _("Clôture de l'exercice"),
        placeholder="31/12",
        tooltip=(
            _(
                "Jour et mois de clôture des comptes (JJ/MM), par exemple 30/06 ou 30/09. "
                "Le FEC et le journal des ventes sont établis par exercice, du lendemain d'une "
                "clôture à la clôture suivante."
            )
        ),
    ),
    Field(
        "fiscal_first_start",
        _("Début du premier exercice"),
        placeholder="15/03/2025",
        tooltip=(
            _(
                "Seulement si le premier exercice de la société est plus court ou plus long "
                "qu'un an (24 mois au plus) : sa date de début. Laisser vide sinon."
            )
        ),
    ),
    Field(
        "fiscal_first_end",
        _("Clôture du premier exercice"),
        placeholder="30/06/2026",
        tooltip=_("Date de clôture du premier exercice (un jour de clôture). Laisser vide sinon."),
    ),
    Field(
        "client_code_rule",
        _("Codification des clients"),
        kind="choice",
        choices=[("letters", _("Lettres du nom + compteur")), ("numeric", _("Numérique"))],
    ),
]


class CompanyDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Paramètres de la société"))
        self.resize(620, 700)
        self.form = FormWidget(FIELDS, self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(buttons)

        def load(session):  # type: ignore[no-untyped-def]
            try:
                return form_from_company(get_company(session))
            except NotFoundError:
                return CompanyForm()

        self.form.load(ctx.query(load))

    def save(self) -> None:
        self.form.clear_errors()
        data = self.form.dump(CompanyForm())
        try:
            self.ctx.call(save_company, data, topic="company")
        except PropreoError as exc:
            self.form.show_errors(exc)
            return
        self.accept()
