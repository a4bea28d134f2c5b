"""Annuaire: every contact of every client, searchable; double-click opens the client."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.contacts import directory
from app.i18n import _
from ui.context import UiContext
from ui.table import Column, RecordList

COLUMNS = [
    Column(_("Nom"), lambda r: r.name, 160),
    Column(_("Client"), lambda r: f"{r.client_code} — {r.client_name}", 240),
    Column(_("Fonction"), lambda r: r.role, 160),
    Column(_("Service"), lambda r: r.service, 110),
    Column(_("Téléphone"), lambda r: r.phone, 110),
    Column(_("Portable"), lambda r: r.mobile, 110),
    Column(_("E-mail"), lambda r: r.email, 200),
]


class ContactsDirectory(QDialog):
    open_client = Signal(int)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Annuaire des contacts"))
        self.resize(1100, 600)
        self.list = RecordList(COLUMNS, export_name="annuaire", parent=self)
        self.list.set_rows(ctx.query(directory))
        self.list.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.list.activated.connect(self._open)
        hint = QLabel(
            _(
                "Tapez un nom, un client, une fonction ou un numéro ; double-cliquez pour "
                "ouvrir la fiche du client."
            ),
            self,
        )
        close = QDialogButtonBox(self)
        close.addButton(_("Fermer"), QDialogButtonBox.ButtonRole.RejectRole)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.list)
        layout.addWidget(close)
        self.list.search.setFocus()

    def _open(self, row: object) -> None:
        self.open_client.emit(row.client_id)  # type: ignore[attr-defined]
        self.accept()
