"""« Facturation électronique » tab: send the month's invoices through the approved
platform (and Chorus Pro), read their statuses back, send the e-reporting, and answer the
supplier invoices received. Rules and network work in :mod:`app.einvoicing`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.einvoicing import actions, connector, settings
from app.einvoicing.incoming import received_invoices
from app.einvoicing.status import invoice_states
from app.errors import PropreoError
from app.i18n import _, ngettext
from models.einvoicing import LifecycleCode, ReceivedState
from ui.confirm import confirm
from ui.context import Tab, UiContext
from ui.month_picker import MonthPicker
from ui.operations import show_error
from ui.table import Column, RecordList

CHORUS_ENVIRONMENTS = {
    "qualification": _("Qualification (bac à sable PISTE)"),
    "production": _("Production"),
    "autre": _("Autre adresse (plateforme de référence, essais)"),
}
CREDIT_CODES = (LifecycleCode.REFUSED, LifecycleCode.REJECTED)
SENT_COLUMNS = [
    Column(_("Facture"), lambda s: s.number, 110),
    Column(_("Client"), lambda s: s.client, 220),
    Column(_("Flux"), lambda s: s.flow_id, 100),
    Column(_("Statut"), lambda s: s.label, 260),
    Column(_("À faire"), lambda s: s.action, 300),
]
RECEIVED_COLUMNS = [
    Column(_("Fournisseur"), lambda r: r.seller_name, 200),
    Column(_("SIREN"), lambda r: r.seller_siren, 90),
    Column(_("Numéro"), lambda r: r.number, 120),
    Column(_("Date"), lambda r: r.issue_date, 90),
    Column(_("HT"), lambda r: r.total_ht, 90),
    Column(_("TTC"), lambda r: r.total_ttc, 90),
    Column(
        _("État"),
        lambda r: ReceivedState.LABELS[r.state] + (f" ({r.reason})" if r.reason else ""),
        200,
    ),
]
REPORT_COLUMNS = [
    Column(_("Période"), lambda r: r.period, 170),
    Column(_("Fichier"), lambda r: r.name, 260),
    Column(_("Flux"), lambda r: r.flow_id, 100),
    Column(_("État"), lambda r: r.state + (f" ({r.reason})" if r.reason else ""), 240),
]


class PlatformSettingsDialog(QDialog):
    """Platform and Chorus Pro addresses and identifiers; secrets go to the keyring."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Paramètres de la facturation électronique"))
        row = ctx.query(settings.read_settings)
        self.base_url = QLineEdit(row.base_url, self)
        self.client_id = QLineEdit(row.client_id, self)
        self.secret = QLineEdit(self)
        self.chorus_url = QLineEdit(row.chorus_url, self)
        self.chorus_env = QComboBox(self)
        for code, label in CHORUS_ENVIRONMENTS.items():
            self.chorus_env.addItem(label, code)
        self.chorus_env.setCurrentIndex(
            list(CHORUS_ENVIRONMENTS).index(connector.chorus_environment(row.chorus_url))
        )
        self.chorus_env.currentIndexChanged.connect(self._environment_chosen)
        self._environment_chosen()
        self.chorus_client_id = QLineEdit(row.chorus_client_id, self)
        self.chorus_secret = QLineEdit(self)
        self.chorus_login = QLineEdit(row.chorus_login, self)
        self.chorus_password = QLineEdit(self)
        keyring = connector.keyring_available()
        for secret in (self.secret, self.chorus_secret, self.chorus_password):
            secret.setEchoMode(QLineEdit.EchoMode.Password)
            secret.setPlaceholderText(
                _("inchangé (conservé dans le trousseau du système)")
                if keyring
                else _("à saisir à chaque lancement (pas de trousseau)")
            )
        self.keyring_note = QLabel("" if keyring else _(settings.KEYRING_MISSING), self)
        self.keyring_note.setWordWrap(True)
        self.regime = QComboBox(self)
        for code, label in settings.VAT_REGIMES.items():
            self.regime.addItem(label, code)
        self.regime.setCurrentIndex(list(settings.VAT_REGIMES).index(row.vat_regime))
        form = QFormLayout()
        form.addRow(_("Adresse de la plateforme agréée"), self.base_url)
        form.addRow(_("Identifiant (client OAuth2)"), self.client_id)
        form.addRow(_("Secret"), self.secret)
        form.addRow(_("Régime de TVA (périodes d'e-reporting)"), self.regime)
        form.addRow(_("Chorus Pro"), self.chorus_env)
        form.addRow(_("Adresse de Chorus Pro (PISTE)"), self.chorus_url)
        form.addRow(_("Identifiant PISTE"), self.chorus_client_id)
        form.addRow(_("Secret PISTE"), self.chorus_secret)
        form.addRow(_("Compte technique Chorus Pro"), self.chorus_login)
        form.addRow(_("Mot de passe du compte technique"), self.chorus_password)
        self.test_button = QPushButton(_("Tester la connexion"), self)
        self.test_button.clicked.connect(self.test)
        self.result = QLabel("", self)
        self.result.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.test_button)
        layout.addWidget(self.result)
        layout.addWidget(buttons)

    def _environment_chosen(self) -> None:
        """Qualification and production have PISTE's fixed addresses; « autre » is typed."""
        environment = str(self.chorus_env.currentData())
        if environment in connector.PISTE:
            self.chorus_url.setText(connector.PISTE[environment][0])
        self.chorus_url.setReadOnly(environment in connector.PISTE)

    def form(self) -> settings.PlatformForm:
        return settings.PlatformForm(
            base_url=self.base_url.text(),
            client_id=self.client_id.text(),
            client_secret=self.secret.text(),
            chorus_url=self.chorus_url.text(),
            chorus_client_id=self.chorus_client_id.text(),
            chorus_secret=self.chorus_secret.text(),
            chorus_login=self.chorus_login.text(),
            chorus_password=self.chorus_password.text(),
            vat_regime=str(self.regime.currentData()),
        )

    def _store(self) -> bool:
        try:
            self.ctx.call(settings.save_settings, self.form(), topic="einvoicing")
        except PropreoError as exc:
            show_error(self, exc)
            return False
        return True

    def _rewatch(self) -> None:
        """The platform may have changed: the window's watch starts again."""
        watcher = getattr(self.ctx.window, "einvoicing_watch", None)
        if watcher is not None:
            watcher.start()

    def save(self) -> None:
        if self._store():
            self._rewatch()
            self.accept()

    def test(self) -> None:
        """Saves what was typed, then asks the platform (both services and a token)."""
        if not self._store():
            return
        try:
            self.result.setText(self.ctx.query(settings.test_connection))
        except PropreoError as exc:
            self.result.setText(str(exc))
            return
        self._rewatch()


class EInvoicingTab(Tab):
    title = _("Facturation électronique")
    help_chapter = "facturation-electronique"
    topics = ("", "einvoicing", "billing", "payments")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        from app.dashboard import month_with_documents  # the last month with invoices

        self.month = MonthPicker(self, period=ctx.query(month_with_documents))
        self.settings_button = QPushButton(_("Paramètres…"), self)
        self.settings_button.clicked.connect(self.open_settings)
        self.send_button = QPushButton(_("Envoyer les factures du mois…"), self)
        self.send_button.clicked.connect(self.send)
        self.sync_button = QPushButton(_("Synchroniser les statuts"), self)
        self.sync_button.clicked.connect(self.synchronise)
        self.report_button = QPushButton(_("Envoyer l'e-reporting du mois…"), self)
        self.report_button.clicked.connect(self.ereport)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        # What the window's watch does (webhook or polling) and its last reading.
        self.watch_label = QLabel("", self)
        self.watch_label.setWordWrap(True)
        watcher = getattr(ctx.window, "einvoicing_watch", None)
        if watcher is not None:
            self.watch_label.setText(watcher.text)
            watcher.changed.connect(self.watch_label.setText)

        self.sent = RecordList(SENT_COLUMNS, export_name="factures_electroniques")
        self.received = RecordList(RECEIVED_COLUMNS, export_name="factures_recues")
        self.reports = RecordList(REPORT_COLUMNS, export_name="e_reporting")
        self.open_button = QPushButton(_("Ouvrir le PDF"), self)
        self.open_button.clicked.connect(self.open_received)
        self.approve_button = QPushButton(_("Approuver…"), self)
        self.approve_button.clicked.connect(lambda: self.answer(True))
        self.refuse_button = QPushButton(_("Refuser…"), self)
        self.refuse_button.clicked.connect(lambda: self.answer(False))

        self.credit_button = QPushButton(_("Établir l'avoir…"), self)
        self.credit_button.setToolTip(
            _("Pour une facture refusée par le client ou rejetée par la plateforme.")
        )
        self.credit_button.setEnabled(False)
        self.credit_button.clicked.connect(lambda: self.credit_note())
        self.sent.selection_changed.connect(
            lambda row: self.credit_button.setEnabled(row is not None and row.code in CREDIT_CODES)
        )
        sent_page = QWidget(self)
        sl = QVBoxLayout(sent_page)
        sl.addWidget(self.sent, 1)
        sb = QHBoxLayout()
        sb.addWidget(self.credit_button)
        sb.addStretch(1)
        sl.addLayout(sb)

        received_page = QWidget(self)
        rl = QVBoxLayout(received_page)
        rl.addWidget(self.received, 1)
        rb = QHBoxLayout()
        for button in (self.open_button, self.approve_button, self.refuse_button):
            rb.addWidget(button)
        rb.addStretch(1)
        rl.addLayout(rb)
        self.pages = QTabWidget(self)
        self.pages.addTab(sent_page, _("Factures émises"))
        self.pages.addTab(received_page, _("Factures reçues"))
        self.pages.addTab(self.reports, _("E-reporting"))

        top = QHBoxLayout()
        top.addWidget(QLabel(_("Mois"), self))
        top.addWidget(self.month)
        for button in (self.send_button, self.sync_button, self.report_button):
            top.addWidget(button)
        top.addStretch(1)
        top.addWidget(self.settings_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.watch_label)
        layout.addWidget(self.status)
        layout.addWidget(self.pages, 1)
        self.refresh()

    def period(self) -> str:
        return self.month.period()

    def refresh(self) -> None:
        self.sent.set_rows(self.ctx.query(invoice_states))
        self.received.set_rows(self.ctx.query(received_invoices))
        self.reports.set_rows(self.ctx.query(actions.ereporting_rows))

    def open_settings(self) -> None:
        PlatformSettingsDialog(self.ctx, self).exec()

    def _run(self, title: str, fn: Any, done: Any, **kwargs: Any) -> None:
        def failed(exc: BaseException) -> None:
            show_error(self, exc)
            self.refresh()

        def finished(result: Any) -> None:
            # The use cases write in their own units of work: tell every view.
            self.ctx.bus.changed.emit("einvoicing")
            done(result)

        self.ctx.run(
            self,
            title,
            lambda session, progress: fn(session, progress, **kwargs),
            write=False,
            on_done=finished,
            on_error=failed,
        )

    def send(self) -> None:
        period = self.period()
        preview = self.ctx.query(actions.preview_send, period)
        if not preview.numbers:
            self.status.setText(preview.text(period))
            return
        if not confirm(self, _("Envoyer les factures"), preview.text(period), _("Déposer")):
            return

        def done(report: Any) -> None:
            lines = [f"{o.number} : {o.error}" for o in report.failed]
            self.status.setText(
                ngettext(
                    "{sent} facture déposée, {failed} en échec.",
                    "{sent} factures déposées, {failed} en échec.",
                    len(report.sent),
                ).format(sent=len(report.sent), failed=len(report.failed))
                + ("\n" + "\n".join(lines) if lines else "")
            )

        self._run(_("Dépôt des factures…"), actions.send_month, done, period=period)

    def synchronise(self) -> None:
        def done(report: Any) -> None:
            n_status, n_cashed, n_received = (
                len(report.statuses),
                len(report.cashed),
                len(report.received),
            )
            text = _("{statuses}, {cashed}, {received}.").format(
                statuses=ngettext("{n} statut reçu", "{n} statuts reçus", n_status).format(
                    n=n_status
                ),
                cashed=ngettext(
                    "{n} « Encaissée » envoyé", "{n} « Encaissée » envoyés", n_cashed
                ).format(n=n_cashed),
                received=ngettext(
                    "{n} facture fournisseur reçue", "{n} factures fournisseur reçues", n_received
                ).format(n=n_received),
            )
            self.status.setText(text + ("\n" + "\n".join(report.errors) if report.errors else ""))

        self._run(_("Lecture des statuts…"), actions.sync_now, done)

    def ereport(self) -> None:
        period = self.period()
        text = _(
            "Les données de transactions et de paiements de {period} (particuliers, "
            "copropriétés sans SIREN, clients étrangers) vont être transmises à "
            "l'administration par la plateforme."
        ).format(period=period)
        if not confirm(self, _("E-reporting"), text, _("Transmettre")):
            return

        def done(results: Any) -> None:
            self.status.setText("\n".join(r.describe() for r in results))

        self._run(_("E-reporting…"), actions.ereport_month, done, period=period)

    def credit_note(self, *, modal: bool = True) -> QDialog | None:
        """The credit note a refused or rejected invoice asks for (Facturation's dialog)."""
        from ui.billing_dialogs import CreditNoteDialog

        row = self.sent.current()
        if row is None or row.code not in CREDIT_CODES:
            return None
        dialog = CreditNoteDialog(self.ctx, row.invoice_id, self)
        if modal:
            dialog.exec()
        return dialog

    def open_received(self) -> None:
        row = self.received.current()
        if row is None or not row.document:
            return
        suffix = ".pdf" if row.document[:4] == b"%PDF" else ".xml"
        handle, name = tempfile.mkstemp(prefix=f"{row.number}-", suffix=suffix)
        with os.fdopen(handle, "wb") as out:
            out.write(row.document)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(name))))

    def answer(self, approve: bool) -> None:
        row = self.received.current()
        if row is None:
            self.status.setText(_("Choisissez d'abord une facture reçue."))
            return
        reason = ""
        if approve:
            text = _(
                "La facture {number} de {seller} sera marquée « Approuvée » et le statut envoyé au fournisseur."
            )
            if not confirm(
                self,
                _("Approuver"),
                text.format(number=row.number, seller=row.seller_name),
                _("Approuver"),
            ):
                return
        else:
            reason, ok = QInputDialog.getText(
                self,
                _("Refuser"),
                _("Motif du refus de la facture {number} (transmis à {seller}) :").format(
                    number=row.number, seller=row.seller_name
                ),
            )
            if not ok:
                return

        def done(_result: Any) -> None:
            self.status.setText(_("Réponse envoyée au fournisseur."))

        self._run(
            _("Envoi de la réponse…"),
            actions.respond_received,
            done,
            received_id=row.id,
            approve=approve,
            reason=reason,
        )
