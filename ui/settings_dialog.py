"""Paramètres → Société: the firm's identity, bank, VAT option, terms and penalties."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QScrollArea, QVBoxLayout, QWidget

from app import terms
from app.company import CompanyForm, form_from_company, get_company, save_company
from app.errors import NotFoundError, PropreoError
from ui.context import UiContext
from ui.forms import Field, FormWidget

FIELDS = [
    Field("name", "Raison sociale"),
    Field("legal_form", "Forme juridique", placeholder="SAS, SARL, EURL…"),
    Field("share_capital", "Capital social", placeholder="50000"),
    Field("street", "Adresse"),
    Field("street2", "Complément d'adresse"),
    Field("postcode", "Code postal"),
    Field("city", "Ville"),
    Field("siren", "SIREN"),
    Field("siret", "SIRET"),
    Field("rcs_city", "Ville du RCS"),
    Field("vat_number", "N° TVA intracommunautaire"),
    Field("naf_code", "Code NAF"),
    Field("iban", "IBAN"),
    Field("bic", "BIC"),
    Field("bank_name", "Banque"),
    Field("email", "E-mail"),
    Field("phone", "Téléphone"),
    Field("website", "Site web"),
    Field(
        "vat_on_debits",
        "Option pour les débits",
        kind="bool",
        tooltip=(
            "Cochez seulement si la société a opté pour le paiement de la TVA d'après les "
            "débits : la mention est alors imprimée sur les factures et la TVA est exigible "
            "dès la facturation. Sinon, la TVA sur les services est due à l'encaissement."
        ),
    ),
    Field(
        "payment_term_kind",
        "Conditions de règlement",
        kind="choice",
        choices=[(k, v.replace("{days}", "N")) for k, v in terms.KINDS.items()],
        error_key="Conditions de règlement",
    ),
    Field("payment_term_days", "Délai de paiement", kind="int", maximum=60),
    Field(
        "late_penalty_rate",
        "Taux des pénalités de retard",
        tooltip="Taux annuel ; par défaut taux de refinancement BCE + 10 points.",
    ),
    Field(
        "ecb_rate",
        "Taux BCE (refinancement)",
        placeholder="2,15",
        tooltip=(
            "Taux des opérations principales de refinancement de la BCE en vigueur au premier "
            "jour du semestre. Les organismes publics doivent des intérêts moratoires à ce taux "
            "majoré de 8 points (art. R2192-31 du Code de la commande publique) : il est imprimé "
            "sur leurs factures et appliqué dans leurs relances."
        ),
    ),
    Field(
        "ecb_rate_date",
        "Date du taux BCE",
        placeholder="01/07/2026",
        tooltip="Premier jour du semestre auquel ce taux s'applique (01/01 ou 01/07).",
    ),
    Field("sepa_creditor_id", "ICS (créancier SEPA)"),
    Field(
        "sepa_prenotification_days",
        "Préavis de prélèvement",
        kind="int",
        maximum=60,
        tooltip=(
            "Jours calendaires entre la facture (pré-notification) et son prélèvement SEPA : "
            "14, sauf délai plus court convenu au contrat ou au mandat."
        ),
    ),
    Field("sap_declaration_number", "N° de déclaration SAP"),
    Field("sap_declaration_date", "Date de déclaration SAP", placeholder="JJ/MM/AAAA"),
    Field(
        "fiscal_closing",
        "Clôture de l'exercice",
        placeholder="31/12",
        tooltip=(
            "Jour et mois de clôture des comptes (JJ/MM), par exemple 30/06 ou 30/09. "
            "Le FEC et le journal des ventes sont établis par exercice, du lendemain d'une "
            "clôture à la clôture suivante."
        ),
    ),
    Field(
        "fiscal_first_start",
        "Début du premier exercice",
        placeholder="15/03/2025",
        tooltip=(
            "Seulement si le premier exercice de la société est plus court ou plus long "
            "qu'un an (24 mois au plus) : sa date de début. Laisser vide sinon."
        ),
    ),
    Field(
        "fiscal_first_end",
        "Clôture du premier exercice",
        placeholder="30/06/2026",
        tooltip="Date de clôture du premier exercice (un jour de clôture). Laisser vide sinon.",
    ),
    Field(
        "client_code_rule",
        "Codification des clients",
        kind="choice",
        choices=[("letters", "Lettres du nom + compteur"), ("numeric", "Numérique")],
    ),
]


class CompanyDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Paramètres de la société")
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
