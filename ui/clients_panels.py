"""Sub-panels of a client record: contacts, copropriétés, sites, account, history, statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import clock, contacts, history, ledger, stats
from app.clients import managed_condominiums
from app.errors import PropreoError
from app.i18n import _, month_names, ngettext
from app.money import ZERO, format_amount
from app.sites import list_sites
from ui.context import UiContext
from ui.forms import Field, FormWidget
from ui.operations import show_error
from ui.table import Column, RecordList

MONTHS = [m.capitalize() for m in month_names("abbreviated")]

CONTACT_FIELDS = [
    Field("name", _("Nom du contact")),
    Field("role", _("Fonction")),
    Field("service", _("Service")),
    Field("phone", _("Téléphone")),
    Field("mobile", _("Portable")),
    Field("email", _("E-mail")),
    Field(
        "is_invoice_contact",
        _("Destinataire des factures"),
        kind="bool",
        tooltip=_("Ce contact reçoit les factures et relances."),
    ),
    Field("notes", _("Notes"), kind="multiline"),
]


class ContactDialog(QDialog):
    def __init__(
        self, ctx: UiContext, client_id: int, contact_id: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.client_id, self.contact_id = ctx, client_id, contact_id
        self.setWindowTitle(_("Contact"))
        self.form = FormWidget(CONTACT_FIELDS, self)
        if contact_id is not None:
            self.form.load(ctx.query(contacts.contact_form, contact_id))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(buttons)

    def save(self) -> None:
        data = self.form.dump(contacts.ContactForm(client_id=self.client_id))
        try:
            self.ctx.call(contacts.save_contact, self.contact_id, data, topic="clients")
        except PropreoError as exc:
            self.form.show_errors(exc)
            return
        self.accept()


CONTACT_COLUMNS = [
    Column(_("Nom"), lambda r: r.name, 160),
    Column(_("Fonction"), lambda r: r.role, 160),
    Column(_("Service"), lambda r: r.service, 110),
    Column(_("Téléphone"), lambda r: r.phone, 110),
    Column(_("Portable"), lambda r: r.mobile, 110),
    Column(_("E-mail"), lambda r: r.email, 180),
    Column(_("Factures"), lambda r: r.is_invoice_contact, 60),
]


class ContactsPanel(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id: int | None = None
        self.list = RecordList(CONTACT_COLUMNS, export_name="contacts", parent=self)
        self.list.activated.connect(lambda r: self.edit(r.id))
        add = QPushButton(_("Ajouter un contact"), self)
        add.clicked.connect(lambda: self.edit(None))
        remove = QPushButton(_("Retirer"), self)
        remove.setToolTip(_("Le contact est retiré de la liste ; il reste dans l'historique."))
        remove.clicked.connect(self.remove)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

    def set_client(self, client_id: int | None) -> None:
        self.client_id = client_id
        self.refresh()

    def refresh(self) -> None:
        rows = (
            self.ctx.query(lambda s: contacts.directory(s, client_id=self.client_id))
            if self.client_id
            else []
        )
        self.list.set_rows(rows)

    def edit(self, contact_id: int | None) -> None:
        if self.client_id is None:
            return
        if ContactDialog(self.ctx, self.client_id, contact_id, self).exec():
            self.refresh()

    def remove(self) -> None:
        row = self.list.current()
        if row is None:
            return
        try:
            self.ctx.call(contacts.set_contact_active, row.id, False, topic="clients")
        except PropreoError as exc:
            show_error(self, exc)
        self.refresh()


class CondominiumsPanel(QWidget):
    """For a syndic / régie: its copropriétés and their sites; double-click opens them."""

    open_client = Signal(int)
    open_site = Signal(int)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.manager_id: int | None = None
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels([_("Copropriété / chantier"), _("Code"), _("Ville")])
        self.tree.setColumnWidth(0, 320)
        self.tree.itemDoubleClicked.connect(self._open)
        self.new_button = QPushButton(_("Nouvelle copropriété"), self)
        self.hint = QLabel("", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)

    def set_manager(self, manager_id: int | None) -> None:
        self.manager_id = manager_id
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        if not self.manager_id:
            return
        rows = self.ctx.query(managed_condominiums, self.manager_id)
        for row in rows:
            item = QTreeWidgetItem([_("SDC {name}").format(name=row.name), row.code, row.city])
            item.setData(0, Qt.ItemDataRole.UserRole, ("client", row.client_id))
            if not row.active:
                item.setForeground(0, Qt.GlobalColor.gray)
            for site_id, code, name in row.sites:
                child = QTreeWidgetItem([name, code, ""])
                child.setData(0, Qt.ItemDataRole.UserRole, ("site", site_id))
                item.addChild(child)
            self.tree.addTopLevelItem(item)
        self.tree.expandAll()
        self.hint.setText(
            ngettext(
                "{n} copropriété gérée. Double-cliquez pour ouvrir.",
                "{n} copropriétés gérées. Double-cliquez pour ouvrir.",
                len(rows),
            ).format(n=len(rows))
        )

    def _open(self, item: QTreeWidgetItem, _column: int) -> None:
        kind, record_id = item.data(0, Qt.ItemDataRole.UserRole)
        (self.open_client if kind == "client" else self.open_site).emit(record_id)


class SitesPanel(QWidget):
    open_site = Signal(int)
    new_site = Signal(int)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id: int | None = None
        self.list = RecordList(
            [
                Column(_("Code"), lambda r: r.code, 110),
                Column(_("Chantier"), lambda r: r.name, 260),
                Column(_("Ville"), lambda r: r.city, 120),
                Column(_("Payeur"), lambda r: r.payer, 180),
                Column(_("Surface m²"), lambda r: r.surface, 90),
                Column(_("Actif"), lambda r: r.active),
            ],
            export_name="chantiers",
            parent=self,
        )
        self.list.activated.connect(lambda r: self.open_site.emit(r.id))
        add = QPushButton(_("Nouveau chantier"), self)
        add.clicked.connect(lambda: self.client_id and self.new_site.emit(self.client_id))
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(add, 0, Qt.AlignmentFlag.AlignLeft)

    def set_client(self, client_id: int | None) -> None:
        self.client_id = client_id
        self.refresh()

    def refresh(self) -> None:
        self.list.set_rows(
            self.ctx.query(lambda s: list_sites(s, client_id=self.client_id))
            if self.client_id
            else []
        )


class LedgerPanel(QWidget):
    """Interrogation de compte: documents and payments with running balance, encours."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id: int | None = None
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.list = RecordList(
            [
                Column(_("Date"), lambda r: r.date, 90),
                Column(_("Pièce"), lambda r: r.kind_label, 110),
                Column(_("Référence"), lambda r: r.reference, 120),
                Column(_("Libellé"), lambda r: r.label, 240),
                Column(_("Débit"), lambda r: r.debit or None, 100),
                Column(_("Crédit"), lambda r: r.credit or None, 100),
                Column(_("Solde"), lambda r: r.balance, 100),
                Column(_("Échéance"), lambda r: r.due_date, 90),
                Column(
                    _("En retard"),
                    lambda r: _("Oui") if r.overdue else "",
                    70,
                    color=lambda r: "#b00020" if r.overdue else None,
                ),
                Column(_("Facture électronique"), lambda r: r.platform_status, 200),
            ],
            export_name="compte-client",
            parent=self,
        )
        self.empty = QLabel(_("Aucune pièce sur ce compte pour l'instant."), self)
        # The statement of this account (1st January → today) printed, saved or e-mailed
        # from here, as the Éditions tab and ``documents`` commands make it.
        from ui.document_actions import DocumentActions, StatementActions

        self.statement = StatementActions(ctx, self, self.statement_args)
        # The invoice or credit note of the selected rows, as archived at issue (double-click:
        # its preview), as under the invoice list.
        self.documents = DocumentActions(
            ctx, self, self.document_ids, title=_("Factures et avoirs")
        )
        self.list.activated.connect(lambda row: row.document_id and self.documents.print_())
        statement_row = QHBoxLayout()
        statement_row.addWidget(QLabel(_("Relevé de compte de l'année :"), self))
        statement_row.addWidget(self.statement)
        statement_row.addSpacing(24)
        statement_row.addWidget(QLabel(_("Pièce sélectionnée :"), self))
        statement_row.addWidget(self.documents)
        statement_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(statement_row)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)

    def document_ids(self) -> list[tuple[int, str]]:
        """(id, number) of the selected rows that are documents issued by Propreo."""
        return [(r.document_id, r.reference) for r in self.list.selected() if r.document_id]

    def statement_args(self) -> tuple[int, dt.date, dt.date] | None:
        """(client, 1st January, today) of the statement offered here; None without client."""
        if not self.client_id:
            return None
        today = clock.today()
        return self.client_id, today.replace(month=1, day=1), today

    def set_client(self, client_id: int | None) -> None:
        self.client_id = client_id
        self.refresh()

    def refresh(self) -> None:
        if not self.client_id:
            self.list.set_rows([])
            self.summary.setText("")
            return

        def load(session: Any) -> tuple[list[ledger.LedgerRow], ledger.CreditStatus]:
            return ledger.client_ledger(session, self.client_id), ledger.credit_status(
                session, self.client_id
            )

        rows, status = self.ctx.query(load)
        self.list.set_rows(rows)
        self.empty.setVisible(not rows)
        limit = format_amount(status.limit) if status.limit is not None else _("non fixé")
        text = _(
            "Encours : <b>{outstanding}</b> — dont échu : {overdue} — encours autorisé : {limit}"
        ).format(
            outstanding=format_amount(status.outstanding),
            overdue=format_amount(status.overdue),
            limit=limit,
        )
        if status.exceeded:
            text += _(" — <span style='color:#b00020'><b>encours autorisé dépassé</b></span>")
        if status.blocked:
            text += _(" — <span style='color:#b00020'><b>client bloqué</b></span>")
        self.summary.setText(text)


class HistoryPanel(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id: int | None = None
        self.list = RecordList(
            [
                Column(_("Date"), lambda r: r.at, 130),
                Column(_("Utilisateur"), lambda r: r.user, 120),
                Column(_("Objet"), lambda r: r.entity, 90),
                Column(_("Action"), lambda r: r.action, 100),
                Column(_("Résumé"), lambda r: r.summary, 300),
                Column(_("Détail"), lambda r: " ; ".join(r.details), 300),
            ],
            export_name="historique",
            parent=self,
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)

    def set_client(self, client_id: int | None) -> None:
        self.client_id = client_id
        self.refresh()

    def refresh(self) -> None:
        self.list.set_rows(
            self.ctx.query(history.client_history, self.client_id) if self.client_id else []
        )


class StatsPanel(QWidget):
    """Revenue HT per month of a year, stacked by article family (QtCharts)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id: int | None = None
        self.points: list[stats.RevenuePoint] = []
        self.year = QComboBox(self)
        self.year.currentIndexChanged.connect(self._draw)
        self.total = QLabel(self)
        self.chart = QChart()
        self.chart.setTitle(_("Chiffre d'affaires HT par famille d'articles"))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.view = QChartView(self.chart, self)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.table = RecordList(
            [
                Column(_("Année"), lambda r: r.year, 60),
                Column(_("Mois"), lambda r: r.month, 50),
                Column(_("Famille"), lambda r: r.family, 180),
                Column(_("CA HT"), lambda r: r.amount, 110),
            ],
            export_name="statistiques",
            parent=self,
        )
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Année :"), self))
        top.addWidget(self.year)
        top.addWidget(self.total, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 3)
        layout.addWidget(self.table, 2)

    def set_client(self, client_id: int | None) -> None:
        self.client_id = client_id
        self.refresh()

    def refresh(self) -> None:
        self.points = self.ctx.query(stats.revenue_points, self.client_id) if self.client_id else []
        self.table.set_rows(self.points)
        self.year.blockSignals(True)
        self.year.clear()
        for y in reversed(stats.years(self.points)):
            self.year.addItem(str(y), y)
        self.year.blockSignals(False)
        self._draw()

    def _draw(self) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        year = self.year.currentData()
        if year is None:
            self.total.setText(_("Aucune facture émise : les statistiques apparaîtront ici."))
            return
        months = stats.by_month(self.points, year)
        families = sorted({f for values in months.values() for f in values})
        series = QStackedBarSeries()
        for family in families:
            bar = QBarSet(family)
            for m in range(1, 13):
                # Chart heights only: the exact amounts are in the table below.
                bar.append(float(months[m].get(family, ZERO)))
            series.append(bar)
        self.chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append(MONTHS)
        axis_y = QValueAxis()
        axis_y.setLabelFormat("%.0f")  # QtCharts mangles non-ASCII in the format
        axis_y.setTitleText("€ HT")
        self.chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)
        axis_y.applyNiceNumbers()
        total = sum((a for values in months.values() for a in values.values()), ZERO)
        self.total.setText(
            _("Total {year} : {total} HT").format(year=year, total=format_amount(total))
        )
