"""Declarative forms over plain dataclasses, with field-level French error messages.

A :class:`FormWidget` is built from :class:`Field` specs; ``load(obj)`` fills it from a
dataclass, ``dump(obj)`` writes the widget values back, and ``show_errors(exc)`` puts
each ValidationError's message under the field whose label it names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import PropreoError, ValidationError, ValidationErrors
from app.i18n import _
from app.money import decimal_text

ERROR_COLOR = "#b00020"


def error_label(parent: QWidget, *, hidden: bool = False) -> QLabel:
    """The red, word-wrapped label under a field or a dialog that shows an error message."""
    label = QLabel(parent)
    label.setStyleSheet(f"color: {ERROR_COLOR};")
    label.setWordWrap(True)
    if hidden:
        label.hide()
    return label


# Item data role marking the entry added for a stored value the list no longer offers.
_KEPT_ROLE = Qt.ItemDataRole.UserRole + 1


def set_combo_value(combo: QComboBox, value: Any) -> None:
    """Select ``value``. A stored value the list does not offer (an inactive client, a VAT
    rate deactivated since…) is kept as an extra entry, never silently replaced by the
    first choice; that entry goes when another value is loaded."""
    for i in reversed(range(combo.count())):
        if combo.itemData(i, _KEPT_ROLE):
            combo.removeItem(i)
    i = combo.findData(value)
    if i < 0 and value is not None and value != "":
        kept = _("(désactivé — conservé)")
        combo.addItem(kept if isinstance(value, int) else f"{value} {kept}", value)
        i = combo.count() - 1
        combo.setItemData(i, True, _KEPT_ROLE)
    combo.setCurrentIndex(max(i, 0))


def save_cancel_buttons(dialog: QDialog, save_label: str) -> QDialogButtonBox:
    """« <save_label> » / « Annuler » buttons wired to ``dialog.save`` and ``dialog.reject``."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.button(QDialogButtonBox.StandardButton.Save).setText(save_label)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Annuler"))
    buttons.accepted.connect(dialog.save)  # type: ignore[attr-defined]
    buttons.rejected.connect(dialog.reject)
    return buttons


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, multiline, bool, choice, int, date
    choices: Sequence[tuple[str, str]] = ()  # (value, label)
    tooltip: str = ""
    placeholder: str = ""
    maximum: int = 100000
    # Label used by ValidationError.field when it differs from the displayed label.
    error_key: str = ""


class FormWidget(QWidget):
    def __init__(self, fields: Sequence[Field], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields = list(fields)
        self.widgets: dict[str, QWidget] = {}
        self.error_labels: dict[str, QLabel] = {}
        self.form = QFormLayout()
        for f in self.fields:
            widget = self._make(f)
            if f.tooltip:
                widget.setToolTip(f.tooltip)
            self.widgets[f.name] = widget
            self._on_edit(widget, lambda _v=None, name=f.name: self.clear_error(name))
            error = error_label(self, hidden=True)
            self.error_labels[f.name] = error
            box = QVBoxLayout()
            box.setSpacing(1)
            box.addWidget(widget)
            box.addWidget(error)
            self.form.addRow(f.label, box)
        self.general_error = error_label(self, hidden=True)
        outer = QVBoxLayout(self)
        outer.addLayout(self.form)
        outer.addWidget(self.general_error)

    def _make(self, f: Field) -> QWidget:
        if f.kind == "bool":
            return QCheckBox(self)
        if f.kind == "choice":
            combo = QComboBox(self)
            for value, label in f.choices:
                combo.addItem(label, value)
            return combo
        if f.kind == "int":
            spin = QSpinBox(self)
            spin.setRange(0, f.maximum)
            return spin
        if f.kind == "multiline":
            edit = QPlainTextEdit(self)
            edit.setFixedHeight(70)
            return edit
        if f.kind == "date":
            date = QDateEdit(self)
            date.setCalendarPopup(True)
            date.setDisplayFormat("dd/MM/yyyy")
            return date
        line = QLineEdit(self)
        if f.placeholder:
            line.setPlaceholderText(f.placeholder)
        return line

    @staticmethod
    def _on_edit(widget: QWidget, slot: Any) -> None:
        """Call ``slot`` when the field's value changes (typed, picked or set)."""
        if isinstance(widget, QCheckBox):
            widget.toggled.connect(slot)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(slot)
        elif isinstance(widget, QSpinBox):
            widget.valueChanged.connect(slot)
        elif isinstance(widget, QDateEdit):
            widget.dateChanged.connect(slot)
        elif isinstance(widget, (QLineEdit, QPlainTextEdit)):
            widget.textChanged.connect(slot)

    def clear_error(self, name: str) -> None:
        """The field was corrected: its message and red border go (the others stay)."""
        label = self.error_labels.get(name)
        if label is not None and not label.isHidden():
            label.hide()
            self.widgets[name].setStyleSheet("")

    def widget(self, name: str) -> QWidget:
        return self.widgets[name]

    def set_value(self, name: str, value: Any) -> None:
        w = self.widgets[name]
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            set_combo_value(w, value)
        elif isinstance(w, QSpinBox):
            w.setValue(int(value or 0))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(str(value or ""))
        elif isinstance(w, QDateEdit):
            if value:
                w.setDate(value)
        elif isinstance(w, QLineEdit):  # a decimal as the user types it: « 12,15 »
            text = decimal_text(value) if isinstance(value, Decimal) else value
            w.setText("" if text is None else str(text))

    def value(self, name: str) -> Any:
        w = self.widgets[name]
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox):
            return w.value()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        if isinstance(w, QDateEdit):
            return w.date().toPython()
        assert isinstance(w, QLineEdit)
        return w.text()

    def load(self, obj: Any) -> None:
        for f in self.fields:
            if hasattr(obj, f.name):
                self.set_value(f.name, getattr(obj, f.name))
        self.clear_errors()

    def dump(self, obj: Any) -> Any:
        for f in self.fields:
            setattr(obj, f.name, self.value(f.name))
        return obj

    def clear_errors(self) -> None:
        for label in self.error_labels.values():
            label.hide()
        for w in self.widgets.values():
            w.setStyleSheet("")
        self.general_error.hide()

    def show_errors(self, exc: PropreoError) -> None:
        """Show each field's message under it; messages naming no field go at the bottom."""
        self.clear_errors()
        errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
        general: list[str] = []
        for error in errors:
            name = self._field_for(error)
            if name is None:
                general.append(str(error))
                continue
            label = self.error_labels[name]
            label.setText(str(error))
            label.show()
            self.widgets[name].setStyleSheet("border: 1px solid #b00020;")
        if general:
            self.general_error.setText("\n".join(general))
            self.general_error.show()

    def _field_for(self, error: PropreoError) -> str | None:
        if not isinstance(error, ValidationError):
            return None
        for f in self.fields:
            if error.field in (f.label, f.error_key, f.name):
                return f.name
        return None

    def error_text(self, name: str) -> str:
        label = self.error_labels[name]
        return label.text() if not label.isHidden() else ""
