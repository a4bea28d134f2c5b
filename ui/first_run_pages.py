"""The company pages of the first-start wizard: identity, bank, logo, numbering, e-mail.

Each page saves what it edits through the usual use case when the user clicks « Suivant »
(errors are shown under the field they name), so the work is kept even if the wizard is
left half-way. The wizard itself (choice of database, creation) is in :mod:`ui.first_run`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from app import company as company_uc
from app import numbering_settings
from app.errors import PropreoError, ValidationError, ValidationErrors
from app.i18n import _
from app.logo import prepare_logo
from app.numbering import validate_pattern
from ui import forms
from ui.forms import Field, FormWidget
from ui.settings_dialog import FIELDS as COMPANY_FIELDS

PAGE_CHOICE, PAGE_LOCATION, PAGE_OPEN, PAGE_DEMO = 0, 1, 2, 3
PAGE_COMPANY, PAGE_BANK, PAGE_LOGO, PAGE_NUMBERING, PAGE_DONE = 4, 5, 6, 7, 8
PAGE_SMTP = 9

SMTP_FIELDS = ("host", "port", "security", "username", "password", "sender_name", "sender_email")
IDENTITY_FIELDS = (
    "name",
    "legal_form",
    "share_capital",
    "street",
    "street2",
    "postcode",
    "city",
    "siren",
    "siret",
    "rcs_city",
    "vat_number",
    "naf_code",
    "email",
    "phone",
    "website",
)
BANK_FIELDS = (
    "iban",
    "bic",
    "bank_name",
    "vat_on_debits",
    "payment_term_kind",
    "payment_term_days",
    "late_penalty_rate",
)


def _fields(names: tuple[str, ...]) -> list[Field]:
    by_name = {f.name: f for f in COMPANY_FIELDS}
    return [by_name[n] for n in names]


def error_label(parent: QWidget) -> QLabel:
    """A red, word-wrapped, initially hidden label for a page's error message."""
    return forms.error_label(parent, hidden=True)


def show_message(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class _CompanyFormPage(QWizardPage):
    """A page editing part of the company settings, saved with app.company.save_company."""

    names: tuple[str, ...] = ()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = FormWidget(_fields(self.names), self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.form)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)

    def initializePage(self) -> None:
        self.form.load(self.wizard().company_form)

    def validatePage(self) -> bool:
        wizard = self.wizard()
        data = self.form.dump(wizard.company_form)
        try:
            wizard.ctx.call(company_uc.save_company, data, topic="company")
        except PropreoError as exc:
            self.form.show_errors(exc)
            return False
        self.form.clear_errors()
        return True


class CompanyPage(_CompanyFormPage):
    names = IDENTITY_FIELDS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(_("Identité de la société"))
        self.setSubTitle(
            _(
                "Ces mentions sont obligatoires sur les devis et factures. Le SIRET et le n° "
                "de TVA sont vérifiés (clé de contrôle, cohérence avec le SIREN)."
            )
        )


class BankPage(_CompanyFormPage):
    names = BANK_FIELDS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(_("Banque et conditions de règlement"))
        self.setSubTitle(_("L'IBAN et le BIC sont imprimés sur les factures pour les virements."))


class LogoPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(_("Logo"))
        self.setSubTitle(
            _("Facultatif : une image PNG ou JPEG, réduite pour l'en-tête des documents.")
        )
        self.png: bytes | None = None
        self.preview = QLabel(_("Aucun logo"), self)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(160)
        self.preview.setStyleSheet("border: 1px dashed #999; background: #fafafa;")
        choose = QPushButton(_("Choisir une image…"), self)
        choose.clicked.connect(self._choose)
        remove = QPushButton(_("Retirer"), self)
        remove.clicked.connect(lambda: self.set_image(None))
        self.error = error_label(self)
        row = QHBoxLayout()
        row.addWidget(choose)
        row.addWidget(remove)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def _choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Logo de la société"), "", _("Images (*.png *.jpg *.jpeg)")
        )
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> bool:
        """Read, check and shrink an image file; shows the error on the page if refused."""
        try:
            self.set_image(prepare_logo(path.read_bytes()))
        except (ValidationError, OSError) as exc:
            show_message(self.error, str(exc))
            return False
        return True

    def set_image(self, png: bytes | None) -> None:
        self.png = png
        show_message(self.error, "")
        if png is None:
            self.preview.setPixmap(QPixmap())
            self.preview.setText(_("Aucun logo"))
            return
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.preview.setPixmap(pixmap.scaled(400, 150, Qt.AspectRatioMode.KeepAspectRatio))

    def validatePage(self) -> bool:
        try:
            self.wizard().ctx.call(company_uc.set_logo, self.png, topic="company")
        except PropreoError as exc:
            show_message(self.error, str(exc))
            return False
        return True


class NumberingPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(_("Numérotation des documents"))
        self.setSubTitle(
            _(
                "Les factures et avoirs sont numérotés sans trou, dans l'ordre chronologique. "
                "Gardez les modèles proposés ou adaptez-les avant la première facture."
            )
        )
        self.edits: dict[str, QLineEdit] = {}
        self.examples: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        self.yearly: dict[str, bool] = {}
        self.grid = QGridLayout()
        self.general = error_label(self)
        help_text = QLabel(
            _(
                "Champs : {YYYY} année, {YY} année sur 2 chiffres, {MM} mois, {seq:05} numéro "
                "sur 5 chiffres."
            ),
            self,
        )
        help_text.setStyleSheet("color: #555;")
        help_text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(self.grid)
        layout.addWidget(help_text)
        layout.addWidget(self.general)
        layout.addStretch(1)

    def initializePage(self) -> None:
        if self.edits:
            return
        rows = self.wizard().ctx.query(numbering_settings.list_series)
        self.grid.addWidget(QLabel(_("<b>Série</b>")), 0, 0)
        self.grid.addWidget(QLabel(_("<b>Modèle</b>")), 0, 1)
        self.grid.addWidget(QLabel(_("<b>Premier numéro</b>")), 0, 2)
        for i, row in enumerate(rows, start=1):
            edit = QLineEdit(row.pattern, self)
            edit.setToolTip(
                _("Remise à zéro chaque année : le modèle doit contenir l'année.")
                if row.yearly_reset
                else _("Numérotation continue, sans remise à zéro annuelle.")
            )
            edit.setEnabled(row.editable)
            example = QLabel(row.example, self)
            error = error_label(self)
            self.grid.addWidget(QLabel(row.label, self), 2 * i - 1, 0)
            self.grid.addWidget(edit, 2 * i - 1, 1)
            self.grid.addWidget(example, 2 * i - 1, 2)
            self.grid.addWidget(error, 2 * i, 1, 1, 2)
            self.edits[row.code] = edit
            self.examples[row.code] = example
            self.errors[row.code] = error
            self.yearly[row.code] = row.yearly_reset
            edit.textChanged.connect(lambda _t, code=row.code: self._preview(code))
        self.labels = {row.code: row.label for row in rows}

    def _preview(self, code: str) -> None:
        pattern = self.edits[code].text().strip()
        try:
            validate_pattern(pattern, self.yearly[code])
        except ValidationError as exc:
            self.examples[code].setText("—")
            show_message(self.errors[code], str(exc))
            return
        show_message(self.errors[code], "")
        self.examples[code].setText(numbering_settings.example_number(pattern))

    def validatePage(self) -> bool:
        patterns = {code: edit.text() for code, edit in self.edits.items() if edit.isEnabled()}
        for label in self.errors.values():
            show_message(label, "")
        show_message(self.general, "")
        try:
            self.wizard().ctx.call(numbering_settings.set_series_patterns, patterns)
        except PropreoError as exc:
            errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
            by_label = {label: code for code, label in self.labels.items()}
            general = []
            for error in errors:
                code = by_label.get(getattr(error, "field", ""))
                if code is None:
                    general.append(str(error))
                else:
                    show_message(self.errors[code], str(error))
            show_message(self.general, "\n".join(general))
            return False
        return True

    def nextId(self) -> int:
        return PAGE_SMTP


class SmtpPage(QWizardPage):
    """Optional: the mail server used to send invoices (app.documents.smtp_settings)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        from ui.documents import SMTP_FIELDS as ALL_SMTP_FIELDS

        super().__init__(parent)
        self.setTitle(_("Envoi des factures par e-mail (facultatif)"))
        self.setSubTitle(
            _(
                "Laissez le serveur vide pour configurer l'envoi plus tard. Le mot de passe "
                "est gardé dans le trousseau du système, jamais dans la base."
            )
        )
        by_name = {f.name: f for f in ALL_SMTP_FIELDS}
        self.form = FormWidget([by_name[n] for n in SMTP_FIELDS], self)
        password = self.form.widget("password")
        if isinstance(password, QLineEdit):
            password.setEchoMode(QLineEdit.EchoMode.Password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addStretch(1)
        self.loaded = False

    def initializePage(self) -> None:
        if self.loaded:
            return
        from app.documents import smtp_settings

        self.form.load(
            self.wizard().ctx.query(
                lambda s: smtp_settings.form_from_settings(smtp_settings.get_settings(s))
            )
        )
        self.loaded = True

    def validatePage(self) -> bool:
        from app.documents import smtp_settings

        data = self.form.dump(smtp_settings.SmtpForm())
        if not data.host.strip():
            return True  # skipped: configured later from the documents' settings
        try:
            self.wizard().ctx.call(smtp_settings.save_settings, data, topic="documents")
        except PropreoError as exc:
            self.form.show_errors(exc)
            return False
        self.form.clear_errors()
        return True

    def nextId(self) -> int:
        return PAGE_DONE
