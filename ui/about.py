"""Aide → À propos: version, database and schema revision, licences of bundled components."""

from __future__ import annotations

import platform
from dataclasses import dataclass

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.db import Database
from app.i18n import _
from app.resources import is_bundled, resource_path


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str
    role: str


def bundled_components() -> list[Component]:
    """The components listed in ``resources/licenses.txt``, with their installed version."""
    from importlib.metadata import PackageNotFoundError, version

    components = []
    for line in resource_path("licenses.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, licence, role = (part.strip() for part in line.split(";", 2))
        if name == "Python":
            found = platform.python_version()
        else:
            try:
                found = version(name)
            except PackageNotFoundError:
                found = ""
        components.append(Component(name, found, licence, role))
    return components


def schema_state(db: Database) -> tuple[str, str]:
    """(current revision, head revision) of the open database."""
    from app import migrate

    return migrate.current_revision(db) or _("aucune"), migrate.head_revision()


class AboutDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("À propos de Propreo"))
        self.resize(720, 620)
        icon = QLabel(self)
        icon.setPixmap(QPixmap(str(resource_path("icons", "propreo.png"))).scaled(64, 64))
        title = QLabel(
            _(
                "<h2>Propreo {version}</h2>Gestion commerciale des entreprises de propreté et "
                "multiservices."
            ).format(version=__version__),
            self,
        )
        title.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(icon)
        head.addWidget(title, 1)

        current, head_rev = schema_state(db)
        where = str(db.path) if db.path else db.url
        journal = db.journal_mode or "—"
        if db.network:
            journal += _(" (partage réseau)")
        self.info = {
            _("Base de données"): where,
            _("Journal SQLite"): journal,
            _("Révision du schéma"): current
            + (
                _(" (à jour)")
                if current == head_rev
                else _(" (attendue : {head})").format(head=head_rev)
            ),
            _("Exécution"): _("application installée")
            if is_bundled()
            else _("environnement Python"),
            _(
                "Python / Qt"
            ): f"{platform.python_version()} / Qt {qVersion()} (PySide6 {pyside_version})",
        }
        form = QFormLayout()
        for label, value in self.info.items():
            field = QLabel(value, self)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setWordWrap(True)
            form.addRow(label + " :", field)

        self.components = bundled_components()
        self.table = QTableWidget(len(self.components), 4, self)
        self.table.setHorizontalHeaderLabels(
            [_("Composant"), _("Version"), _("Licence"), _("Rôle")]
        )
        for row, comp in enumerate(self.components):
            for col, text in enumerate((comp.name, comp.version, comp.licence, comp.role)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnsToContents()
        note = QLabel(
            _(
                "Propreo est construit avec des composants libres ; leurs licences autorisent "
                "cette distribution. Les bibliothèques Qt (LGPL) sont des fichiers séparés "
                "remplaçables dans le dossier d'installation."
            ),
            self,
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(form)
        layout.addWidget(QLabel(_("<b>Composants livrés et licences</b>"), self))
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
