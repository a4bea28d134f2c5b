"""Dialogs of the "Suivi des contrats" tab: index series editor with CSV import, and the
revision clause of a contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import PropreoError, ValidationError, ValidationErrors
from app.i18n import _
from app.money import to_decimal
from app.revisions import clauses, indices
from app.revisions.formula import ROUNDING_LABELS
from app.revisions.indices import PERIODICITY_LABELS, IndexForm
from ui.context import UiContext
from ui.forms import Field, FormWidget, error_label
from ui.month_picker import MonthPicker
from ui.operations import show_error
from ui.table import Column, RecordList

INDEX_COLUMNS = [
    Column(_("Indice"), lambda r: r.name, 200),
    Column(_("Source"), lambda r: r.source, 120),
    Column(_("Périodicité"), lambda r: PERIODICITY_LABELS.get(r.periodicity, ""), 90),
    Column(_("Valeurs"), lambda r: r.values, 60),
    Column(_("Dernier mois"), lambda r: r.last_month.strftime("%Y-%m") if r.last_month else "", 90),
    Column(_("Dernière valeur"), lambda r: r.last_value.normalize() if r.last_value else None, 90),
]
VALUE_COLUMNS = [
    Column(_("Mois"), lambda r: r.month.strftime("%Y-%m"), 90),
    Column(_("Valeur"), lambda r: format(r.value.normalize(), "f").replace(".", ","), 100),
    Column(_("Origine"), lambda r: _("Import CSV") if r.origin == "csv" else _("Saisie"), 90),
]


class IndexEditor(QDialog):
    """Index series and their values: create, enter by hand, import a CSV."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Indices de révision"))
        self.resize(980, 560)
        self.index_list = RecordList(INDEX_COLUMNS, export_name="indices", parent=self)
        self.index_list.selection_changed.connect(self._select)
        self.values = RecordList(VALUE_COLUMNS, export_name="valeurs", parent=self)
        self.form = FormWidget(
            [
                Field("name", _("Nom"), placeholder=_("ICHTrev-TS section N")),
                Field("source", _("Source"), placeholder=_("INSEE")),
                Field("base", _("Base"), placeholder=_("base 100 en décembre 2015")),
                Field(
                    "periodicity",
                    _("Périodicité"),
                    kind="choice",
                    choices=list(PERIODICITY_LABELS.items()),
                    tooltip=_("Trimestriel : une valeur par trimestre, rangée sur son 1er mois."),
                ),
            ],
            self,
        )
        new_btn = QPushButton(_("Nouvel indice"), self)
        new_btn.clicked.connect(self._new)
        save_btn = QPushButton(_("Enregistrer l'indice"), self)
        save_btn.clicked.connect(self._save)
        self.month = MonthPicker(self)
        self.value = QLineEdit(self)
        self.value.setPlaceholderText("130,5")
        self.value.setToolTip(_("Valeur publiée de l'indice pour ce mois (virgule décimale)."))
        add_btn = QPushButton(_("Enregistrer la valeur"), self)
        add_btn.clicked.connect(self._add_value)
        del_btn = QPushButton(_("Supprimer la valeur"), self)
        del_btn.clicked.connect(self._delete_value)
        import_btn = QPushButton(_("Importer un CSV…"), self)
        import_btn.setToolTip(
            _(
                "Fichier « mois;valeur » (2026-06;130,5 ou 06/2026 ou 2026-T2), export INSEE accepté."
            )
        )
        import_btn.clicked.connect(self._import)
        self.message = QLabel(self)
        self.message.setWordWrap(True)

        left = QWidget(self)
        lv = QVBoxLayout(left)
        lv.addWidget(self.index_list)
        lv.addWidget(self.form)
        row = QHBoxLayout()
        row.addWidget(new_btn)
        row.addWidget(save_btn)
        lv.addLayout(row)
        right = QWidget(self)
        rv = QVBoxLayout(right)
        rv.addWidget(self.values)
        entry = QHBoxLayout()
        entry.addWidget(QLabel(_("Mois"), self))
        entry.addWidget(self.month)
        entry.addWidget(QLabel(_("Valeur"), self))
        entry.addWidget(self.value)
        entry.addWidget(add_btn)
        rv.addLayout(entry)
        actions = QHBoxLayout()
        actions.addWidget(del_btn)
        actions.addWidget(import_btn)
        rv.addLayout(actions)
        rv.addWidget(self.message)
        split = QSplitter(self)
        split.addWidget(left)
        split.addWidget(right)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Fermer"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        layout.addWidget(buttons)
        self.index_id: int | None = None
        self.reload()

    def reload(self) -> None:
        rows = self.ctx.query(indices.list_indices)
        self.index_list.set_rows(rows)
        self._show_values()

    def _select(self, row: Any) -> None:
        if row is None:
            return
        self.index_id = row.id
        self.form.load(row)
        self._show_values()

    def _show_values(self) -> None:
        rows = self.ctx.query(indices.list_values, self.index_id) if self.index_id else []
        self.values.set_rows(rows)

    def _new(self) -> None:
        self.index_id = None
        self.form.load(IndexForm())
        self._show_values()

    def _save(self) -> None:
        form = self.form.dump(IndexForm())
        try:
            if self.index_id is None:
                index = self.ctx.call(indices.create_index, form, topic="indices")
                self.index_id = index.id
            else:
                self.ctx.call(indices.update_index, self.index_id, form, topic="indices")
        except PropreoError as exc:
            self.form.show_errors(exc)
            return
        self.reload()

    def _need_index(self) -> bool:
        if self.index_id is None:
            self.message.setText(_("Choisissez ou enregistrez d'abord un indice."))
            return False
        return True

    def _add_value(self) -> None:
        if not self._need_index():
            return
        month = self.month.first_day()
        try:
            self.ctx.call(
                indices.set_value, self.index_id, month, self.value.text(), topic="indices"
            )
        except PropreoError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(_("Valeur enregistrée."))
        self.value.clear()
        self.reload()

    def _delete_value(self) -> None:
        row = self.values.current()
        if row is None:
            return
        self.ctx.call(indices.delete_value, row.id, topic="indices")
        self.reload()

    def _import(self) -> None:
        if not self._need_index():
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Importer des valeurs d'indice"), "", "CSV (*.csv *.txt)"
        )
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        raw = Path(path).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        try:
            result = self.ctx.call(indices.import_csv, self.index_id, text, topic="indices")
        except PropreoError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(result.summary)
        self.reload()


def _parse_reference(text: str) -> tuple[Decimal | None, dt.date | None]:
    """« 121,2 » is a value, « 06/2025 » or « 2025-06 » a month whose value is looked up."""
    text = text.strip()
    if not text:
        return None, None
    if "/" in text or "-" in text or "T" in text.upper():
        try:
            return None, indices.parse_month(text)
        except ValueError:
            pass
    return to_decimal(text, field=_("Indice de référence")), None


def _opt_decimal(text: str, field: str) -> Decimal | None:
    return to_decimal(text, field=field) if text.strip() else None


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f").replace(".", ",")


class ClauseDialog(QDialog):
    """The revision clause of a contract: P = P0 × (a + Σ bᵢ × Iᵢ/Iᵢ₀) and its options."""

    TERMS = 3

    def __init__(self, ctx: UiContext, contract_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contract_id = contract_id
        self.setWindowTitle(_("Clause de révision"))
        series = ctx.query(indices.list_indices)
        form = ctx.query(clauses.clause_form, contract_id) or clauses.ClauseForm()
        self.fixed = QLineEdit(_text(form.fixed_part), self)
        self.fixed.setToolTip(_("Partie fixe « a » (non révisée), souvent 0,15 ou 0,125."))
        grid = QGridLayout()
        grid.addWidget(QLabel(_("Indice"), self), 0, 0)
        grid.addWidget(QLabel(_("Pondération b"), self), 0, 1)
        grid.addWidget(QLabel(_("Référence I₀ (valeur ou mois)"), self), 0, 2)
        self.term_widgets: list[tuple[QComboBox, QLineEdit, QLineEdit]] = []
        for i in range(self.TERMS):
            combo = QComboBox(self)
            combo.addItem("—", None)
            for s in series:
                combo.addItem(s.name, s.id)
            weight = QLineEdit(self)
            reference = QLineEdit(self)
            reference.setToolTip(
                _("Valeur de l'indice de base (121,2) ou mois dont la valeur est lue (06/2025).")
            )
            if i < len(form.terms):
                term = form.terms[i]
                combo.setCurrentIndex(max(combo.findData(term.index_id), 0))
                weight.setText(_text(term.weight))
                reference.setText(
                    term.reference_month.strftime("%m/%Y")
                    if term.reference_month and term.reference_value is None
                    else _text(term.reference_value)
                )
            grid.addWidget(combo, i + 1, 0)
            grid.addWidget(weight, i + 1, 1)
            grid.addWidget(reference, i + 1, 2)
            self.term_widgets.append((combo, weight, reference))
        terms_box = QGroupBox(_("Indices (a + Σ b = 1)"), self)
        terms_box.setLayout(grid)

        self.next_revision = QDateEdit(self)
        self.next_revision.setCalendarPopup(True)
        self.next_revision.setDisplayFormat("dd/MM/yyyy")
        self.next_revision.setDate(form.next_revision or QDate.currentDate().toPython())
        self.lag = QSpinBox(self)
        self.lag.setRange(0, 12)
        self.lag.setValue(form.index_lag_months)
        self.lag.setSuffix(_(" mois"))
        self.lag.setToolTip(
            _("La révision au jour J utilise la valeur de l'indice du mois J − ce décalage.")
        )
        self.decimals = QSpinBox(self)
        self.decimals.setRange(0, 6)
        self.decimals.setValue(form.decimals)
        self.rounding = QComboBox(self)
        for code, label in ROUNDING_LABELS.items():
            self.rounding.addItem(label, code)
        self.rounding.setCurrentIndex(self.rounding.findData(form.rounding))
        self.floor = QLineEdit(_text(form.floor), self)
        self.floor.setToolTip(_("Coefficient minimum (vide : aucun)."))
        self.cap = QLineEdit(_text(form.cap), self)
        self.cap.setToolTip(_("Coefficient maximum (vide : aucun), ex. 1,05."))
        self.no_decrease = QCheckBox(_("Pas de baisse de prix"), self)
        self.no_decrease.setChecked(form.no_decrease)
        self.active = QCheckBox(_("Clause active"), self)
        self.active.setChecked(form.active)
        options = QFormLayout()
        options.addRow(_("Partie fixe a"), self.fixed)
        options.addRow(_("Prochaine révision"), self.next_revision)
        options.addRow(_("Décalage de l'indice"), self.lag)
        options.addRow(_("Décimales du coefficient"), self.decimals)
        options.addRow(_("Arrondi"), self.rounding)
        options.addRow(_("Plancher"), self.floor)
        options.addRow(_("Plafond"), self.cap)
        options.addRow("", self.no_decrease)
        options.addRow("", self.active)
        self.errors = error_label(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Enregistrer"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Annuler"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(options)
        layout.addWidget(terms_box)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)

    def dump(self) -> clauses.ClauseForm:
        """The form's values; raises ValidationError on a badly typed number."""
        terms = []
        for combo, weight, reference in self.term_widgets:
            index_id = combo.currentData()
            if index_id is None:
                continue
            value, month = _parse_reference(reference.text())
            terms.append(
                clauses.TermForm(
                    index_id,
                    to_decimal(weight.text() or "0", field=_("Pondération")),
                    value,
                    month,
                )
            )
        return clauses.ClauseForm(
            fixed_part=to_decimal(self.fixed.text() or "0", field=_("Partie fixe")),
            terms=terms,
            next_revision=self.next_revision.date().toPython(),
            index_lag_months=self.lag.value(),
            decimals=self.decimals.value(),
            rounding=self.rounding.currentData(),
            floor=_opt_decimal(self.floor.text(), _("Plancher")),
            cap=_opt_decimal(self.cap.text(), _("Plafond")),
            no_decrease=self.no_decrease.isChecked(),
            active=self.active.isChecked(),
        )

    def save(self) -> None:
        self.errors.clear()
        try:
            form = self.dump()
            self.ctx.call(clauses.save_clause, self.contract_id, form, topic="contracts")
        except (ValidationError, ValidationErrors) as exc:
            self.errors.setText(str(exc))
            return
        except PropreoError as exc:
            show_error(self, exc)
            return
        self.accept()


def ask_date(parent: QWidget, title: str, label: str, default: dt.date) -> dt.date | None:
    """A small modal date question (suspension start, termination notice...)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    edit = QDateEdit(dialog)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setDate(default)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Annuler"))
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout(dialog)
    form.addRow(label, edit)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return edit.date().toPython()


def confirm(parent: QWidget, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, "Propreo", text, parent=parent)
    yes = box.addButton(_("Oui"), QMessageBox.ButtonRole.YesRole)
    box.addButton(_("Non"), QMessageBox.ButtonRole.NoRole)
    box.exec()
    return box.clickedButton() is yes
