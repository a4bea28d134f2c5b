"""Clients tab: searchable list, the client record (identity, terms, bank) and its panels
(contacts, copropriétés of a syndic, sites, account, history, statistics)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import clients, ledger, terms
from app.errors import PropreoError
from app.i18n import _
from app.money import format_amount
from models.clients import ClientKind
from ui.clients_panels import (
    CondominiumsPanel,
    ContactsPanel,
    HistoryPanel,
    LedgerPanel,
    SitesPanel,
    StatsPanel,
)
from ui.context import Tab, UiContext
from ui.forms import Field, FormWidget
from ui.liaison import LiaisonEntriesWidget
from ui.operations import show_error
from ui.table import Column, RecordList

FIELDS = [
    Field(
        "kind",
        _("Type de client"),
        kind="choice",
        choices=list(clients.KIND_LABELS.items()),
        tooltip=_(
            "Entreprise, organisme public (Chorus Pro), particulier, syndic / régie, ou "
            "copropriété gérée par un syndic. Le type décide des mentions B2B et de l'indemnité "
            "de 40 €."
        ),
    ),
    Field(
        "code",
        _("Code client"),
        tooltip=_(
            "Proposé selon la règle de codification de la société ; modifiable dans le "
            "respect de cette règle."
        ),
    ),
    Field("name", _("Nom / raison sociale")),
    Field("legal_form", _("Forme juridique"), placeholder=_("SAS, SARL…")),
    Field(
        "manager_id",
        _("Syndic"),
        kind="choice",
        tooltip=_(
            "Pour une copropriété : le syndic ou la régie qui la gère. Les documents sont "
            "adressés « SDC <résidence> c/o <syndic> » à l'adresse du syndic."
        ),
    ),
    Field("siret", _("SIRET"), tooltip=_("14 chiffres ; le SIREN en est déduit.")),
    Field("siren", _("SIREN")),
    Field("vat_number", _("N° TVA intracommunautaire"), placeholder=_("FR…")),
    Field(
        "chorus_service_code",
        _("Code service"),
        tooltip=_("Chorus Pro : code service du destinataire."),
    ),
    Field(
        "chorus_commitment",
        _("N° d'engagement"),
        tooltip=_("Chorus Pro : numéro d'engagement juridique."),
    ),
    Field("street", _("Adresse")),
    Field("street2", _("Complément d'adresse")),
    Field("postcode", _("Code postal")),
    Field("city", _("Ville")),
    Field(
        "country",
        _("Pays"),
        placeholder=_("FR"),
        tooltip=_(
            "Code ISO à 2 lettres (FR, BE, CH…). Hors de France, le code postal est libre "
            "et le SIRET n'est pas demandé."
        ),
    ),
    Field(
        "delivery_street",
        _("Adresse de livraison"),
        tooltip=_("Si différente de l'adresse de facturation."),
    ),
    Field("delivery_postcode", _("CP de livraison")),
    Field("delivery_city", _("Ville de livraison")),
    Field("phone", _("Téléphone")),
    Field("email", _("E-mail")),
    Field("invoice_email", _("E-mail de facturation")),
    Field(
        "sending_mode",
        _("Mode d'envoi"),
        kind="choice",
        choices=list(clients.SENDING_MODES.items()),
    ),
    Field(
        "payment_term_kind",
        _("Conditions de règlement"),
        kind="choice",
        choices=[(k, v.replace("{days}", "N")) for k, v in terms.KINDS.items()],
        tooltip=_(
            "« N jours fin de mois » : on ajoute N jours puis on va à la fin du mois. "
            "« Fin de mois + N jours » : fin du mois puis N jours."
        ),
    ),
    Field("payment_term_days", _("Délai de paiement"), kind="int", maximum=60),
    Field(
        "payment_means",
        _("Mode de règlement"),
        kind="choice",
        choices=list(clients.PAYMENT_MEANS.items()),
    ),
    Field(
        "mandate_reference",
        _("Référence du mandat"),
        tooltip=_("RUM du mandat de prélèvement SEPA."),
    ),
    Field("iban", _("IBAN")),
    Field("bic", _("BIC")),
    Field(
        "credit_limit",
        _("Encours autorisé"),
        tooltip=_("Montant maximal dû par le client ; vide = pas de limite."),
    ),
    Field(
        "blocked", _("Bloqué"), kind="bool", tooltip=_("Plus de nouvelle facturation ni de devis.")
    ),
    Field("in_litigation", _("En litige"), kind="bool"),
    Field(
        "account_code",
        _("Compte client"),
        tooltip=_("Compte auxiliaire (FEC) ; par défaut 411 + code."),
    ),
    Field("notes", _("Notes"), kind="multiline"),
]

LIST_COLUMNS = [
    Column(_("Code"), lambda r: r.code, 90),
    Column(_("Type"), lambda r: r.kind_label, 120),
    Column(_("Nom"), lambda r: r.name, 240),
    Column(_("Ville"), lambda r: r.city, 120),
    Column(_("Syndic"), lambda r: r.manager, 160),
    Column(_("Téléphone"), lambda r: r.phone, 110),
    Column(_("E-mail"), lambda r: r.email, 180),
    Column(_("Bloqué"), lambda r: r.blocked, 60, color=lambda r: "#b00020" if r.blocked else None),
    Column(_("Actif"), lambda r: r.active, 50),
]


def _kind_filter(kind: str) -> Any:
    return lambda r: r.kind == kind and r.active


FILTERS: list[tuple[str, Any]] = [
    (_("Clients actifs"), lambda r: r.active),
    (_("Tous les clients"), None),
    *[(label, _kind_filter(kind)) for kind, label in clients.KIND_LABELS.items()],
    (_("Bloqués"), lambda r: r.blocked),
    (_("Inactifs"), lambda r: not r.active),
]


class ClientEditor(QWidget):
    """The record of one client: form + panels."""

    def __init__(self, tab: ClientsTab) -> None:
        super().__init__(tab)
        self.tab = tab
        self.ctx = tab.ctx
        self.client_id: int | None = None
        self._auto_code = True
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.form = FormWidget(FIELDS, self)
        self.kind_combo = self.form.widget("kind")
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)  # type: ignore[attr-defined]
        self.name_edit = self.form.widget("name")
        assert isinstance(self.name_edit, QLineEdit)
        self.name_edit.textEdited.connect(self._suggest_code)
        self.code_edit = self.form.widget("code")
        assert isinstance(self.code_edit, QLineEdit)
        self.code_edit.textEdited.connect(lambda _t: setattr(self, "_auto_code", False))
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        self.scroll = scroll
        self.save_button = QPushButton(_("Enregistrer"), self)
        self.save_button.clicked.connect(self.save)
        self.status = QLabel(self)
        record = QWidget(self)
        record_layout = QVBoxLayout(record)
        record_layout.addWidget(scroll)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        self.mandates_button = QPushButton(_("Mandats SEPA…"), self)  # issue E (payments)
        self.mandates_button.clicked.connect(self._open_mandates)
        bottom.addWidget(self.mandates_button)
        bottom.addWidget(self.save_button)
        record_layout.addLayout(bottom)

        self.contacts = ContactsPanel(self.ctx, self)
        self.condos = CondominiumsPanel(self.ctx, self)
        self.condos.open_client.connect(self.tab.open_client)
        self.condos.open_site.connect(self.tab.open_site)
        self.condos.new_button.clicked.connect(self._new_condominium)
        self.sites = SitesPanel(self.ctx, self)
        self.sites.open_site.connect(self.tab.open_site)
        self.sites.new_site.connect(self.tab.new_site)
        self.ledger = LedgerPanel(self.ctx, self)
        self.history = HistoryPanel(self.ctx, self)
        self.stats = StatsPanel(self.ctx, self)
        self.liaison = LiaisonEntriesWidget(self.ctx, parent=self)
        self.panels = QTabWidget(self)
        self.panels.addTab(record, _("Fiche"))
        self.panels.addTab(self.contacts, _("Contacts"))
        self.condos_index = self.panels.addTab(self.condos, _("Copropriétés"))
        self.panels.addTab(self.sites, _("Chantiers"))
        self.panels.addTab(self.ledger, _("Compte"))
        self.panels.addTab(self.history, _("Historique"))
        self.panels.addTab(self.liaison, _("Cahier de liaison"))
        self.panels.addTab(self.stats, _("Statistiques"))
        self.panels.currentChanged.connect(lambda _i: self._refresh_panels())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.panels)

    # --- loading ---------------------------------------------------------------------------
    def _fill_managers(self, current: int | None) -> None:
        combo = self.form.widget("manager_id")
        combo.blockSignals(True)
        combo.clear()  # type: ignore[attr-defined]
        combo.addItem("—", None)  # type: ignore[attr-defined]
        for manager_id, label in self.ctx.query(clients.managers):
            combo.addItem(label, manager_id)  # type: ignore[attr-defined]
        combo.blockSignals(False)
        self.form.set_value("manager_id", current)

    def new(self, kind: str = ClientKind.COMPANY, manager_id: int | None = None) -> None:
        self.client_id = None
        self._auto_code = True
        form = self.ctx.query(clients.new_client_form, kind)
        form.manager_id = manager_id
        self._fill_managers(manager_id)
        self.form.load(form)
        self.title.setText(_("Nouveau client"))
        self.status.setText("")
        self._kind_changed()
        self.panels.setCurrentIndex(0)
        self._set_client_panels()
        self.name_edit.setFocus()

    def load(self, client_id: int) -> None:
        self.client_id = client_id
        self._auto_code = False
        form = self.ctx.query(lambda s: clients.form_from_client(clients.get_client(s, client_id)))
        self._fill_managers(form.manager_id)
        self.form.load(form)
        self.title.setText(f"{form.code} — {form.name}")
        self.status.setText(self._credit_text(client_id))
        self._kind_changed()
        self._set_client_panels()

    def _credit_text(self, client_id: int) -> str:
        """Encours next to the credit limit, on the record itself (details in « Compte »)."""
        status = self.ctx.query(ledger.credit_status, client_id)
        text = _("Encours : {amount}").format(amount=format_amount(status.outstanding))
        if status.limit is not None:
            text += _(" / autorisé : {amount}").format(amount=format_amount(status.limit))
            if status.exceeded:
                text += " — dépassé"
        return text

    def _set_client_panels(self) -> None:
        for i in range(1, self.panels.count()):
            self.panels.setTabEnabled(i, self.client_id is not None)
        self._refresh_panels()

    def _refresh_panels(self) -> None:
        current = self.panels.currentWidget()
        for panel in (
            self.contacts,
            self.sites,
            self.ledger,
            self.history,
            self.stats,
            self.liaison,
        ):
            if panel is current:
                panel.set_client(self.client_id)
        if current is self.condos:
            self.condos.set_manager(self.client_id)

    def refresh(self) -> None:
        self._refresh_panels()

    # --- behaviour -------------------------------------------------------------------------
    def _open_mandates(self) -> None:
        """SEPA mandates of this client (dialog of the payments module)."""
        if self.client_id is None:
            return
        from ui.payments_dialogs import MandatesDialog

        MandatesDialog(self.ctx, self.client_id, self).open()

    def _kind_changed(self) -> None:
        kind = self.form.value("kind")
        condo = kind == ClientKind.CONDOMINIUM
        self.form.widget("manager_id").setEnabled(condo)
        for name in ("chorus_service_code", "chorus_commitment"):
            self.form.widget(name).setEnabled(kind == ClientKind.PUBLIC)
        for name in ("siren", "siret", "vat_number", "legal_form"):
            self.form.widget(name).setEnabled(kind != ClientKind.PERSON)
        self.panels.setTabVisible(self.condos_index, kind == ClientKind.MANAGER)
        if self.client_id is None and self._auto_code:
            self._suggest_code()

    def _suggest_code(self, *_args: Any) -> None:
        if self.client_id is not None or not self._auto_code:
            return
        name = self.form.value("name")
        kind = self.form.value("kind")
        code = (
            self.ctx.query(lambda s: clients.suggest_client_code(s, name, kind=kind))
            if name.strip()
            else ""
        )
        self.form.set_value("code", code)

    def _new_condominium(self) -> None:
        if self.client_id is not None:
            self.new(ClientKind.CONDOMINIUM, manager_id=self.client_id)

    def save(self) -> bool:
        data = self.form.dump(clients.ClientForm())
        try:
            client = self.ctx.call(clients.save_client, self.client_id, data, topic="clients")
        except PropreoError as exc:
            self.form.show_errors(exc)
            self.status.setText(_("Enregistrement refusé : corrigez les champs signalés."))
            self.panels.setCurrentIndex(0)
            first = next((f.name for f in FIELDS if self.form.error_text(f.name)), None)
            if first is not None:
                self.scroll.ensureWidgetVisible(self.form.widget(first))
            return False
        self.client_id = client.id
        self.tab.refresh()
        self.load(client.id)
        self.tab.select(client.id)
        self.status.setText(_("Enregistré."))
        return True


class ClientsTab(Tab):
    title = _("Clients")
    help_chapter = "clients"
    topics = ("clients", "sites", "invoices", "payments", "liaison")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.list = RecordList(LIST_COLUMNS, filters=FILTERS, export_name="clients", parent=self)
        self.list.selection_changed.connect(self._on_select)
        self.list.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.editor = ClientEditor(self)
        new_button = QPushButton(_("Nouveau client"), self)
        new_button.clicked.connect(lambda: self.editor.new())
        self.toggle_button = QPushButton(_("Désactiver / réactiver"), self)
        self.toggle_button.setToolTip(
            _("Un client utilisé par des documents n'est jamais supprimé : il est désactivé.")
        )
        self.toggle_button.clicked.connect(self.toggle_active)
        directory_button = QPushButton(_("Annuaire des contacts"), self)
        directory_button.clicked.connect(self.open_directory)
        buttons = QHBoxLayout()
        buttons.addWidget(new_button)
        buttons.addWidget(self.toggle_button)
        buttons.addWidget(directory_button)
        buttons.addStretch(1)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list)
        left_layout.addLayout(buttons)
        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(self.editor)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.refresh()
        if not self.list.select_first():
            self.editor.new()

    def refresh(self) -> None:
        self.list.set_rows(self.ctx.query(clients.list_clients))
        self.editor.refresh()

    def _on_select(self, row: Any) -> None:
        if row is not None and row.id != self.editor.client_id:
            self.editor.load(row.id)

    def select(self, client_id: int) -> None:
        for i, row in enumerate(self.list.visible_rows()):
            if row.id == client_id:
                self.list.view.selectRow(i)
                return

    def open_client(self, client_id: int) -> None:
        self.list.search.clear()
        self.list.filter_combo.setCurrentIndex(1)
        self.editor.load(client_id)
        self.select(client_id)

    def _main_window(self) -> Any:
        return self.ctx.window

    def open_site(self, site_id: int) -> None:
        window = self._main_window()
        if window is not None and hasattr(window, "tab"):
            window.tab(_("Chantiers")).open_site(site_id)

    def new_site(self, client_id: int) -> None:
        window = self._main_window()
        if window is not None and hasattr(window, "tab"):
            window.tab(_("Chantiers")).new_site(client_id)

    def toggle_active(self) -> None:
        row = self.list.current()
        if row is None:
            return
        if row.active:
            answer = QMessageBox.question(
                self,
                "Propreo",
                _(
                    "Désactiver le client {code} — {name} ? Il reste dans les documents "
                    "et l'historique, mais n'est plus proposé."
                ).format(code=row.code, name=row.name),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        try:
            self.ctx.call(clients.set_client_active, row.id, not row.active, topic="clients")
        except PropreoError as exc:
            show_error(self, exc)

    def open_directory(self) -> None:
        from ui.contacts import ContactsDirectory

        dialog = ContactsDirectory(self.ctx, self)
        dialog.open_client.connect(self.open_client)
        dialog.exec()
