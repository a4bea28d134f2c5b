"""« Attestations fiscales SAP » dialog (Éditions tab): the yearly tax certificates of the
services à la personne clients — saved as PDF files in a folder, or e-mailed in batch after a
confirmation saying how many go out and who has no address. Rules in :mod:`app.sap`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import sap
from app.errors import PropreoError
from app.i18n import _, ngettext
from app.money import format_amount
from ui.context import UiContext
from ui.operations import show_error


class AttestationsDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Attestations fiscales — services à la personne"))
        this_year = dt.date.today().year
        self.year = QSpinBox(self)
        self.year.setRange(2000, this_year)
        self.year.setValue(this_year - 1)  # sent in January for the year just ended
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.year.valueChanged.connect(self.refresh)
        form = QFormLayout()
        form.addRow(_("Année des paiements"), self.year)
        self.save_button = QPushButton(_("Enregistrer les PDF…"), self)
        self.send_button = QPushButton(_("Envoyer par e-mail…"), self)
        self.save_button.clicked.connect(self.save_pdfs)
        self.send_button.clicked.connect(self.send)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self.found: list[sap.Attestation] = []
        self.refresh()

    def refresh(self) -> None:
        try:
            self.found = self.ctx.query(sap.attestations, self.year.value())
        except PropreoError as exc:
            self.found = []
            self.summary.setText(str(exc))
        else:
            total = sum((a.total for a in self.found), sap.ZERO)
            self.summary.setText(
                ngettext(
                    "{n} client, {total} payés au titre des services à la personne.",
                    "{n} clients, {total} payés au titre des services à la personne.",
                    len(self.found),
                ).format(n=len(self.found), total=format_amount(total))
            )
        self.save_button.setEnabled(bool(self.found))
        self.send_button.setEnabled(bool(self.found))

    def save_pdfs(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Dossier des attestations"))
        if not folder:
            return
        year = self.year.value()
        try:
            written = self.ctx.query(sap.write_attestations, year, Path(folder))
        except PropreoError as exc:
            show_error(self, exc)
            return
        QMessageBox.information(
            self,
            "Propreo",
            ngettext(
                "{n} attestation enregistrée dans {folder}.",
                "{n} attestations enregistrées dans {folder}.",
                len(written),
            ).format(n=len(written), folder=folder),
        )

    def send(self) -> None:
        year = self.year.value()
        without = [a.client_name for a in self.found if not a.email]
        count = len(self.found) - len(without)
        question = ngettext(
            "Envoyer par e-mail {n} attestation fiscale {year} ?",
            "Envoyer par e-mail {n} attestations fiscales {year} ?",
            count,
        ).format(n=count, year=year)
        if without:
            question += "\n" + _("Sans adresse e-mail (à imprimer) : {names}.").format(
                names=", ".join(without)
            )
        answer = QMessageBox.question(self, "Propreo", question)
        if answer != QMessageBox.StandardButton.Yes:
            return

        def done(report: Any) -> None:
            failed = "\n".join(
                f"{o.item.to_name} : {o.error}" for o in report.failed[:15]
            )  # fmt: skip
            QMessageBox.information(
                self,
                "Propreo",
                ngettext(
                    "{sent} envoyée, {failed} en échec.",
                    "{sent} envoyées, {failed} en échec.",
                    len(report.sent),
                ).format(sent=len(report.sent), failed=len(report.failed))
                + ("\n" + failed if failed else ""),
            )

        self.ctx.run(
            self,
            _("Envoi des attestations fiscales…"),
            lambda session, _progress: sap.send_attestations(session, year),
            write=False,
            topic="documents",
            on_done=done,
        )
