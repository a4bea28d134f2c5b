"""Dialogs of the Règlements tab: cheque remittance slip, SEPA batches, client mandates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.errors import PropreoError
from app.i18n import _, ngettext
from app.money import ZERO, format_amount
from app.payments import remittance, sepa, sepa_bank, sepa_mandates
from app.payments.sepa_rules import (
    MANDATE_KINDS,
    SCHEMES,
    SEQUENCES,
    earliest_collection_date,
)
from app.payments.states import BATCH_WORKFLOW, MANDATE_WORKFLOW
from ui.context import UiContext
from ui.forms import Field, FormWidget
from ui.operations import show_error, write_or_say
from ui.table import Column, RecordList


def _date_edit(parent: QWidget, day: dt.date) -> QDateEdit:
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setDate(QDate(day.year, day.month, day.day))
    return edit


def _save_bytes(
    parent: QWidget, title: str, name: str, pattern: str, data: bytes, path: str
) -> str:
    if not path:
        path, _filter = QFileDialog.getSaveFileName(parent, title, name, pattern)
    if path and not write_or_say(parent, path, data):
        return ""
    return path


CHEQUE_COLUMNS = [
    Column(_("Règlement"), lambda r: r.number, 110),
    Column(_("Reçu le"), lambda r: r.date, 85),
    Column(_("Client"), lambda r: r.client, 180),
    Column(_("Tireur"), lambda r: r.drawer, 160),
    Column(_("Banque"), lambda r: r.bank, 120),
    Column(_("N° de chèque"), lambda r: r.cheque_number, 100),
    Column(_("Montant"), lambda r: r.amount, 90),
]


class RemittanceDialog(QDialog):
    """Choose the cheques to take to the bank, record the slip, save its PDF."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.remittance_id: int | None = None
        self.setWindowTitle(_("Bordereau de remise de chèques"))
        self.resize(820, 520)
        self.list = RecordList(CHEQUE_COLUMNS, export_name="cheques-a-remettre")
        self.list.view.selectionModel().selectionChanged.connect(lambda *_a: self._update_total())
        self.date = _date_edit(self, clock.today())
        self.date.setMaximumDate(self.date.date())  # a deposit already made: never ahead
        self.total = QLabel(self)
        self.create_button = QPushButton(_("Créer le bordereau et l'enregistrer en PDF…"), self)
        self.create_button.clicked.connect(lambda: self.create())
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.button(QDialogButtonBox.StandardButton.Close).setText(_("Fermer"))
        close.rejected.connect(self.reject)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(_("Date de remise :"), self))
        bar.addWidget(self.date)
        bar.addWidget(self.total, 1)
        bar.addWidget(self.create_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Sélectionnez les chèques remis en banque :"), self))
        layout.addWidget(self.list, 1)
        layout.addLayout(bar)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        self.list.set_rows(self.ctx.query(remittance.cheques_to_remit))
        self._update_total()

    def _update_total(self) -> None:
        rows = self.list.selected()
        total = sum((r.amount for r in rows), ZERO)
        self.total.setText(
            ngettext(
                "{count} chèque sélectionné, total {total}",
                "{count} chèques sélectionnés, total {total}",
                len(rows),
            ).format(count=len(rows), total=format_amount(total))
        )

    def create(self, path: str = "") -> int | None:
        """The slip and its PDF in one go (``cheques remise`` too): asked where first,
        nothing recorded if the PDF cannot be written."""
        ids = [r.payment_id for r in self.list.selected()]
        day = self.date.date().toPython()
        if not path:
            path, _filter = QFileDialog.getSaveFileName(
                self, _("Bordereau"), f"remise-{day:%Y%m%d}.pdf", "PDF (*.pdf)"
            )
        if not path:
            return None
        try:
            slip = self.ctx.call(remittance.remit_cheques, ids, day, Path(path), topic="payments")
        except PropreoError as exc:
            show_error(self, exc)
            return None
        self.remittance_id = slip.id
        self.refresh()
        return slip.id


CANDIDATE_COLUMNS = [
    Column(_("Facture"), lambda r: r.invoice_number, 110),
    Column(_("Client"), lambda r: r.client_name, 180),
    Column(_("Émise le"), lambda r: r.issue_date, 85),
    Column(_("Échéance"), lambda r: r.due_date, 85),
    Column(_("Montant"), lambda r: r.amount, 90),
    Column(_("RUM"), lambda r: r.rum, 140),
    Column(_("Schéma"), lambda r: r.scheme, 60),
    Column(_("Séquence"), lambda r: r.sequence, 60),
    Column(
        _("Écartée car"),
        lambda r: r.problem,
        320,
        color=lambda r: "#b00020" if r.problem else None,
    ),
]
BATCH_STATUS = BATCH_WORKFLOW.labels
BATCH_COLUMNS = [
    Column(_("Lot"), lambda r: r.reference, 140),
    Column(_("Prélèvement le"), lambda r: r.collection_date, 95),
    Column(_("Schéma"), lambda r: r.scheme, 60),
    Column(_("Nombre"), lambda r: r.count, 60),
    Column(_("Total"), lambda r: r.total, 90),
    Column(
        _("État"),
        lambda r: BATCH_STATUS.get(r.status, r.status),
        80,
    ),
]
LINE_COLUMNS = [
    Column(_("Facture"), lambda r: r.invoice_number, 110),
    Column(_("Client"), lambda r: r.client, 170),
    Column(_("Montant"), lambda r: r.amount, 90),
    Column(_("Séquence"), lambda r: SEQUENCES.get(r.sequence, r.sequence), 80),
    Column(_("État"), lambda r: r.status_label, 200),
]


class SepaDialog(QDialog):
    """Due invoices of direct-debit clients → batch (pain.008); confirm; record rejects."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Prélèvements SEPA"))
        self.resize(900, 700)
        self.notice_days = self.ctx.query(sepa.prenotification_days)
        earliest = earliest_collection_date(dt.date.today())
        self.date = _date_edit(self, earliest)
        self.date.setToolTip(
            _(
                "Date de prélèvement demandée : un jour ouvré TARGET2, au plus tôt le jour ouvré "
                "suivant l'envoi du fichier. Sont proposées les factures échues à cette date "
                "et émises au moins {days} jours avant (préavis, Paramètres de la société)."
            ).format(days=self.notice_days)
        )
        self.rule = QLabel(
            _("Au plus tôt le {date} (jour ouvré TARGET2 suivant l'envoi) ; préavis {days} jours.")
            .format(date=earliest.strftime("%d/%m/%Y"), days=self.notice_days),
            self,
        )  # fmt: skip
        self.date.dateChanged.connect(lambda _d: self.refresh())
        self.candidates = RecordList(CANDIDATE_COLUMNS, export_name="a-prelever")
        self.create_button = QPushButton(_("Créer le lot et enregistrer le fichier…"), self)
        self.create_button.clicked.connect(lambda: self.create())
        self.notice_button = QPushButton(_("Nouvelle pré-notification…"), self)
        self.notice_button.setToolTip(
            _(
                "Factures annoncées au client pour une autre date : noter une nouvelle "
                "pré-notification pour la date choisie (préavis respecté) et enregistrer son texte."
            )
        )
        self.notice_button.clicked.connect(lambda: self.renotify())
        self.batches = RecordList(BATCH_COLUMNS, export_name="lots-sepa")
        self.batches.selection_changed.connect(self._on_batch)
        self.lines = RecordList(LINE_COLUMNS, export_name="prelevements")
        self.file_button = QPushButton(_("Fichier pain.008…"), self)
        self.file_button.clicked.connect(lambda: self.save_file())
        self.confirm_button = QPushButton(_("Confirmer (lot accepté par la banque)"), self)
        self.confirm_button.clicked.connect(self.confirm)
        self.reject_button = QPushButton(_("Rejet / impayé…"), self)
        self.reject_button.setToolTip(
            _("Le prélèvement est revenu impayé : le règlement est rejeté et la facture rouverte.")
        )
        self.reject_button.clicked.connect(lambda: self.reject_selected())
        self.cancel_button = QPushButton(_("Annuler le lot…"), self)
        self.cancel_button.setToolTip(
            _(
                "Le fichier n'a pas été envoyé ou la banque l'a refusé en entier : ses factures "
                "redeviennent à prélever et ses premiers prélèvements restent des FRST."
            )
        )
        self.cancel_button.clicked.connect(lambda: self.cancel_batch())
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Date de prélèvement :"), self))
        top.addWidget(self.date)
        top.addWidget(self.rule)
        top.addStretch(1)
        top.addWidget(self.notice_button)
        top.addWidget(self.create_button)
        batch_bar = QHBoxLayout()
        batch_bar.addWidget(QLabel(_("Lots"), self), 1)
        for button in (
            self.file_button,
            self.confirm_button,
            self.reject_button,
            self.cancel_button,
        ):
            batch_bar.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.button(QDialogButtonBox.StandardButton.Close).setText(_("Fermer"))
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.candidates, 2)
        layout.addLayout(batch_bar)
        layout.addWidget(self.batches, 1)
        layout.addWidget(self.lines, 1)
        layout.addWidget(close)
        self.refresh()

    def collection_date(self) -> dt.date:
        return self.date.date().toPython()  # type: ignore[no-any-return]

    def refresh(self) -> None:
        current = self.batches.current()
        self.candidates.set_rows(self.ctx.query(sepa.candidates, self.collection_date()))
        self.batches.set_rows(self.ctx.query(sepa.list_batches))
        if current is not None:
            self.select_batch(current.id)
        self._on_batch(self.batches.current())

    def select_batch(self, batch_id: int) -> None:
        for r in range(self.batches.proxy.rowCount()):
            index = self.batches.proxy.index(r, 0)
            if self.batches.record_at(index).id == batch_id:
                self.batches.view.setCurrentIndex(index)
                return

    def _on_batch(self, row: Any) -> None:
        self.lines.set_rows(self.ctx.query(sepa.batch_lines, row.id) if row else [])

    def create(self, path: str = "") -> list[int]:
        """The batches and their files in one go (``sepa export`` too): asked where first,
        nothing recorded if a file cannot be written; a B2B batch goes beside, suffixed."""
        day = self.collection_date()
        if not path:
            path, _filter = QFileDialog.getSaveFileName(
                self, _("Fichier SEPA"), f"prelevements-{day:%Y%m%d}.xml", "XML (*.xml)"
            )
        if not path:
            return []
        try:
            batches = self.ctx.call(sepa.export_batches, day, Path(path), topic="payments")
        except PropreoError as exc:
            show_error(self, exc)
            return []
        self.refresh()
        return [b.id for b in batches]

    def renotify(self, path: str = "") -> int:
        """New pre-notification of the invoices left out for their announced date."""
        day = self.collection_date()
        ids = self.ctx.query(sepa.waiting_for_notice, day)
        if not ids:
            QMessageBox.information(
                self, "Propreo", _("Aucune facture n'attend de nouvelle pré-notification.")
            )
            return 0
        question = ngettext(
            "Enregistrer une nouvelle pré-notification de {n} facture pour le {date} ? "
            "Le texte à envoyer à chaque client sera enregistré dans un fichier.",
            "Enregistrer une nouvelle pré-notification de {n} factures pour le {date} ? "
            "Le texte à envoyer à chaque client sera enregistré dans un fichier.",
            len(ids),
        ).format(n=len(ids), date=f"{day:%d/%m/%Y}")
        if QMessageBox.question(self, "Propreo", question) != QMessageBox.StandardButton.Yes:
            return 0
        if not path:  # asked before anything is recorded (``sepa prenotifier`` too)
            path, _filter = QFileDialog.getSaveFileName(
                self, _("Pré-notifications"), f"pre-notifications-{day:%Y%m%d}.txt",
                "Texte (*.txt)",
            )  # fmt: skip
        if not path:
            return 0
        try:
            texts = self.ctx.call(sepa.renotify_to_file, ids, day, Path(path), topic="payments")
        except PropreoError as exc:
            show_error(self, exc)
            return 0
        self.refresh()
        return len(texts)

    def save_file(self, path: str = "") -> None:
        row = self.batches.current()
        if row is None:
            return
        try:
            data = self.ctx.query(sepa.batch_xml, row.id)
        except PropreoError as exc:
            show_error(self, exc)
            return
        _save_bytes(self, _("Fichier SEPA"), f"{row.reference}.xml", "XML (*.xml)", data, path)

    def confirm(self) -> None:
        row = self.batches.current()
        if row is None:
            return
        try:
            self.ctx.call(sepa_bank.confirm_batch, row.id, topic="payments")
        except PropreoError as exc:
            show_error(self, exc)
        self.refresh()

    def cancel_batch(self, reason: str = "") -> None:
        row = self.batches.current()
        if row is None:
            return
        if not reason:
            reason, ok = QInputDialog.getText(
                self, _("Annuler le lot"), _("Motif (ex. fichier refusé par la banque) :")
            )
            if not ok:
                return
        try:
            self.ctx.call(sepa_bank.cancel_batch, row.id, reason, topic="payments")
        except PropreoError as exc:
            show_error(self, exc)
        self.refresh()

    def reject_selected(self, reason: str = "") -> None:
        line = self.lines.current()
        if line is None:
            return
        if not reason:
            reason, ok = QInputDialog.getText(
                self, _("Rejet"), _("Motif du rejet (code R, ex. AM04 provision insuffisante) :")
            )
            if not ok:
                return
        try:
            self.ctx.call(sepa_bank.reject_line, line.id, reason, dt.date.today(), topic="payments")
        except PropreoError as exc:
            show_error(self, exc)
        self.refresh()


MANDATE_FIELDS = [
    Field("rum", _("RUM"), tooltip=_("Référence unique du mandat : 35 caractères au plus.")),
    Field("signature_date", _("Date de signature"), kind="date"),
    Field("signature_place", _("Lieu de signature")),
    Field("kind", _("Type de mandat"), kind="choice", choices=list(MANDATE_KINDS.items())),
    Field(
        "scheme",
        _("Schéma"),
        kind="choice",
        choices=list(SCHEMES.items()),
        tooltip=_(
            "Core pour tous les débiteurs ; B2B entre professionnels (pas de "
            "remboursement sans motif, le débiteur doit enregistrer le mandat à sa banque)."
        ),
    ),
    Field("debtor_name", _("Titulaire du compte")),
    Field("iban", _("IBAN")),
    Field("bic", _("BIC")),
    Field("notes", _("Notes"), kind="multiline"),
]
MANDATE_COLUMNS = [
    Column(_("RUM"), lambda r: r.rum, 150),
    Column(_("Signé le"), lambda r: r.signature_date, 85),
    Column(_("Type"), lambda r: MANDATE_KINDS.get(r.kind, r.kind), 80),
    Column(_("Schéma"), lambda r: r.scheme, 60),
    Column(_("IBAN"), lambda r: r.iban, 220),
    Column(_("Prochaine séquence"), lambda r: SEQUENCES.get(r.next_sequence, r.next_sequence), 100),
    Column(_("Dernier prélèvement"), lambda r: r.last_collection, 100),
    Column(_("État"), lambda r: MANDATE_WORKFLOW.labels.get(r.status, r.status), 70),
]


class MandatesDialog(QDialog):
    """SEPA mandates of one client: list, add or correct, revoke (opened from the client)."""

    def __init__(self, ctx: UiContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.mandate_id: int | None = None
        self.setWindowTitle(_("Mandats de prélèvement SEPA"))
        self.resize(860, 640)
        self.list = RecordList(MANDATE_COLUMNS, export_name="mandats")
        self.list.selection_changed.connect(self._on_select)
        self.form = FormWidget(MANDATE_FIELDS, self)
        self.new_button = QPushButton(_("Nouveau mandat"), self)
        self.new_button.clicked.connect(self.new)
        self.save_button = QPushButton(_("Enregistrer le mandat"), self)
        self.save_button.clicked.connect(self.save)
        self.revoke_button = QPushButton(_("Révoquer"), self)
        self.revoke_button.clicked.connect(self.revoke)
        self.print_button = QPushButton(_("Formulaire de mandat (PDF)…"), self)
        self.print_button.setToolTip(
            _("Le mandat à faire signer au débiteur (contenu obligatoire EPC), ou sa copie.")
        )
        self.print_button.clicked.connect(lambda: self.print_form())
        bar = QHBoxLayout()
        bar.addWidget(self.new_button)
        bar.addWidget(self.print_button)
        bar.addStretch(1)
        bar.addWidget(self.revoke_button)
        bar.addWidget(self.save_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.button(QDialogButtonBox.StandardButton.Close).setText(_("Fermer"))
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.form)
        layout.addLayout(bar)
        layout.addWidget(close)
        self.refresh()
        self.new()

    def refresh(self) -> None:
        self.list.set_rows(self.ctx.query(sepa.list_mandates, self.client_id))

    def new(self) -> None:
        self.mandate_id = None
        form = sepa.MandateForm(
            client_id=self.client_id,
            rum=self.ctx.query(sepa.suggest_rum, self.client_id),
            signature_date=dt.date.today(),
        )
        self.form.load(form)

    def _on_select(self, row: Any) -> None:
        if row is None:
            return
        self.mandate_id = row.id
        self.form.load(self.ctx.query(sepa.mandate_form, row.id))

    def save(self) -> None:
        form = self.form.dump(sepa.MandateForm(client_id=self.client_id))
        try:
            mandate = self.ctx.call(sepa.save_mandate, self.mandate_id, form, topic="payments")
        except PropreoError as exc:
            self.form.show_errors(exc)
            return
        self.mandate_id = mandate.id
        self.refresh()

    def print_form(self, path: str = "") -> str:
        """Save the mandate form of the selected (or just saved) mandate as a PDF."""
        if self.mandate_id is None:
            show_error(self, PropreoError(_("Enregistrez ou choisissez d'abord un mandat.")))
            return ""
        try:
            data = self.ctx.query(sepa_mandates.mandate_pdf, self.mandate_id)
            rum = self.ctx.query(sepa.mandate_form, self.mandate_id).rum
        except PropreoError as exc:
            show_error(self, exc)
            return ""
        return _save_bytes(self, _("Mandat SEPA"), f"mandat-{rum}.pdf", "PDF (*.pdf)", data, path)

    def revoke(self) -> None:
        if self.mandate_id is None:
            return
        try:
            self.ctx.call(sepa.revoke_mandate, self.mandate_id, dt.date.today(), topic="payments")
        except PropreoError as exc:
            show_error(self, exc)
        self.refresh()
