"""« Fichier › Importer depuis un autre logiciel… »: the import assistant (QWizard).

1. what to import and from which file (.xlsx or .csv; the blank templates can be saved);
2. which column holds which field (prefilled: remembered choices, then usual names);
3. preview: the whole import run and rolled back, every row with its problems in French;
4. after a confirmation saying what will be written: the import itself (all or nothing)
   and its report. The rules are the app's (:mod:`app.imports`): nothing is checked here.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.errors import PropreoError
from app.i18n import _, ngettext
from app.imports.fields import KINDS, Mapping, missing_required, remember
from app.imports.reader import Table
from app.imports.run import ImportReport, prepare, run_import, unmatched_headers
from app.imports.templates import copy_templates
from ui.confirm import confirm
from ui.context import UiContext
from ui.operations import show_error

NOT_IMPORTED = -1
REFUSED = QColor("#fde2e1")


class ImportWizard(QWizard):
    """The assistant; ``table``, ``mapping`` and ``report`` are what its pages produced."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.table: Table | None = None
        self.mapping: Mapping = {}
        self.preview: ImportReport | None = None
        self.report: ImportReport | None = None
        self.setWindowTitle(_("Importer depuis un autre logiciel"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setButtonText(QWizard.WizardButton.NextButton, _("Suivant >"))
        self.setButtonText(QWizard.WizardButton.BackButton, _("< Précédent"))
        self.setButtonText(QWizard.WizardButton.CancelButton, _("Annuler"))
        self.setButtonText(QWizard.WizardButton.FinishButton, _("Fermer"))
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.preview_page = PreviewPage(self)
        self.report_page = ReportPage(self)
        for page in (self.file_page, self.mapping_page, self.preview_page, self.report_page):
            self.addPage(page)
        self.resize(900, 600)

    @property
    def kind(self) -> str:
        return str(self.file_page.kind.currentData())


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle(_("Que voulez-vous importer ?"))
        self.setSubTitle(
            _(
                "Importez dans cet ordre : clients (syndics et copropriétés compris), "
                "chantiers, contacts, articles, contrats, puis les factures non réglées. "
                "Fichiers .xlsx ou .csv (tout séparateur, tout encodage)."
            )
        )
        self.kind = QComboBox(self)
        for code, kind in KINDS.items():
            self.kind.addItem(_(kind.label), code)
        self.path = QLineEdit(self)
        self.path.setPlaceholderText(_("Fichier .xlsx ou .csv"))
        self.path.textChanged.connect(self.completeChanged)
        browse = QPushButton(_("Parcourir…"), self)
        browse.clicked.connect(self.browse)
        templates = QPushButton(_("Enregistrer les modèles vierges…"), self)
        templates.clicked.connect(self.save_templates)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow(_("Type de données"), self.kind)
        form.addRow(_("Fichier"), row)
        form.addRow("", templates)
        form.addRow(self.error)

    def browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Fichier à importer"), "", _("Tableaux (*.xlsx *.csv *.txt);;Tous (*)")
        )
        if path:
            self.path.setText(path)

    def save_templates(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Dossier des modèles"))
        if not folder:
            return
        try:
            copied = copy_templates(folder)
        except PropreoError as exc:
            show_error(self, exc)
            return
        self.error.setStyleSheet("")
        self.error.setText(
            _("{n} modèles enregistrés dans {folder}.").format(n=len(copied), folder=folder)
        )

    def isComplete(self) -> bool:
        return bool(self.path.text().strip())

    def validatePage(self) -> bool:
        """Read the file now: a file that cannot be read is said here, in French."""
        try:
            table, mapping = prepare(self.wiz.ctx.db.files_dir, self.wiz.kind, self.path.text())
        except PropreoError as exc:
            self.error.setStyleSheet("color: #b00020")
            self.error.setText(str(exc))
            return False
        if not table.rows:
            self.error.setText(_("Le fichier n'a aucune ligne de données sous son en-tête."))
            return False
        self.error.clear()
        self.wiz.table, self.wiz.mapping = table, mapping
        return True


class MappingPage(QWizardPage):
    """One choice per field: the file's column that holds it (or none)."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle(_("Quelle colonne contient quoi ?"))
        self.combos: dict[str, QComboBox] = {}
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)
        self.unmatched = QLabel(self)
        self.unmatched.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.unmatched)
        layout.addWidget(self.error)

    def initializePage(self) -> None:
        table = self.wiz.table
        assert table is not None
        kind = KINDS[self.wiz.kind]
        self.setSubTitle(
            ngettext(
                "{kind} : {n} ligne lue. Les champs marqués * sont obligatoires ; vos choix "
                "seront retenus pour le prochain fichier de même présentation.",
                "{kind} : {n} lignes lues. Les champs marqués * sont obligatoires ; vos choix "
                "seront retenus pour le prochain fichier de même présentation.",
                len(table.rows),
            ).format(kind=_(kind.label), n=len(table.rows))
        )
        while self.form.rowCount():
            self.form.removeRow(0)
        self.combos.clear()
        for field in kind.fields:
            combo = QComboBox(self.form_host)
            combo.addItem(_("(ne pas importer)"), NOT_IMPORTED)
            for index, header in enumerate(table.headers):
                combo.addItem(header or _("(colonne {n} sans titre)").format(n=index + 1), index)
            chosen = self.wiz.mapping.get(field.key, NOT_IMPORTED)
            combo.setCurrentIndex(combo.findData(chosen))
            if field.hint:
                combo.setToolTip(_(field.hint))
            label = _(field.label) + (" *" if field.required else "")
            self.form.addRow(label, combo)
            self.combos[field.key] = combo
        self._show_unmatched()
        for combo in self.combos.values():
            combo.currentIndexChanged.connect(self._show_unmatched)

    def chosen(self) -> Mapping:
        return {
            key: int(combo.currentData())
            for key, combo in self.combos.items()
            if int(combo.currentData()) != NOT_IMPORTED
        }

    def _show_unmatched(self) -> None:
        assert self.wiz.table is not None
        left = unmatched_headers(self.wiz.table, self.chosen())
        self.unmatched.setText(
            _("Colonnes du fichier non importées : {names}.").format(names=", ".join(left))
            if left
            else _("Toutes les colonnes du fichier sont importées.")
        )

    def validatePage(self) -> bool:
        mapping = self.chosen()
        taken: dict[int, str] = {}
        for key, index in mapping.items():
            if index in taken:
                self.error.setText(
                    _("La colonne « {col} » est choisie pour deux champs.").format(
                        col=self.wiz.table.headers[index]  # type: ignore[union-attr]
                    )
                )
                return False
            taken[index] = key
        missing = missing_required(KINDS[self.wiz.kind], mapping)
        if missing:
            self.error.setText(
                _("Choisissez la colonne de : {names}.").format(names=", ".join(missing))
            )
            return False
        self.error.clear()
        self.wiz.mapping = mapping
        return True


class ReportTable(QTableWidget):
    """Row number, state, and what was (or would be) created or why the row is refused."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels([_("Ligne"), _("État"), _("Détail")])
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setWordWrap(True)

    def show_report(self, report: ImportReport, *, done: str) -> None:
        self.setRowCount(len(report.rows))
        for i, result in enumerate(report.rows):
            state = done if result.ok else _("Refusée")
            detail = result.summary if result.ok else "\n".join(result.problems)
            items = [
                QTableWidgetItem(str(result.row)),
                QTableWidgetItem(state),
                QTableWidgetItem(detail),
            ]
            for column, item in enumerate(items):
                if not result.ok:
                    item.setBackground(REFUSED)
                self.setItem(i, column, item)
        self.resizeRowsToContents()


class _ReportStep(QWizardPage):
    """A summary sentence above the table of rows."""

    def __init__(self, wizard: ImportWizard, title: str) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle(title)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.rows = ReportTable(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.rows, 1)


class PreviewPage(_ReportStep):
    """The dry run: every row checked by the rules, nothing written."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard, _("Aperçu : rien n'est encore écrit"))
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, _("Importer"))

    def initializePage(self) -> None:
        self.wiz.preview = None
        self.rows.setRowCount(0)
        self.summary.setText(_("Contrôle de chaque ligne…"))
        self.completeChanged.emit()
        table, mapping, kind = self.wiz.table, self.wiz.mapping, self.wiz.kind
        self.wiz.ctx.run(
            self,
            _("Contrôle du fichier…"),
            lambda session, progress: run_import(
                session,
                kind,
                table,
                mapping,
                dry_run=True,
                progress=progress,  # type: ignore[arg-type]
            ),
            on_done=self._previewed,
            on_error=self._failed,
            topic="imports",
        )

    def _previewed(self, report: ImportReport) -> None:
        self.wiz.preview = report
        if report.refused:
            self.summary.setText(
                ngettext(
                    "{refused} ligne refusée sur {n} : corrigez le fichier (lignes en rouge), "
                    "puis revenez à la première page pour le relire. Rien ne sera écrit tant "
                    "qu'une ligne est refusée.",
                    "{refused} lignes refusées sur {n} : corrigez le fichier (lignes en rouge), "
                    "puis revenez à la première page pour le relire. Rien ne sera écrit tant "
                    "qu'une ligne est refusée.",
                    len(report.refused),
                ).format(refused=len(report.refused), n=len(report.rows))
            )
        else:
            self.summary.setText(
                ngettext(
                    "La ligne est acceptée. « Importer » l'écrit.",
                    "Les {n} lignes sont acceptées. « Importer » les écrit toutes en une fois.",
                    len(report.rows),
                ).format(n=len(report.rows))
            )
        self.rows.show_report(report, done=_("Acceptée"))
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, PropreoError):
            self.summary.setText(str(exc))
        else:
            self.summary.setText(_("Le contrôle du fichier a échoué."))
            show_error(self, exc)

    def isComplete(self) -> bool:
        return self.wiz.preview is not None and not self.wiz.preview.refused

    def validatePage(self) -> bool:
        """Confirm, then import for real; the wizard moves on when it is written."""
        preview = self.wiz.preview
        if preview is None or preview.refused:
            return False
        if self.wiz.report is not None:  # written: move on to the report
            return True
        kind = KINDS[self.wiz.kind]
        if not confirm(
            self,
            _("Importer"),
            ngettext(
                "Importer {n} ligne de « {kind} » dans la base ?",
                "Importer {n} lignes de « {kind} » dans la base ?",
                len(preview.rows),
            ).format(n=len(preview.rows), kind=_(kind.label)),
            _("Importer"),
            _(
                "Toutes les lignes sont écrites en une seule fois, avec les mêmes contrôles "
                "que la saisie ; si l'une d'elles était refusée entre-temps, rien ne serait "
                "écrit."
            ),
        ):
            return False
        table, mapping = self.wiz.table, self.wiz.mapping
        self.wiz.ctx.run(
            self,
            _("Import en cours…"),
            lambda session, progress: run_import(
                session,
                kind.code,
                table,
                mapping,
                progress=progress,  # type: ignore[arg-type]
            ),
            on_done=self._written,
            topic="",  # everything may have changed: every screen reloads
        )
        return False

    def _written(self, report: ImportReport) -> None:
        self.wiz.report = report
        if report.written:
            assert self.wiz.table is not None
            remember(
                self.wiz.ctx.db.files_dir, report.kind, self.wiz.table.headers, self.wiz.mapping
            )
        self.wiz.next()


class ReportPage(_ReportStep):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard, _("Rapport d'import"))

    def initializePage(self) -> None:
        report = self.wiz.report
        assert report is not None
        self.summary.setText(report.conclusion())
        self.rows.show_report(report, done=_("Importée"))


def open_import_wizard(ctx: UiContext, parent: QWidget | None = None) -> ImportWizard:
    wizard = ImportWizard(ctx, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.show()
    return wizard


def install_import(window: Any) -> QAction:
    """The « Fichier » menu entry of the main window (before « Sauvegarder… »)."""
    file_menu = window.menuBar().actions()[0].menu()
    action = QAction(_("Importer depuis un autre logiciel…"), window)
    action.triggered.connect(lambda: open_import_wizard(window.ctx, window))
    before = next((a for a in file_menu.actions() if a.text().startswith("Sauvegarder")), None)
    file_menu.insertAction(before, action)
    window.import_action = action
    return action
