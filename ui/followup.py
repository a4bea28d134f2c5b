"""« Suivi des contrats » tab: revisions due, notices to send, renewals and terminations
ahead, and the annual projection (table + chart). Index series and revision clauses are
edited from here too (ui.followup_dialogs)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import PropreoError
from app.i18n import _, ngettext
from app.money import format_amount, to_decimal
from app.revisions import clauses, notices, projection, renewals, runs
from app.revisions.indices import add_months
from models.revisions import NoticeKind
from ui.context import Tab, UiContext
from ui.followup_dialogs import ClauseDialog, IndexEditor, ask_date, confirm
from ui.month_picker import MonthPicker, month_of
from ui.operations import show_error
from ui.table import Column, RecordList

RED = "#b00020"

REVISION_COLUMNS = [
    Column(_("Contrat"), lambda r: r.contract_code, 90),
    Column(_("Client"), lambda r: r.client_name, 180),
    Column(_("Date de révision"), lambda r: r.revision_date, 95),
    Column(_("Coefficient"), lambda r: str(r.coefficient or "").replace(".", ","), 80),
    Column(_("Prix annuel actuel"), lambda r: r.old_annual, 110),
    Column(_("Nouveau prix annuel"), lambda r: r.new_annual, 110),
    Column(_("Gain annuel"), lambda r: r.gain, 90),
    Column(
        _("Déjà facturé"),
        lambda r: r.billed_periods,
        80,
        tooltip=_("Périodes déjà facturées à l'ancien prix : régularisées au prochain run."),
    ),
    Column(
        _("Calcul / problème"),
        lambda r: r.error or " ".join(x for x in (r.computation, r.limited_by) if x),
        320,
        color=lambda r: RED if r.error else None,
    ),
]
NOTICE_COLUMNS = [
    Column(_("Avis"), lambda r: r.kind_label, 150),
    Column(_("Contrat"), lambda r: r.contract_code, 90),
    Column(_("Client"), lambda r: r.client_name, 180),
    Column(_("Motif"), lambda r: r.reason, 420),
]
SENT_COLUMNS = [
    Column(_("N°"), lambda r: r.number, 110),
    Column(_("Date"), lambda r: r.letter_date, 90),
    Column(_("Avis"), lambda r: notices.KIND_LABELS.get(r.kind, r.kind), 150),
    Column(_("Objet"), lambda r: r.subject, 300),
    Column(_("Fichier"), lambda r: r.docx_path, 260),
]
UPCOMING_COLUMNS = [
    Column(_("Contrat"), lambda r: r.contract_code, 90),
    Column(_("Client"), lambda r: r.client_name, 180),
    Column(_("Statut"), lambda r: r.status, 80),
    Column(_("Événement"), lambda r: r.event_label, 170),
    Column(_("Échéance"), lambda r: r.term_end, 90),
    Column(
        _("Préavis avant le"),
        lambda r: r.notice_deadline,
        100,
        tooltip=_("Dernier jour pour dénoncer le contrat avant sa reconduction."),
    ),
    Column(_("Jours"), lambda r: r.days_left, 60, color=lambda r: RED if r.alert else None),
    Column(_("À faire"), lambda r: r.message, 420, color=lambda r: RED if r.alert else None),
]
PROJECTION_COLUMNS = [
    Column(_("Contrat"), lambda r: r.contract_code, 90),
    Column(_("Client"), lambda r: r.client_name, 180),
    Column(_("Heures / mois"), lambda r: r.hours_per_month, 80),
    Column(_("CA 12 mois"), lambda r: r.projection.revenue, 100),
    Column(_("Main-d'œuvre"), lambda r: r.projection.labour, 100),
    Column(_("Autres coûts"), lambda r: r.projection.other, 90),
    Column(
        _("Marge"),
        lambda r: r.projection.margin,
        90,
        color=lambda r: RED if r.projection.losing else None,
    ),
    Column(_("Marge %"), lambda r: r.projection.margin_percent, 70),
    Column(
        _("Effet révision"),
        lambda r: r.revision_effect,
        90,
        tooltip=_("Chiffre d'affaires en plus sur 12 mois avec la révision due ou proposée."),
    ),
    Column(
        _("Alerte"),
        lambda r: _("Contrat déficitaire") if r.projection.losing else "; ".join(r.warnings),
        300,
        color=lambda r: RED if r.projection.losing else None,
    ),
]


def _date_edit(parent: QWidget, value: dt.date, fmt: str = "dd/MM/yyyy") -> QDateEdit:
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(fmt)
    edit.setDate(QDate(value.year, value.month, value.day))
    return edit


class FollowUpTab(Tab):
    title = _("Suivi des contrats")
    help_chapter = "suivi-contrats"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.today = _date_edit(self, dt.date.today())
        self.today.setToolTip(_("Date de référence des alertes, révisions et projections."))
        self.alert_days = QSpinBox(self)
        self.alert_days.setRange(0, 365)
        self.alert_days.setValue(renewals.DEFAULT_ALERT_DAYS)
        self.alert_days.setSuffix(_(" jours"))
        self.alert_days.setToolTip(
            _("Alerter ce nombre de jours avant la date limite de préavis ou la fin du contrat.")
        )
        indices_btn = QPushButton(_("Indices…"), self)
        indices_btn.clicked.connect(self.open_indices)
        self.contract_combo = QComboBox(self)
        self.contract_combo.setMinimumWidth(240)
        clause_btn = QPushButton(_("Clause de révision…"), self)
        clause_btn.clicked.connect(self.open_clause)
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Date du jour"), self))
        top.addWidget(self.today)
        top.addWidget(QLabel(_("Alerte"), self))
        top.addWidget(self.alert_days)
        top.addStretch(1)
        top.addWidget(indices_btn)
        top.addWidget(self.contract_combo)
        top.addWidget(clause_btn)

        self.pages = QTabWidget(self)
        self.pages.addTab(self._revisions_page(), _("Révisions à appliquer"))
        self.pages.addTab(self._notices_page(), _("Avis à envoyer"))
        self.pages.addTab(self._renewals_page(), _("Échéances et résiliations"))
        self.pages.addTab(self._projection_page(), _("Projection annuelle"))
        self.pages.currentChanged.connect(self._page_changed)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages)
        self.today.dateChanged.connect(lambda _d: self.refresh())
        self.alert_days.valueChanged.connect(lambda _v: self.refresh())
        self.refresh()

    # --- pages --------------------------------------------------------------------

    def _revisions_page(self) -> QWidget:
        page = QWidget(self)
        self.revision_until = _date_edit(page, add_months(dt.date.today(), 2))
        self.revision_until.setToolTip(_("Révisions dont la date tombe au plus tard ce jour."))
        self.revision_until.dateChanged.connect(lambda _d: self.refresh_revisions())
        self.revision_list = RecordList(REVISION_COLUMNS, export_name="revisions", parent=page)
        apply_btn = QPushButton(_("Appliquer la sélection"), page)
        apply_btn.setToolTip(
            _("Crée un avenant daté avec les nouveaux prix ; le prochain run régularise.")
        )
        apply_btn.clicked.connect(self.apply_selected)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Révisions jusqu'au"), page))
        row.addWidget(self.revision_until)
        row.addStretch(1)
        row.addWidget(apply_btn)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.revision_list)
        return page

    def _notices_page(self) -> QWidget:
        page = QWidget(self)
        self.notice_list = RecordList(NOTICE_COLUMNS, export_name="avis", parent=page)
        produce_btn = QPushButton(_("Produire les avis sélectionnés"), page)
        produce_btn.clicked.connect(self.produce_selected)
        self.sent_list = RecordList(SENT_COLUMNS, export_name="avis-produits", parent=page)
        self.sent_list.activated.connect(self.open_notice)
        open_btn = QPushButton(_("Ouvrir le PDF"), page)
        open_btn.clicked.connect(lambda: self.open_notice(self.sent_list.current(), pdf=True))
        open_docx = QPushButton(_("Ouvrir le DOCX (modifiable)"), page)
        open_docx.clicked.connect(lambda: self.open_notice(self.sent_list.current()))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(produce_btn)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel(_("Avis produits"), page))
        row2.addStretch(1)
        row2.addWidget(open_docx)
        row2.addWidget(open_btn)
        split = QSplitter(Qt.Orientation.Vertical, page)
        top = QWidget(split)
        tv = QVBoxLayout(top)
        tv.addWidget(self.notice_list)
        tv.addLayout(row)
        bottom = QWidget(split)
        bv = QVBoxLayout(bottom)
        bv.addLayout(row2)
        bv.addWidget(self.sent_list)
        layout = QVBoxLayout(page)
        layout.addWidget(split)
        return page

    def _renewals_page(self) -> QWidget:
        page = QWidget(self)
        self.upcoming_list = RecordList(
            UPCOMING_COLUMNS,
            filters=[(_("Toutes les échéances"), None), (_("En alerte"), lambda r: r.alert)],
            export_name="echeances",
            parent=page,
        )
        buttons = [
            (_("Reconductions tacites échues"), self.apply_renewals),
            (
                _("Rappel d'échéance"),
                lambda: self.produce_for_selection(NoticeKind.RENEWAL_REMINDER),
            ),
            (
                _("Avis de non-reconduction"),
                lambda: self.produce_for_selection(NoticeKind.TERMINATION),
            ),
            (_("Suspendre…"), self.suspend_selected),
            (_("Résilier…"), self.terminate_selected),
        ]
        row = QHBoxLayout()
        row.addStretch(1)
        for label, slot in buttons:
            btn = QPushButton(label, page)
            btn.clicked.connect(slot)
            row.addWidget(btn)
        layout = QVBoxLayout(page)
        layout.addWidget(self.upcoming_list)
        layout.addLayout(row)
        return page

    def _projection_page(self) -> QWidget:
        page = QWidget(self)
        first = add_months(dt.date.today(), 1)
        self.projection_start = MonthPicker(page, period=month_of(first))
        self.other_percent = QLineEdit("0", page)
        self.other_percent.setMaximumWidth(60)
        self.other_percent.setToolTip(
            _(
                "Autres coûts (produits, matériel, frais généraux) en % du CA, pour les contrats "
                "sans hypothèse propre."
            )
        )
        self.proposed = QLineEdit(page)
        self.proposed.setMaximumWidth(80)
        self.proposed.setPlaceholderText("1,025")
        self.proposed.setToolTip(
            _("Coefficient à simuler sur le contrat sélectionné, dès le début de la projection.")
        )
        compute_btn = QPushButton(_("Calculer"), page)
        compute_btn.clicked.connect(self.refresh_projection)
        export_btn = QPushButton(_("Exporter la projection (.xlsx)"), page)
        export_btn.clicked.connect(self.export_projection)
        self.projection_list = RecordList(
            PROJECTION_COLUMNS,
            filters=[
                (_("Tous les contrats"), None),
                (_("Déficitaires"), lambda r: r.projection.losing),
            ],
            export_name="projection",
            parent=page,
        )
        self.projection_total = QLabel(page)
        self.chart = QChart()
        self.chart.setTitle(_("Portefeuille : chiffre d'affaires, coûts et marge par mois"))
        self.chart_view = QChartView(self.chart, page)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(220)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Premier mois"), page))
        row.addWidget(self.projection_start)
        row.addWidget(QLabel(_("Autres coûts %"), page))
        row.addWidget(self.other_percent)
        row.addWidget(QLabel(_("Simuler un coefficient"), page))
        row.addWidget(self.proposed)
        row.addWidget(compute_btn)
        row.addStretch(1)
        row.addWidget(export_btn)
        split = QSplitter(Qt.Orientation.Vertical, page)
        split.addWidget(self.projection_list)
        split.addWidget(self.chart_view)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(split)
        layout.addWidget(self.projection_total)
        self.projection_items: list[projection.ContractProjection] = []
        self.projection_stale = True
        return page

    # --- data ---------------------------------------------------------------------

    PROJECTION_PAGE = 3

    def _page_changed(self, index: int) -> None:
        if index == self.PROJECTION_PAGE and self.projection_stale:
            self.refresh_projection()

    def day(self) -> dt.date:
        return self.today.date().toPython()

    def refresh(self) -> None:
        current = self.contract_combo.currentData()
        self.contract_combo.clear()
        for choice in self.ctx.query(clauses.contract_choices):
            mark = "" if choice.has_clause else _(" (sans clause)")
            self.contract_combo.addItem(choice.label + mark, choice.id)
        if current is not None:
            self.contract_combo.setCurrentIndex(max(self.contract_combo.findData(current), 0))
        self.refresh_revisions()
        self.notice_list.set_rows(
            self.ctx.query(notices.notices_to_send, self.day(), alert_days=self.alert_days.value())
        )
        self.sent_list.set_rows(self.ctx.query(notices.list_notices))
        self.upcoming_list.set_rows(
            self.ctx.query(renewals.upcoming, self.day(), alert_days=self.alert_days.value())
        )
        # The projection is recomputed when its page is shown (it is the slow one).
        self.projection_stale = True
        if self.pages.currentIndex() == self.PROJECTION_PAGE:
            self.refresh_projection()

    def refresh_revisions(self) -> None:
        until = self.revision_until.date().toPython()
        self.revision_list.set_rows(self.ctx.query(runs.due_revisions, until, today=self.day()))

    def refresh_projection(self) -> None:
        """Recompute the projection off the GUI thread (thousands of contracts take seconds)."""
        self.projection_stale = False
        try:
            percent = to_decimal(self.other_percent.text() or "0", field=_("Autres coûts %"))
            proposals: dict[int, tuple[dt.date, Decimal]] = {}
            selected = self.projection_list.current()
            if self.proposed.text().strip() and selected is not None:
                coefficient = to_decimal(self.proposed.text(), field=_("Coefficient"))
                start = self.projection_start.first_day()
                proposals[selected.contract_id] = (start, coefficient)
        except PropreoError as exc:
            self.projection_total.setText(str(exc))
            return
        first = self.projection_start.first_day()
        today = self.day()

        def work(session: Any, progress: Any) -> list[projection.ContractProjection]:
            progress.step(0, 1, _("Projection des contrats…"))
            return projection.project_contracts(
                session, first, default_other_percent=percent, proposals=proposals, today=today
            )

        self.projection_total.setText(_("Calcul en cours…"))
        self.ctx.run(
            self, _("Projection annuelle"), work, write=False, on_done=self._show_projection
        )

    def _show_projection(self, items: list[projection.ContractProjection]) -> None:
        self.projection_items = items
        self.projection_list.set_rows(items)
        self._draw_chart(projection.monthly_totals(items))
        revenue = sum((i.projection.revenue for i in items), Decimal(0))
        margin = sum((i.projection.margin for i in items), Decimal(0))
        losing = sum(1 for i in items if i.projection.losing)
        effect = sum((i.revision_effect for i in items), Decimal(0))
        self.projection_total.setText(
            ngettext(
                "Total 12 mois : CA {revenue}, marge {margin}, {losing} contrat déficitaire, "
                "effet des révisions {effect}.",
                "Total 12 mois : CA {revenue}, marge {margin}, {losing} contrats déficitaires, "
                "effet des révisions {effect}.",
                losing,
            ).format(
                revenue=format_amount(revenue),
                margin=format_amount(margin),
                losing=losing,
                effect=format_amount(effect),
            )
        )

    def _draw_chart(self, months: list[projection.MonthFigures]) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        if not months:
            return
        revenue = QBarSet(_("Chiffre d'affaires"))
        costs = QBarSet(_("Coûts"))
        margin = QLineSeries()
        margin.setName(_("Marge"))
        margin.setColor(QColor("#7b1fa2"))
        categories = []
        top = 0.0
        bottom = 0.0
        for i, m in enumerate(months):
            # Floats for drawing only; every figure shown as text stays a Decimal.
            revenue.append(float(m.revenue))
            costs.append(float(m.labour + m.other))
            margin.append(i, float(m.margin))
            categories.append(m.month.strftime("%m/%y"))
            top = max(top, float(m.revenue), float(m.labour + m.other))
            bottom = min(bottom, float(m.margin))
        bars = QBarSeries()
        bars.append(revenue)
        bars.append(costs)
        self.chart.addSeries(bars)
        self.chart.addSeries(margin)
        x_axis = QBarCategoryAxis()
        x_axis.append(categories)
        y_axis = QValueAxis()
        y_axis.setRange(bottom, top * 1.1 or 1)
        y_axis.setLabelFormat("%.0f")
        self.chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (bars, margin):
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)

    # --- actions ------------------------------------------------------------------

    def open_indices(self) -> None:
        IndexEditor(self.ctx, self).exec()
        self.refresh()

    def open_clause(self) -> None:
        contract_id = self.contract_combo.currentData()
        if contract_id is None:
            return
        ClauseDialog(self.ctx, contract_id, self).exec()

    def apply_selected(self) -> None:
        rows = [r for r in self.revision_list.selected() if r.ready]
        if not rows:
            show_error(
                self, PropreoError(_("Sélectionnez des révisions calculables (sans problème)."))
            )
            return
        ids = [r.contract_id for r in rows]
        today = self.day()

        def work(session: Any, progress: Any) -> list[int]:
            # `revisions apply` too: all or nothing, a cancel rolls every revision back
            return [
                r.id for r in runs.apply_revisions(session, ids, today=today, progress=progress)
            ]

        self.ctx.run(self, _("Application des révisions"), work, topic="contracts")

    def produce(self, requests: list[notices.NoticeRequest]) -> None:
        if not requests:
            return
        files_dir = self.ctx.db.files_dir
        day = self.day()

        def work(session: Any, progress: Any) -> int:
            made = notices.produce_notices(
                session, requests, letter_date=day, files_dir=files_dir, on_progress=progress.step
            )
            return len(made)

        self.ctx.run(self, _("Production des avis"), work, topic="notices")

    def produce_selected(self) -> None:
        self.produce(
            [
                notices.NoticeRequest(r.kind, r.contract_id, r.revision_id)
                for r in self.notice_list.selected()
            ]
        )

    def produce_for_selection(self, kind: str) -> None:
        self.produce(
            [notices.NoticeRequest(kind, r.contract_id) for r in self.upcoming_list.selected()]
        )

    def open_notice(self, notice: Any, *, pdf: bool = False) -> None:
        if notice is None:
            return
        path = self.ctx.db.files_dir / (notice.pdf_path if pdf else notice.docx_path)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def apply_renewals(self) -> None:
        self.ctx.call(renewals.apply_tacit_renewals, self.day(), topic="contracts")

    def suspend_selected(self) -> None:
        from app.billing.contracts import suspend

        row = self.upcoming_list.current()
        if row is None:
            return
        start = ask_date(self, _("Suspendre"), _("Suspendu à partir du"), self.day())
        if start is None:
            return
        end = ask_date(self, _("Suspendre"), _("Jusqu'au (inclus)"), start + dt.timedelta(days=30))
        if end is None:
            return
        try:
            self.ctx.call(suspend, row.contract_id, start, end, topic="contracts")
        except PropreoError as exc:
            show_error(self, exc)

    def terminate_selected(self) -> None:
        from app.billing.contracts import terminate

        row = self.upcoming_list.current()
        if row is None:
            return
        notice_date = ask_date(self, _("Résilier"), _("Préavis reçu le"), self.day())
        if notice_date is None:
            return
        if not confirm(self, _("Résilier le contrat {code} ?").format(code=row.contract_code)):
            return
        try:
            self.ctx.call(terminate, row.contract_id, notice_date, topic="contracts")
        except PropreoError as exc:
            show_error(self, exc)

    def export_projection(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Exporter"), "projection-annuelle.xlsx", "Classeur Excel (*.xlsx)"
        )
        if path:
            projection.export_xlsx(self.projection_items, path)
