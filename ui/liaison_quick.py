"""Quick entry of a call / e-mail / visit / note (Ctrl+L from anywhere), and what the
main window shows of the liaison book: the overdue badge on the tab and the start-up notice.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.errors import PropreoError
from app.i18n import _, ngettext
from app.liaison.entries import KINDS, PRIORITIES, EntryInput, update_entry
from app.liaison.files import create_entry_with_files
from app.liaison.views import Choices, EntryDetail, choices, overdue_count, startup_alerts
from ui.context import UiContext
from ui.forms import Field, FormWidget

if TYPE_CHECKING:
    from ui.main_window import MainWindow

TAB_TITLE = _("Cahier de liaison")
SHORTCUT = "Ctrl+L"


def make_searchable(combo: QComboBox) -> None:
    """Type any part of a name to find it (« tilleul » finds « Résidence Les Tilleuls »)."""
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = combo.completer()
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)


def fill_combo(combo: QComboBox, pairs: list[tuple[Any, str]], none_label: str = "") -> None:
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    if none_label:
        combo.addItem(none_label, None)
    for value, label in pairs:
        combo.addItem(label, value)
    index = combo.findData(current)
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


def entry_fields(c: Choices) -> list[Field]:
    """The fields of an entry; labels are those the use case's errors name."""
    return [
        Field("kind", _("Type"), "choice", list(KINDS.items())),
        Field("caller", _("Interlocuteur"), placeholder=_("Qui appelle ? (nom, fonction)")),
        Field("caller_phone", _("Téléphone")),
        Field("client_id", _("Client"), "choice", tooltip=_("Tapez une partie du nom ou du code.")),
        Field(
            "site_id",
            _("Chantier"),
            "choice",
            tooltip=_("Chantiers du client choisi (ou tous) ; le client est déduit du chantier."),
        ),
        Field("contract_id", _("Contrat"), "choice"),
        Field("department_id", _("Service"), "choice", tooltip=_("Service chargé de la demande.")),
        Field("category_id", _("Catégorie"), "choice"),
        Field("priority", _("Priorité"), "choice", list(PRIORITIES.items())),
        Field("assignee_id", _("Attribuée à"), "choice"),
        Field(
            "with_alert",
            _("Alerte"),
            "bool",
            tooltip=_(
                "Cochez pour être alerté si la demande n'est pas clôturée à la date choisie."
            ),
        ),
        Field("due_date", _("Date d'alerte"), "date"),
        Field("subject", _("Objet"), placeholder=_("Résumé (par défaut : la 1re ligne du texte)")),
        Field("text", _("Texte"), "multiline"),
    ]


class EntryDialog(QDialog):
    """New entry (quick entry) or edition of an existing one (``detail`` given)."""

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        *,
        client_id: int | None = None,
        site_id: int | None = None,
        contract_id: int | None = None,
        detail: EntryDetail | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.detail = detail
        self.saved_id: int | None = None
        self.files: list[str] = []
        self.setWindowTitle(_("Nouvelle fiche de liaison") if detail is None else detail.row.number)
        self.choices: Choices = ctx.query(choices)
        self.form = FormWidget(entry_fields(self.choices), self)
        c = self.choices
        fill_combo(self.combo("client_id"), c.clients, _("(aucun)"))
        fill_combo(self.combo("department_id"), c.departments, _("(aucun)"))
        fill_combo(self.combo("category_id"), c.categories, _("(aucune)"))
        fill_combo(self.combo("assignee_id"), c.users, _("(personne)"))
        for name in ("client_id", "site_id", "contract_id"):
            make_searchable(self.combo(name))
        self.combo("client_id").currentIndexChanged.connect(self._client_changed)
        self.form.widget("with_alert").toggled.connect(self.form.widget("due_date").setEnabled)
        self._client_changed()

        self.files_list = QListWidget(self)
        self.files_list.setMaximumHeight(60)
        attach = QPushButton(_("Joindre un fichier…"), self)
        attach.clicked.connect(self._pick_file)
        files_row = QHBoxLayout()
        files_row.addWidget(self.files_list, 1)
        files_row.addWidget(attach)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Enregistrer"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Annuler"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        if detail is None:
            layout.addWidget(QLabel(_("Pièces jointes"), self))
            layout.addLayout(files_row)
        layout.addWidget(buttons)
        self._load(client_id, site_id, contract_id)

    def combo(self, name: str) -> QComboBox:
        widget = self.form.widget(name)
        assert isinstance(widget, QComboBox)
        return widget

    def _load(self, client_id: int | None, site_id: int | None, contract_id: int | None) -> None:
        today = dt.date.today()
        self.form.set_value("due_date", today + dt.timedelta(days=2))
        if self.detail is None:
            self.form.set_value("priority", "normal")
            self.form.set_value("client_id", client_id)
            self._client_changed()
            self.form.set_value("site_id", site_id)
            self.form.set_value("contract_id", contract_id)
            self.form.widget("due_date").setEnabled(False)
            self.form.widget("caller").setFocus()  # who is calling: the first thing typed
            return
        r = self.detail.row
        for name in ("kind", "caller", "priority", "subject"):
            self.form.set_value(name, getattr(r, name))
        self.form.set_value("caller_phone", self.detail.caller_phone)
        self.form.set_value("text", self.detail.text)
        for name in ("client_id", "department_id", "category_id", "assignee_id"):
            self.form.set_value(name, getattr(r, name))
        self._client_changed()
        self.form.set_value("site_id", r.site_id)
        self.form.set_value("contract_id", r.contract_id)
        self.form.set_value("with_alert", r.due_date is not None)
        self.form.widget("due_date").setEnabled(r.due_date is not None)
        if r.due_date:
            self.form.set_value("due_date", r.due_date)

    def _client_changed(self) -> None:
        client = self.combo("client_id").currentData()
        sites = [
            (s.id, s.label) for s in self.choices.sites if client is None or client in s.client_ids
        ]
        fill_combo(self.combo("site_id"), sites, _("(aucun)"))
        contracts = [
            (s.id, s.label)
            for s in self.choices.contracts
            if client is None or client in s.client_ids
        ]
        fill_combo(self.combo("contract_id"), contracts, _("(aucun)"))

    def _pick_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Joindre un fichier"))
        if path:
            self.add_file(path)

    def add_file(self, path: str) -> None:
        self.files.append(path)
        self.files_list.addItem(path.replace("\\", "/").rsplit("/", 1)[-1])

    def data(self) -> EntryInput:
        v = self.form.value
        return EntryInput(
            kind=v("kind"),
            caller=v("caller"),
            caller_phone=v("caller_phone"),
            client_id=v("client_id"),
            site_id=v("site_id"),
            contract_id=v("contract_id"),
            department_id=v("department_id"),
            category_id=v("category_id"),
            priority=v("priority"),
            subject=v("subject"),
            text=v("text"),
            assignee_id=v("assignee_id"),
            due_date=v("due_date") if v("with_alert") else None,
        )

    def save(self) -> None:
        try:
            if self.detail is None:
                entry = self.ctx.call(create_entry_with_files, self.data(), list(self.files))
                self.saved_id = entry.id
            else:
                self.ctx.call(update_entry, self.detail.row.id, self.data())
                self.saved_id = self.detail.row.id
        except PropreoError as exc:
            self.form.show_errors(exc)
            return
        self.accept()


def open_quick_entry(
    ctx: UiContext,
    parent: QWidget | None,
    *,
    client_id: int | None = None,
    site_id: int | None = None,
    contract_id: int | None = None,
) -> EntryDialog:
    """Open the quick-entry dialog (window-modal, non-blocking) and return it."""
    dialog = EntryDialog(ctx, parent, client_id=client_id, site_id=site_id, contract_id=contract_id)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


# --- main window: shortcut, badge, start-up notice ---------------------------------------
class LiaisonNotice(QToolBar):
    """A band under the menus: overdue alerts and unread notifications at start-up."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(_("Alertes"), window)
        self.window_ = window
        self.setMovable(False)
        self.setObjectName("liaison_notice")
        self.label = QLabel(self)
        self.label.setStyleSheet("color: #8a4b00; padding: 2px 6px;")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.addWidget(self.label)
        show = QPushButton(_("Voir les alertes"), self)
        show.clicked.connect(self.show_alerts)
        self.addWidget(show)
        close = QPushButton(_("Masquer"), self)
        close.clicked.connect(self.hide)
        self.addWidget(close)

    def show_alerts(self) -> None:
        tab = self.window_.tab(TAB_TITLE)
        show_overdue = getattr(tab, "show_overdue", None)
        if show_overdue is not None:
            show_overdue()
        self.hide()


def install_liaison(window: MainWindow) -> None:
    """Ctrl+L quick entry from anywhere, the overdue badge and the start-up notice."""
    ctx = window.ctx
    action = QAction(_("Nouvelle fiche de liaison…"), window)
    action.setShortcut(QKeySequence(SHORTCUT))
    action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)

    def quick() -> None:
        window.liaison_dialog = open_quick_entry(ctx, window)  # type: ignore[attr-defined]

    action.triggered.connect(quick)
    window.addAction(action)
    menu = window.menuBar().addMenu(_("&Liaison"))
    window.menuBar().insertMenu(window.help_menu.menuAction(), menu)
    menu.addAction(action)
    window.liaison_action = action  # type: ignore[attr-defined]

    def update_badge(_topic: str = "") -> None:
        count = ctx.query(overdue_count)
        tooltip = (
            ngettext("{n} alerte en retard", "{n} alertes en retard", count).format(n=count)
            if count
            else ""
        )
        window.set_tab_count(TAB_TITLE, count, tooltip)

    ctx.bus.changed.connect(update_badge)
    update_badge()

    notice = LiaisonNotice(window)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, notice)
    window.liaison_notice = notice  # type: ignore[attr-defined]
    alerts = ctx.query(startup_alerts, window.db.user_id)
    if not alerts.any:
        notice.hide()
        return
    summary = alerts.lines[: 2 if alerts.overdue_mine else 1] if alerts.overdue else []
    if alerts.unread:
        summary.append(alerts.lines[-1])
    notice.label.setText("  ".join(summary))
    notice.setToolTip("\n".join(alerts.lines))


class AmendmentDialog(QDialog):
    """Contract amendment request from an entry: which contract, what should change."""

    def __init__(self, ctx: UiContext, detail: EntryDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.detail = ctx, detail
        self.setWindowTitle(_("Demande d'avenant"))
        c: Choices = ctx.query(choices)
        client = detail.row.client_id
        concerned = {client} if client else set()
        self.form = FormWidget(
            [
                Field("contract_id", _("Contrat"), "choice"),
                Field(
                    "request",
                    _("Demande"),
                    "multiline",
                    tooltip=_("Ce qui doit changer (prestation, fréquence, prix…)."),
                ),
            ],
            self,
        )
        combo = self.form.widget("contract_id")
        assert isinstance(combo, QComboBox)
        fill_combo(
            combo,
            [(s.id, s.label) for s in c.contracts if not concerned or concerned & s.client_ids],
            _("(choisir)"),
        )
        make_searchable(combo)
        self.form.set_value("contract_id", detail.row.contract_id)
        self.form.set_value("request", detail.text)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Transmettre"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Annuler"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(buttons)

    def save(self) -> None:
        from app.liaison.convert import request_amendment

        try:
            self.ctx.call(
                request_amendment,
                self.detail.row.id,
                self.form.value("contract_id"),
                self.form.value("request"),
            )
        except PropreoError as exc:
            self.form.show_errors(exc)
            return
        self.accept()
