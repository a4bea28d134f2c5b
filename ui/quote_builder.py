"""Chiffrage panel of the quote editor: the site's cadencier (editable, savable to the site)
priced live with the loaded hourly cost of each chosen qualification at the quote date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import PropreoError, ValidationError
from app.i18n import _
from app.money import format_amount, format_quantity, to_decimal
from app.quotes import builder, pricing, schedules
from models.quotes import QuoteKind
from models.schedules import FrequencyPeriod
from ui.context import UiContext
from ui.operations import show_error
from ui.table import set_widths

COLUMNS = [
    _("Tâche"),
    _("Zone"),
    _("Fréquence"),
    _("Période"),
    _("Min./passage"),
    _("Surface m²"),
    _("m²/h"),
    _("Qualification"),
    _("Heures"),
    _("Coût horaire chargé"),
]
TEXT_COLUMNS = (0, 1, 2, 4, 5, 6)


def decimal_text(value: Any) -> str:
    """A stored decimal as the user types it: ``1``, ``401,04``, ``12,5``."""
    text = f"{Decimal(value).normalize():f}" if value not in (None, "") else ""
    return text.replace(".", ",")


class BuilderPanel(QWidget):
    apply_requested = Signal()
    computed = Signal()  # after every recomputation (self.result is None on an error)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.site_id: int | None = None
        self.day = dt.date.today()
        self.one_off = True
        self.costs: dict[str, Decimal] = {}
        self.codes: list[str] = ctx.query(schedules.qualification_codes)
        self.result: builder.BuilderResult | None = None
        self.tasks = QTableWidget(0, len(COLUMNS), self)
        self.tasks.setHorizontalHeaderLabels(COLUMNS)
        set_widths(self.tasks, [230, 0, 75, 130, 90, 80, 60, 80, 70])
        self.tasks.itemChanged.connect(lambda _item: self.update_builder())
        self.tasks.setToolTip(
            _("Temps d'un passage : en minutes, ou surface ÷ productivité (m²/h)")
        )
        self.table_buttons = QWidget(self)
        row = QHBoxLayout(self.table_buttons)
        row.setContentsMargins(0, 0, 0, 0)
        for label, slot in (
            (_("Ajouter une tâche"), lambda: self.add_task(schedules.ScheduleRow())),
            (_("Supprimer la tâche"), self._remove_task),
            (_("Ajouter les tâches types"), self._add_templates),
            (_("Enregistrer le cadencier du chantier"), self.save_schedule),
        ):
            button = QPushButton(label, self)
            button.clicked.connect(slot)
            row.addWidget(button)
        row.addStretch(1)
        self.template_message = QLabel(self)
        self.template_message.setWordWrap(True)
        self.products = QLineEdit("0", self)
        self.equipment = QLineEdit("0", self)
        self.overheads = QLineEdit("10", self)
        self.margin = QLineEdit("20", self)
        self.target = QLineEdit("", self)
        self.target.setPlaceholderText(_("laisser vide pour appliquer la marge"))
        self.products.setToolTip(_("Produits consommés (par mois, ou pour le chantier en TC)"))
        self.margin.setToolTip(_("Marge en % du prix de vente (taux de marque)"))
        for edit in (self.products, self.equipment, self.overheads, self.margin, self.target):
            edit.textChanged.connect(lambda _t: self.update_builder())
        self.summary = QLabel(self)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.apply_button = QPushButton(_("Appliquer le prix au devis"), self)
        self.apply_button.clicked.connect(self.apply_requested.emit)
        form = QFormLayout()
        form.addRow(_("Produits (€ HT)"), self.products)
        form.addRow(_("Matériel (€ HT)"), self.equipment)
        form.addRow(_("Frais généraux (%)"), self.overheads)
        form.addRow(_("Marge (%)"), self.margin)
        form.addRow(_("Prix cible (€ HT)"), self.target)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Cadencier du chantier"), self))
        layout.addWidget(self.tasks, 1)
        layout.addWidget(self.table_buttons)
        layout.addWidget(self.template_message)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.apply_button)

    # --- table ----------------------------------------------------------------------------

    def add_task(self, row: schedules.ScheduleRow) -> None:
        self.tasks.blockSignals(True)
        r = self.tasks.rowCount()
        self.tasks.insertRow(r)
        values = {
            0: row.task,
            1: row.zone,
            2: decimal_text(row.frequency),
            4: decimal_text(row.minutes),
            5: decimal_text(row.surface),
            6: decimal_text(row.productivity),
        }
        for c, text in values.items():
            self.tasks.setItem(r, c, QTableWidgetItem(text))
        period = QComboBox(self.tasks)
        for value, label in FrequencyPeriod.LABELS.items():
            period.addItem(label, value)
        period.setCurrentIndex(max(period.findData(row.period), 0))
        period.currentIndexChanged.connect(lambda _i: self.update_builder())
        self.tasks.setCellWidget(r, 3, period)
        qual = QComboBox(self.tasks)
        qual.addItems(
            self.codes if row.qualification in self.codes else [*self.codes, row.qualification]
        )
        qual.setCurrentText(row.qualification)
        qual.currentTextChanged.connect(lambda _t: self.update_builder())
        self.tasks.setCellWidget(r, 7, qual)
        for c in (8, 9):
            item = QTableWidgetItem("")
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.tasks.setItem(r, c, item)
        self.tasks.blockSignals(False)
        self.update_builder()

    def _remove_task(self) -> None:
        if self.tasks.currentRow() >= 0:
            self.tasks.removeRow(self.tasks.currentRow())
            self.update_builder()

    def _add_templates(self) -> None:
        """The task templates that fit the site (each with its duration), not twice."""
        existing = [(r.task, r.zone) for r in self.rows()]
        proposal = self.ctx.query(schedules.template_rows, self.site_id, existing)
        for row in proposal.rows:
            self.add_task(row)
        self.template_message.setText(proposal.message)

    def rows(self) -> list[schedules.ScheduleRow]:
        out = []
        for r in range(self.tasks.rowCount()):
            text = {
                c: (self.tasks.item(r, c).text() if self.tasks.item(r, c) else "")
                for c in TEXT_COLUMNS
            }
            period: QComboBox = self.tasks.cellWidget(r, 3)  # type: ignore[assignment]
            qual: QComboBox = self.tasks.cellWidget(r, 7)  # type: ignore[assignment]
            out.append(
                schedules.ScheduleRow(
                    task=text[0],
                    zone=text[1],
                    frequency=text[2] or "0",
                    period=period.currentData(),
                    minutes=text[4] or None,
                    surface=text[5] or None,
                    productivity=text[6] or None,
                    qualification=qual.currentText(),
                )
            )
        return out

    def save_schedule(self) -> bool:
        if not self.site_id:
            show_error(self, ValidationError(_("Chantier"), _("Choisissez d'abord le chantier.")))
            return False
        try:
            self.ctx.call(schedules.save_schedule, self.site_id, self.rows(), topic="sites")
        except PropreoError as exc:
            show_error(self, exc)
            return False
        return True

    # --- pricing --------------------------------------------------------------------------

    def set_site(self, site_id: int | None, day: dt.date, kind: str) -> None:
        """Load the site's current cadencier and the cost grid in force on ``day``."""
        self.site_id, self.day, self.one_off = site_id, day, kind == QuoteKind.EXTRA_WORK
        self.costs = self.ctx.query(pricing.hourly_costs, self.codes, day)
        self.template_message.setText("")
        self.tasks.setRowCount(0)
        for row in self.ctx.query(schedules.schedule_rows, site_id) if site_id else []:
            self.add_task(row)
        self.update_builder()

    def show_snapshot(self, data: builder.BuilderInput) -> None:
        """A sent quote: show what it was priced with (tasks, costs, parameters)."""
        self.costs = dict(data.hourly_costs)
        self.one_off = data.one_off
        self.tasks.setRowCount(0)
        for t in data.tasks:
            self.add_task(
                schedules.ScheduleRow(
                    t.task,
                    t.zone,
                    t.frequency,
                    t.period,
                    t.minutes_per_pass,
                    t.surface_m2,
                    t.productivity_m2_h,
                    t.qualification,
                )
            )
        self.set_parameters(data)

    def set_parameters(self, data: builder.BuilderInput) -> None:
        values = (
            (self.products, data.products),
            (self.equipment, data.equipment),
            (self.overheads, data.overheads_percent),
            (self.margin, data.margin_percent),
            (self.target, data.target_price),
        )
        for edit, value in values:
            edit.blockSignals(True)
            edit.setText("" if value is None else decimal_text(value))
            edit.blockSignals(False)
        self.update_builder()

    def builder_input(self) -> builder.BuilderInput:
        tasks = []
        for i, row in enumerate(self.rows(), start=1):
            label = _("Tâche {n}").format(n=i)

            def num(value: Any, what: str, label: str = label) -> Decimal | None:
                return None if value in (None, "") else to_decimal(value, field=f"{label} — {what}")

            tasks.append(
                builder.TaskLine(
                    task=row.task or label,
                    qualification=row.qualification,
                    frequency=num(row.frequency, _("fréquence")) or Decimal(0),
                    period=row.period,
                    minutes_per_pass=num(row.minutes, _("minutes")),
                    surface_m2=num(row.surface, _("surface")),
                    productivity_m2_h=num(row.productivity, _("productivité")),
                    zone=row.zone,
                )
            )
        if not tasks:
            raise ValidationError(
                _("Chantier"), _("Le cadencier ne contient aucune tâche à chiffrer.")
            )
        target = self.target.text().strip()
        return builder.BuilderInput(
            tasks=tasks,
            hourly_costs=self.costs,
            products=to_decimal(self.products.text() or "0", field=_("Produits")),
            equipment=to_decimal(self.equipment.text() or "0", field=_("Matériel")),
            overheads_percent=to_decimal(self.overheads.text() or "0", field=_("Frais généraux")),
            margin_percent=to_decimal(self.margin.text() or "0", field=_("Marge (%)")),
            target_price=to_decimal(target, field=_("Prix cible")) if target else None,
            one_off=self.one_off,
        )

    def update_builder(self) -> None:
        """Recompute hours, cost, margin and margin % live (pure computation, no database)."""
        try:
            data = self.builder_input()
            self.result = builder.compute(data)
        except PropreoError as exc:
            self.result = None
            self.summary.setText(str(exc))
            self.computed.emit()
            return
        r = self.result
        self.tasks.blockSignals(True)
        for row, (hours, task) in enumerate(zip(r.task_hours, data.tasks, strict=True)):
            self.tasks.item(row, 8).setText(format_quantity(hours))
            self.tasks.item(row, 9).setText(format_amount(data.hourly_costs[task.qualification]))
        self.tasks.blockSignals(False)
        per = _("par mois") if not r.one_off else _("pour le chantier")
        year = (
            _("<br>Prix de vente annuel : <b>{price}</b>").format(
                price=format_amount(r.selling_price_year)
            )
            if r.selling_price_year is not None
            else ""
        )
        warn = "".join(f"<br><span style='color:#b00020'>{w}</span>" for w in r.warnings)
        self.summary.setText(
            _(
                "Heures {per} : {hours} h — main-d'œuvre {labour}"
                "<br>Prix de revient : <b>{cost}</b> (frais généraux {overheads})"
                "<br>Prix de vente {per} : <b>{price}</b>{year}"
                "<br>Marge : <b>{margin}</b> — <b>{percent} %</b>{warn}"
            ).format(
                per=per,
                hours=format_quantity(r.hours),
                labour=format_amount(r.labour),
                cost=format_amount(r.cost_price),
                overheads=format_amount(r.overheads),
                price=format_amount(r.selling_price),
                year=year,
                margin=format_amount(r.margin),
                percent=format_quantity(r.margin_percent),
                warn=warn,
            )
        )
        self.computed.emit()

    def set_editable(self, editable: bool) -> None:
        for w in (self.tasks, self.table_buttons, self.apply_button):
            w.setEnabled(editable)
        for edit in (self.products, self.equipment, self.overheads, self.margin, self.target):
            edit.setReadOnly(not editable)
