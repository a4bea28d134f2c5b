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
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app import company as company_uc
from app.company import CompanyForm
from app.db import Database
from app.errors import PropreoError
from app.fs import attachments_dir, is_network_path, user_data_dir
from app.i18n import _
from app.resources import resource_path
from ui.context import UiContext
from ui.first_run_pages import (
    PAGE_BANK,
    PAGE_CHOICE,
    PAGE_COMPANY,
    PAGE_DEMO,
    PAGE_DONE,
    PAGE_LOCATION,
    PAGE_LOGO,
    PAGE_NUMBERING,
    PAGE_OPEN,
    PAGE_SMTP,
    BankPage,
    CompanyPage,
    LogoPage,
    NumberingPage,
    SmtpPage,
    error_label,
    show_message,
)
from ui.operations import Bus, OperationRunner

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
        self.error = error_label(self)
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
        show_message(self.error, "")

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
        show_message(self.error, "")
        if not self.path.text().strip():
            show_message(self.error, _("Indiquez le fichier de la base."))
            return False
        path = database_file(self.path.text())
        if path.exists():
            show_message(
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
            show_message(self.error, _("Impossible de créer la base : {error}").format(error=exc))
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
        self.error = error_label(self)
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
            show_message(self.error, _("Ce fichier n'existe pas : « {path} ».").format(path=text))
            return False
        try:
            open_database(Path(text).expanduser(), create=False).dispose()
        except PropreoError as exc:
            show_message(self.error, str(exc))
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
        self.error = error_label(self)
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
            show_message(self.error, str(exc))
            return False
        self.wizard().database_path = str(self.demo_path)
        return True

    def nextId(self) -> int:
        return -1


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
