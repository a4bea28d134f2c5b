"""Cahier de liaison tab: the entries with filters, the selected entry with its action
log, the close dialog (a resolution is required), notifications, the dashboard and the
editable departments / categories. ``LiaisonEntriesWidget`` embeds a client's or a site's
entries in other forms.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import PropreoError
from app.i18n import _, ngettext
from app.liaison import entries as L
from app.liaison.files import attachment_path
from app.liaison.views import (
    EntryDetail,
    EntryFilter,
    EntryRow,
    category_count,
    choices,
    entry_detail,
    list_entries,
)
from ui.context import Tab, UiContext
from ui.liaison_quick import AmendmentDialog, EntryDialog, fill_combo, open_quick_entry
from ui.operations import show_error
from ui.table import Column, RecordList

RED = "#b00020"

ENTRY_COLUMNS = [
    Column(_("N°"), lambda r: r.number, 70),
    Column(_("Reçue le"), lambda r: r.received_at, 115),
    Column(_("Type"), lambda r: r.kind_label, 60),
    Column(_("Interlocuteur"), lambda r: r.caller, 140),
    Column(_("Client"), lambda r: r.client_name, 150),
    Column(_("Chantier"), lambda r: r.site_name, 150),
    Column(_("Service"), lambda r: r.department, 95),
    Column(_("Catégorie"), lambda r: r.category, 110),
    Column(_("Priorité"), lambda r: r.priority_label, 65),
    Column(_("Objet"), lambda r: r.subject, 220),
    Column(_("Attribuée à"), lambda r: r.assignee, 110),
    Column(
        _("Échéance"),
        lambda r: r.due_date,
        80,
        tooltip=_("Date d'alerte : en rouge quand elle est dépassée sans clôture."),
        color=lambda r: RED if r.overdue else None,
    ),
    Column(_("Statut"), lambda r: r.status_label, 100),
    Column(_("Conversion"), lambda r: r.converted, 100),
]

STATUS_FILTERS: list[tuple[str, str | None, bool]] = [
    (_("À traiter (non clôturées)"), "active", False),
    (_("En retard"), None, True),
    (_("Ouvertes"), L.OPEN, False),
    (_("En cours"), L.IN_PROGRESS, False),
    (_("En attente client"), L.WAITING, False),
    (_("Clôturées"), L.CLOSED, False),
    (_("Toutes"), None, False),
]


class CloseDialog(QDialog):
    """Closing an entry: the resolution is required (the use case says so, shown here)."""

    def __init__(self, ctx: UiContext, entry_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.entry_id = ctx, entry_id
        self.setWindowTitle(_("Clôturer la fiche"))
        self.resolution = QPlainTextEdit(self)
        self.resolution.setPlaceholderText(_("Comment la demande a-t-elle été traitée ?"))
        self.error = QLabel(self)
        self.error.setStyleSheet(f"color: {RED};")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Clôturer"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Annuler"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Résolution"), self))
        layout.addWidget(self.resolution)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        try:
            self.ctx.call(L.close_entry, self.entry_id, self.resolution.toPlainText())
        except PropreoError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


class EntryPanel(QWidget):
    """The selected entry: what was said, the action log, and what can be done next."""

    changed = Signal()

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.detail: EntryDetail | None = None
        self.close_dialog: CloseDialog | None = None
        self.header = QLabel(self)
        self.header.setWordWrap(True)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.actions = RecordList(
            [
                Column(_("Date"), lambda a: a.at, 115),
                Column(_("Par"), lambda a: a.user, 100),
                Column(_("Action"), lambda a: a.comment, 300),
                Column(_("Statut"), lambda a: a.status_change, 150),
            ],
            export_name="actions",
            parent=self,
        )
        self.actions.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # chronological
        self.action_text = QLineEdit(self)
        self.action_text.setPlaceholderText(_("Action menée (rappel, passage sur site…)"))
        self.add_action_button = QPushButton(_("Ajouter l'action"), self)
        self.add_action_button.clicked.connect(self.add_action)
        self.action_text.returnPressed.connect(self.add_action)
        self.assignee = QComboBox(self)
        self.assignee.setToolTip(_("La personne choisie est prévenue dans Propreo."))
        self.assign_button = QPushButton(_("Attribuer"), self)
        self.assign_button.clicked.connect(self.assign)
        self.status_buttons = QHBoxLayout()
        self.edit_button = QPushButton(_("Modifier…"), self)
        self.edit_button.clicked.connect(self.edit)
        self.quote_button = QPushButton(_("Devis TC"), self)
        self.quote_button.setToolTip(_("Créer un devis de travaux complémentaires (brouillon)."))
        self.quote_button.clicked.connect(self.to_quote)
        self.amendment_button = QPushButton(_("Demande d'avenant…"), self)
        self.amendment_button.clicked.connect(self.to_amendment)
        self.amendment_dialog: QDialog | None = None
        self.files = QListWidget(self)
        self.files.setMaximumHeight(55)
        self.files.itemDoubleClicked.connect(self.open_file)
        self.files.setToolTip(_("Double-cliquez pour ouvrir la pièce jointe."))

        row1 = QHBoxLayout()
        row1.addWidget(self.action_text, 1)
        row1.addWidget(self.add_action_button)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel(_("Attribuée à"), self))
        row2.addWidget(self.assignee, 1)
        row2.addWidget(self.assign_button)
        row2.addLayout(self.status_buttons)
        row2.addWidget(self.edit_button)
        row2.addWidget(self.quote_button)
        row2.addWidget(self.amendment_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.text)
        layout.addWidget(self.files)
        layout.addWidget(self.actions, 1)
        layout.addLayout(row1)
        layout.addLayout(row2)
        self.show_entry(None)

    def show_entry(self, entry_id: int | None) -> None:
        self.detail = self.ctx.query(entry_detail, entry_id) if entry_id else None
        d = self.detail
        for w in (self.action_text, self.add_action_button, self.assignee, self.assign_button):
            w.setEnabled(d is not None and d.row.status != L.CLOSED)
        for w in (self.edit_button, self.amendment_button):
            w.setEnabled(d is not None and d.row.status != L.CLOSED)
        self.quote_button.setEnabled(
            d is not None and d.row.status != L.CLOSED and d.row.quote_id is None
        )
        self._clear_status_buttons()
        self.files.clear()
        if d is None:
            self.header.setText(_("Choisissez une fiche dans la liste."))
            self.text.setText("")
            self.actions.set_rows([])
            return
        r = d.row
        where = " — ".join(x for x in (r.client_name, r.site_name, r.contract_code) if x)
        due = r.due_date.strftime("%d/%m/%Y") if r.due_date else "—"
        late = _(" (en retard)") if r.overdue else ""
        self.header.setText(
            f"<b>{_esc(r.number)} — {_esc(r.subject)}</b><br>"
            + _("{kind} de {caller} · {where}").format(
                kind=_esc(r.kind_label), caller=_esc(r.caller or "?"), where=_esc(where)
            )
            + f"<br>{_esc(r.status_label)} · {_esc(r.priority_label)} · "
            + _("échéance {due}").format(due=due)
            + f"<span style='color:{RED}'>{late}</span>"
            + (f" · {_esc(r.converted)}" if r.converted else "")
        )
        text = d.text + (f"\n\nRésolution : {d.resolution}" if d.resolution else "")
        self.text.setText(text)
        self.actions.set_rows(d.actions)
        for f in d.attachments:
            item = QListWidgetItem(
                _("{name} ({size} Ko)").format(name=f.original_name, size=max(1, f.size // 1024))
            )
            item.setData(256, f.id)
            self.files.addItem(item)
        self.files.setVisible(bool(d.attachments))
        users = self.ctx.query(choices).users
        fill_combo(self.assignee, users, _("(personne)"))
        self.assignee.setCurrentIndex(max(self.assignee.findData(r.assignee_id), 0))
        for status, label in d.next_statuses:
            text = {L.CLOSED: _("Clôturer…"), L.OPEN: _("Rouvrir")}.get(status, label)
            button = QPushButton(text, self)
            button.setObjectName(f"status_{status}")
            button.clicked.connect(lambda _c=False, s=status: self.set_status(s))
            self.status_buttons.addWidget(button)

    def _clear_status_buttons(self) -> None:
        while self.status_buttons.count():
            item = self.status_buttons.takeAt(0)
            if item.widget():
                item.widget().deleteLater()

    def status_button(self, status: str) -> QPushButton | None:
        for i in range(self.status_buttons.count()):
            w = self.status_buttons.itemAt(i).widget()
            if isinstance(w, QPushButton) and w.objectName() == f"status_{status}":
                return w
        return None

    def _do(self, fn: Any, *args: Any, **kwargs: Any) -> bool:
        try:
            self.ctx.call(fn, *args, **kwargs)
        except PropreoError as exc:
            show_error(self, exc)
            return False
        return True

    def add_action(self) -> None:
        if self.detail and self._do(L.add_action, self.detail.row.id, self.action_text.text()):
            self.action_text.clear()
            self._reload()

    def assign(self) -> None:
        if self.detail and self._do(
            L.assign_entry, self.detail.row.id, self.assignee.currentData()
        ):
            self._reload()

    def set_status(self, status: str) -> None:
        if self.detail is None:
            return
        if status == L.CLOSED:
            self.close_dialog = CloseDialog(self.ctx, self.detail.row.id, self)
            self.close_dialog.accepted.connect(self._reload)
            self.close_dialog.open()
            return
        if self._do(L.change_status, self.detail.row.id, status):
            self._reload()

    def edit(self) -> None:
        if self.detail is None:
            return
        dialog = EntryDialog(self.ctx, self, detail=self.detail)
        dialog.accepted.connect(self._reload)
        dialog.open()

    def to_quote(self) -> None:
        from app.liaison.convert import convert_to_quote

        if self.detail and self._do(convert_to_quote, self.detail.row.id):
            self._reload()

    def to_amendment(self) -> None:
        if self.detail is None:
            return
        self.amendment_dialog = AmendmentDialog(self.ctx, self.detail, self)
        self.amendment_dialog.accepted.connect(self._reload)
        self.amendment_dialog.open()

    def open_file(self, item: QListWidgetItem) -> None:
        try:
            path = self.ctx.query(attachment_path, item.data(256))
        except PropreoError as exc:
            show_error(self, exc)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def _reload(self) -> None:
        if self.detail is not None:
            self.show_entry(self.detail.row.id)
        self.changed.emit()


class LiaisonEntriesWidget(QWidget):
    """A client's (or a site's) entries with a « Nouvelle fiche » button, for other forms."""

    def __init__(
        self,
        ctx: UiContext,
        *,
        client_id: int | None = None,
        site_id: int | None = None,
        contract_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.client_id, self.site_id = ctx, client_id, site_id
        self.contract_id = contract_id
        self.list = RecordList(
            [c for c in ENTRY_COLUMNS if c.title != _("Client")],
            filters=[
                (_("Toutes"), None),
                (_("Non clôturées"), lambda r: r.status != L.CLOSED),
                (_("En retard"), lambda r: r.overdue),
            ],
            export_name="liaison",
            parent=self,
        )
        new = QPushButton(_("Nouvelle fiche de liaison…"), self)
        new.clicked.connect(self.new_entry)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addWidget(new)
        ctx.bus.changed.connect(lambda _t: self.refresh())
        self.refresh()

    def set_client(self, client_id: int | None) -> None:
        """Same interface as the client form's other panels."""
        self.set_target(client_id=client_id)

    def set_target(
        self,
        *,
        client_id: int | None = None,
        site_id: int | None = None,
        contract_id: int | None = None,
    ) -> None:
        self.client_id, self.site_id, self.contract_id = client_id, site_id, contract_id
        self.refresh()

    def refresh(self) -> None:
        if self.client_id is None and self.site_id is None and self.contract_id is None:
            self.list.set_rows([])
            return
        flt = EntryFilter(
            client_id=self.client_id, site_id=self.site_id, contract_id=self.contract_id
        )
        self.list.set_rows(self.ctx.query(list_entries, flt))

    def new_entry(self) -> QDialog:
        return open_quick_entry(
            self.ctx,
            self,
            client_id=self.client_id,
            site_id=self.site_id,
            contract_id=self.contract_id,
        )


class EntriesPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.status = QComboBox(self)
        for label, _s, _o in STATUS_FILTERS:
            self.status.addItem(_(label))
        self.department = QComboBox(self)
        self.category = QComboBox(self)
        self.assignee = QComboBox(self)
        for combo in (self.status, self.department, self.category, self.assignee):
            combo.currentIndexChanged.connect(self.refresh)
        new = QPushButton(_("Nouvelle fiche (Ctrl+L)"), self)
        new.clicked.connect(lambda: open_quick_entry(ctx, self))
        self.list = RecordList(ENTRY_COLUMNS, export_name="cahier-de-liaison", parent=self)
        self.list.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # newest first
        self.panel = EntryPanel(ctx, self)
        self.list.selection_changed.connect(
            lambda r: self.panel.show_entry(r.id if r is not None else None)
        )
        filters = QHBoxLayout()
        for label, combo in (
            (_("Statut"), self.status),
            (_("Service"), self.department),
            (_("Catégorie"), self.category),
            (_("Attribuée à"), self.assignee),
        ):
            filters.addWidget(QLabel(label, self))
            filters.addWidget(combo)
        filters.addStretch(1)
        filters.addWidget(new)
        split = QSplitter(self)
        split.addWidget(self.list)
        split.addWidget(self.panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(split, 1)

    def fill_filters(self) -> None:
        c = self.ctx.query(choices, include_inactive=True)
        fill_combo(self.department, c.departments, _("Tous"))
        fill_combo(self.category, c.categories, _("Toutes"))
        users: list[tuple[Any, str]] = []
        if self.ctx.db.user_id:
            users.append(("me", _("Moi")))
        fill_combo(self.assignee, users + list(c.users), _("Tous"))

    def current_filter(self) -> EntryFilter:
        _label, status, overdue = STATUS_FILTERS[max(self.status.currentIndex(), 0)]
        assignee = self.assignee.currentData()
        if assignee == "me":
            assignee = self.ctx.db.user_id
        return EntryFilter(
            status=status,
            overdue_only=overdue,
            department_id=self.department.currentData(),
            category_id=self.category.currentData(),
            assignee_id=assignee,
        )

    def refresh(self) -> None:
        current = self.panel.detail.row.id if self.panel.detail else None
        rows: list[EntryRow] = self.ctx.query(list_entries, self.current_filter())
        self.list.set_rows(rows)
        self.select(current)

    def select(self, entry_id: int | None) -> None:
        for i in range(self.list.proxy.rowCount()):
            index = self.list.proxy.index(i, 0)
            if self.list.record_at(index).id == entry_id:
                self.list.view.setCurrentIndex(index)
                return
        self.panel.show_entry(None)


class NotificationsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.list = RecordList(
            [
                Column(_("Date"), lambda n: n.at, 120),
                Column(_("Message"), lambda n: n.text, 500),
                Column(_("Lue"), lambda n: n.read, 40),
            ],
            export_name="notifications",
            parent=self,
        )
        self.info = QLabel(self)
        read = QPushButton(_("Tout marquer comme lu"), self)
        read.clicked.connect(self.mark_read)
        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addWidget(self.list, 1)
        layout.addWidget(read)

    def refresh(self) -> int:
        """Reload the current user's notifications; returns how many are unread."""
        user = self.ctx.db.user_id
        if user is None:
            self.info.setText(_("Choisissez un utilisateur pour voir ses notifications."))
            self.list.set_rows([])
            return 0
        rows = self.ctx.query(L.notifications, user, unread_only=False)
        unread = sum(1 for n in rows if not n.read)
        self.info.setText(
            ngettext("{n} notification non lue.", "{n} notifications non lues.", unread).format(
                n=unread
            )
        )
        self.list.set_rows(rows)
        return unread

    def mark_read(self) -> None:
        if self.ctx.db.user_id is not None:
            self.ctx.call(L.mark_notifications_read, self.ctx.db.user_id, topic="liaison")


class LiaisonTab(Tab):
    title = _("Cahier de liaison")
    help_chapter = "cahier-de-liaison"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        from ui.liaison_dashboard import DashboardPage, SettingsPage

        if not ctx.db.read_only and ctx.query(category_count) == 0:
            ctx.call(L.ensure_default_categories, topic="liaison")
        self.pages = QTabWidget(self)
        self.entries = EntriesPage(ctx, self)
        self.dashboard = DashboardPage(ctx, self)
        self.notifications = NotificationsPage(ctx, self)
        self.settings = SettingsPage(ctx, self)
        self.pages.addTab(self.entries, _("Fiches"))
        self.pages.addTab(self.dashboard, _("Tableau de compte rendu"))
        self.pages.addTab(self.notifications, _("Mes notifications"))
        self.pages.addTab(self.settings, _("Services et catégories"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.entries.fill_filters()
        self.refresh()
        self.entries.list.select_first()

    def refresh(self) -> None:
        self.entries.refresh()
        self.dashboard.refresh()
        unread = self.notifications.refresh()
        self.pages.setTabText(
            self.pages.indexOf(self.notifications),
            _("Mes notifications ({n})").format(n=unread) if unread else _("Mes notifications"),
        )
        self.settings.refresh()

    def show_overdue(self) -> None:
        self.pages.setCurrentWidget(self.entries)
        self.entries.status.setCurrentIndex(1)


def _esc(text: str) -> str:
    from html import escape

    return escape(text or "")
