"""First start: a wizard that creates the company's database, opens one, or the demo.

Shown by :func:`ui.app.run_gui` when no database was named and none exists yet. Creating
a database happens when the user leaves the « Emplacement » page (a commit page: no way
back); every later page saves what it edits through the usual use cases, so whatever the
user typed is kept even if they stop half-way. Cancelling before the company identity is
saved removes the file that the wizard created.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app import company as company_uc
from app import numbering_settings
from app.company import CompanyForm
from app.db import Database
from app.errors import PropreoError, ValidationError, ValidationErrors
from app.fs import attachments_dir, is_network_path, user_data_dir
from app.i18n import _
from app.logo import prepare_logo
from app.numbering import validate_pattern
from app.resources import resource_path
from ui.context import UiContext
from ui.forms import Field, FormWidget
from ui.operations import Bus, OperationRunner
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

SHARE_CAVEATS = _(
    "<b>Base sur un dossier partagé</b> (serveur, NAS, lecteur réseau) :"
    "<ul>"
    "<li>Propreo y utilise le journal de retour arrière de SQLite (rollback journal) au lieu "
    "du mode WAL : chaque enregistrement verrouille brièvement tout le fichier, les autres "
    "postes attendent quelques instants.</li>"
    "<li>Cela convient à <b>quelques postes</b> d'un même bureau (2 à 5). Au-delà, ou à "
    "travers Internet ou un VPN lent, utilisez un serveur PostgreSQL.</li>"
    "<li>Jamais dans un dossier synchronisé (OneDrive, Dropbox, Google Drive) : la "
    "synchronisation abîme une base ouverte.</li>"
    "<li>Photos et pièces jointes sont rangées dans le dossier « …db.files » à côté de la "
    "base : il doit rester avec elle. Sauvegardez chaque jour (Fichier → Sauvegarder…).</li>"
    "</ul>"
)


def _fields(names: tuple[str, ...]) -> list[Field]:
    by_name = {f.name: f for f in COMPANY_FIELDS}
    return [by_name[n] for n in names]


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setStyleSheet("color: #b00020;")
    label.setWordWrap(True)
    label.hide()
    return label


def _show(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


@contextlib.contextmanager
def _busy():  # type: ignore[no-untyped-def]
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QGuiApplication.restoreOverrideCursor()


def database_file(text: str) -> Path:
    """The path typed by the user, with the ``.db`` extension added when missing."""
    path = Path(text.strip()).expanduser()
    if path.suffix.lower() != ".db":
        path = path.with_name(path.name + ".db")
    return path


class ChoicePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(_("Bienvenue dans Propreo"))
        self.setSubTitle(
            _("Aucune base n'est encore ouverte sur ce poste. Que voulez-vous faire ?")
        )
        self.new = QRadioButton(_("Créer la base de ma société"), self)
        self.open = QRadioButton(_("Ouvrir une base existante (sur ce poste ou partagée)"), self)
        self.demo = QRadioButton(_("Essayer Propreo avec la société de démonstration"), self)
        self.new.setChecked(True)
        group = QButtonGroup(self)
        layout = QVBoxLayout(self)
        hints = {
            self.new: _("Vous saisirez l'identité, la banque, le logo et la numérotation."),
            self.open: _("Par exemple la base déjà créée sur un autre poste du bureau."),
            self.demo: _(
                "Une entreprise fictive avec clients, contrats et factures, pour essayer."
            ),
        }
        for button, hint in hints.items():
            group.addButton(button)
            layout.addWidget(button)
            note = QLabel(hint, self)
            note.setIndent(24)
            note.setStyleSheet("color: #555;")
            layout.addWidget(note)
        layout.addStretch(1)

    def nextId(self) -> int:
        if self.open.isChecked():
            return PAGE_OPEN
        if self.demo.isChecked():
            return PAGE_DEMO
        return PAGE_LOCATION


class LocationPage(QWizardPage):
    """Where the new database lives: this computer, or a shared folder."""

    def __init__(self, default_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.default_path = default_path
        self.setTitle(_("Emplacement de la base"))
        self.setSubTitle(
            _("Toutes les données de la société tiennent dans un seul fichier. Où le créer ?")
        )
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, _("Créer la base"))
        self.local = QRadioButton(_("Sur ce poste (dossier de données de l'utilisateur)"), self)
        self.shared = QRadioButton(_("Sur un dossier partagé du réseau"), self)
        self.local.setChecked(True)
        self.path = QLineEdit(str(default_path), self)
        self.path.setToolTip(
            _("Fichier de la base (extension .db). Sur un partage : \\\\serveur\\dossier\\…")
        )
        browse = QPushButton(_("Parcourir…"), self)
        browse.clicked.connect(self._browse)
        self.caveats = QLabel(SHARE_CAVEATS, self)
        self.caveats.setWordWrap(True)
        self.caveats.setTextFormat(Qt.TextFormat.RichText)
        self.caveats.setStyleSheet(
            "background: #fff8e1; border: 1px solid #e0c36a; padding: 6px; color: #3a3000;"
        )
        self.error = _error_label(self)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.local)
        layout.addWidget(self.shared)
        layout.addSpacing(6)
        layout.addWidget(QLabel(_("Fichier de la base :"), self))
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.caveats)
        layout.addStretch(1)
        self.local.toggled.connect(self._on_mode)
        self._on_mode()

    def _on_mode(self) -> None:
        self.caveats.setVisible(self.shared.isChecked())
        if self.local.isChecked():
            self.path.setText(str(self.default_path))
        elif self.path.text() == str(self.default_path):
            self.path.clear()
            self.path.setPlaceholderText(_("Choisissez le dossier partagé avec « Parcourir… »"))
        _show(self.error, "")

    def _browse(self) -> None:
        if self.shared.isChecked():
            folder = QFileDialog.getExistingDirectory(self, _("Dossier partagé"))
            if folder:
                self.path.setText(str(Path(folder) / "propreo.db"))
        else:
            path, _filter = QFileDialog.getSaveFileName(
                self, _("Nouvelle base"), self.path.text(), _("Base Propreo (*.db)")
            )
            if path:
                self.path.setText(path)

    def validatePage(self) -> bool:
        _show(self.error, "")
        if not self.path.text().strip():
            _show(self.error, _("Indiquez le fichier de la base."))
            return False
        path = database_file(self.path.text())
        if path.exists():
            _show(
                self.error,
                _(
                    "Le fichier « {path} » existe déjà : revenez en arrière et choisissez "
                    "« Ouvrir une base existante »."
                ).format(path=path),
            )
            return False
        if self.shared.isChecked() and not is_network_path(path):
            # Not blocking: a mapped folder is not always recognisable as a network share.
            self.wizard().notes.append(
                _(
                    "Le dossier choisi ne semble pas être un partage réseau : la base y est en "
                    "mode WAL, réservé à un seul poste."
                )
            )
        try:
            with _busy():
                self.wizard().create_database(path)
        except (PropreoError, OSError) as exc:
            _show(self.error, _("Impossible de créer la base : {error}").format(error=exc))
            return False
        return True

    def nextId(self) -> int:
        return PAGE_COMPANY


class OpenPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(_("Ouvrir une base existante"))
        self.setSubTitle(_("Choisissez le fichier .db de la société (sur ce poste ou partagé)."))
        self.path = QLineEdit(self)
        browse = QPushButton(_("Parcourir…"), self)
        browse.clicked.connect(self._browse)
        self.error = _error_label(self)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        note = QLabel(
            _(
                "Si la base a été créée par une version antérieure de Propreo, elle sera "
                "sauvegardée puis mise à jour après votre accord."
            ),
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addStretch(1)

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Ouvrir une base"), "", _("Base Propreo (*.db);;Tous (*)")
        )
        if path:
            self.path.setText(path)

    def validatePage(self) -> bool:
        from app.db import open_database

        text = self.path.text().strip()
        if not text or not Path(text).expanduser().is_file():
            _show(self.error, _("Ce fichier n'existe pas : « {path} ».").format(path=text))
            return False
        try:
            open_database(Path(text).expanduser(), create=False).dispose()
        except PropreoError as exc:
            _show(self.error, str(exc))
            return False
        self.wizard().database_path = str(Path(text).expanduser())
        return True

    def nextId(self) -> int:
        return -1


class DemoPage(QWizardPage):
    def __init__(self, demo_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.demo_path = demo_path
        self.setTitle(_("Société de démonstration"))
        self.setSubTitle(_("Pour découvrir Propreo sans rien risquer."))
        text = QLabel(
            _(
                "Propreo va créer « Lumière Propreté Services », une entreprise fictive avec "
                "ses clients, chantiers, contrats d'entretien, factures et règlements, dans le "
                "fichier :<br><b>{path}</b><br><br>Vous pourrez créer la base de votre société "
                "plus tard par Fichier → Nouvelle base…"
            ).format(path=demo_path),
            self,
        )
        text.setWordWrap(True)
        self.error = _error_label(self)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def validatePage(self) -> bool:
        from app.setup import prepare_database

        try:
            with _busy():
                prepare_database(self.demo_path, demo=True).db.dispose()
        except (PropreoError, OSError) as exc:
            _show(self.error, str(exc))
            return False
        self.wizard().database_path = str(self.demo_path)
        return True

    def nextId(self) -> int:
        return -1


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
        self.error = _error_label(self)
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
            _show(self.error, str(exc))
            return False
        return True

    def set_image(self, png: bytes | None) -> None:
        self.png = png
        _show(self.error, "")
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
            _show(self.error, str(exc))
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
        self.general = _error_label(self)
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
            error = _error_label(self)
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
            _show(self.errors[code], str(exc))
            return
        _show(self.errors[code], "")
        self.examples[code].setText(numbering_settings.example_number(pattern))

    def validatePage(self) -> bool:
        patterns = {code: edit.text() for code, edit in self.edits.items() if edit.isEnabled()}
        for label in self.errors.values():
            _show(label, "")
        _show(self.general, "")
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
                    _show(self.errors[code], str(error))
            _show(self.general, "\n".join(general))
            return False
        return True

    def nextId(self) -> int:
        return PAGE_SMTP


class SmtpPage(QWizardPage):
    """Optional: the mail server used to send invoices (app.documents.email settings)."""

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
        from app.documents import email

        self.form.load(
            self.wizard().ctx.query(lambda s: email.form_from_settings(email.get_settings(s)))
        )
        self.loaded = True

    def validatePage(self) -> bool:
        from app.documents import email

        data = self.form.dump(email.SmtpForm())
        if not data.host.strip():
            return True  # skipped: configured later from the documents' settings
        try:
            self.wizard().ctx.call(email.save_settings, data, topic="documents")
        except PropreoError as exc:
            self.form.show_errors(exc)
            return False
        self.form.clear_errors()
        return True

    def nextId(self) -> int:
        return PAGE_DONE


class DonePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(_("La base est prête"))
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addStretch(1)

    def initializePage(self) -> None:
        wizard = self.wizard()
        notes = "".join(f"<p style='color:#8a5a00'>{n}</p>" for n in wizard.notes)
        self.summary.setText(
            _(
                "<p>La base de <b>{name}</b> est créée :<br>{path}</p>{notes}"
                "<p>Étapes suivantes : créez vos clients et chantiers, puis vos devis et "
                "contrats. Vous pourrez compléter l'identité, les mentions et la numérotation "
                "dans Paramètres → Société.</p>"
                "<p>Pensez à sauvegarder régulièrement (Fichier → Sauvegarder…).</p>"
            ).format(name=wizard.company_form.name, path=wizard.database_path, notes=notes)
        )

    def nextId(self) -> int:
        return -1


class FirstRunWizard(QWizard):
    """The first-start wizard; ``database_path`` holds the database to open when accepted."""

    def __init__(
        self,
        default_path: Path | None = None,
        demo_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Propreo — premier démarrage"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(720, 600)
        logo = resource_path("icons", "propreo.png")
        if logo.exists():
            self.setPixmap(QWizard.WizardPixmap.LogoPixmap, QPixmap(str(logo)).scaled(48, 48))
        data_dir = user_data_dir()
        self.database_path: str | None = None
        self.db: Database | None = None
        self.ctx: UiContext | None = None
        self.created: Path | None = None
        self.company_form = CompanyForm()
        self.notes: list[str] = []
        self.setPage(PAGE_CHOICE, ChoicePage(self))
        self.setPage(PAGE_LOCATION, LocationPage(default_path or data_dir / "propreo.db", self))
        self.setPage(PAGE_OPEN, OpenPage(self))
        self.setPage(PAGE_DEMO, DemoPage(demo_path or data_dir / "demo.db", self))
        self.setPage(PAGE_COMPANY, CompanyPage(self))
        self.setPage(PAGE_BANK, BankPage(self))
        self.setPage(PAGE_LOGO, LogoPage(self))
        self.setPage(PAGE_NUMBERING, NumberingPage(self))
        self.setPage(PAGE_SMTP, SmtpPage(self))
        self.setPage(PAGE_DONE, DonePage(self))
        self.setStartId(PAGE_CHOICE)

    def create_database(self, path: Path) -> None:
        """Create an empty company database (schema and reference data) and keep it open."""
        from app.setup import prepare_database

        db = prepare_database(path).db
        self.created = path
        self.db = db
        bus = Bus(self)
        self.ctx = UiContext(db=db, bus=bus, runner=OperationRunner(db, bus, self), window=self)
        self.database_path = str(path)

    def _has_company(self) -> bool:
        if self.ctx is None:
            return False
        try:
            self.ctx.query(company_uc.get_company)
        except PropreoError:
            return False
        return True

    def _close_database(self) -> None:
        if self.db is not None:
            self.db.dispose()
            self.db = None

    def accept(self) -> None:
        self._close_database()
        super().accept()

    def reject(self) -> None:
        keep = self._has_company()
        self._close_database()
        if self.created is not None and not keep:
            # Nothing the user typed was saved yet: leave no half-made database behind.
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(f"{self.created}{suffix}")
            files = attachments_dir(self.created)
            if files.is_dir() and not any(files.iterdir()):
                files.rmdir()
            self.database_path = None
        super().reject()


def run_first_run(default_path: Path | None = None) -> str | None:
    """Show the wizard; the database to open, or None when the user cancelled."""
    wizard = FirstRunWizard(default_path)
    wizard.exec()
    # Also set when the user cancelled after saving the company identity: open it then.
    return wizard.database_path
