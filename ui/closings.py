"""« Clôtures mensuelles » (issue T §6): the signed closings of the firm and closing a
month from the window, as ``propreo cloture --period`` does, after a confirmation that
says what the closing seals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from app import clock
from app.closings import close_month, closing_preview, fingerprint, list_closings
from app.errors import PropreoError
from app.i18n import _, ngettext
from ui.confirm import confirm
from ui.context import UiContext
from ui.month_picker import MonthPicker
from ui.operations import show_error
from ui.table import Column, RecordList


def month_to_close(session: Any) -> str:
    """« AAAA-MM » the dialog opens on: the last month with issued documents before this one
    (the month usually closed; a month without documents has nothing to seal)."""
    from app.dashboard import month_with_documents

    return month_with_documents(session, clock.today().replace(day=1) - dt.timedelta(days=1))


class ClosingsDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Clôtures mensuelles"))
        self.resize(720, 420)
        intro = QLabel(
            _(
                "Clôturer un mois signe la chaîne des factures à la fin de ce mois avec la clé "
                "de cette installation : toute modification ultérieure d'un document de ce mois "
                "ou d'un mois antérieur sera signalée par la vérification de la base. "
                "L'empreinte figure sur le journal des ventes remis au comptable."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.list = RecordList(
            [
                Column(_("Mois"), lambda r: r[0].period, 80),
                Column(_("Documents"), lambda r: r[0].chain_count, 90),
                Column(_("Empreinte"), lambda r: r[1], 180),
                Column(_("Clôturé le"), lambda r: r[0].closed_at, 140),
            ],
            export_name="clotures",
            parent=self,
        )
        self.period = MonthPicker(self, period=ctx.query(month_to_close))
        self.period.setToolTip(_("Mois à clôturer"))
        self.close_button = QPushButton(_("Clôturer le mois…"), self)
        self.close_button.clicked.connect(self.close_period)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Mois :"), self))
        row.addWidget(self.period)
        row.addWidget(self.close_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.list.set_rows(self.ctx.query(list_closings))

    def close_period(self) -> bool:
        period = self.period.period()
        try:
            preview = self.ctx.query(closing_preview, period)
        except PropreoError as exc:
            show_error(self, exc)
            return False
        if preview.issued:
            month = ngettext(
                "{n} document émis ce mois-là ({first} à {last})",
                "{n} documents émis ce mois-là ({first} à {last})",
                preview.issued,
            ).format(n=preview.issued, first=preview.first, last=preview.last)
        else:
            month = _("aucun document émis ce mois-là")
        text = _(
            "Clôturer {period} scelle {month} et toute la chaîne jusqu'au document de rang "
            "{count}, mois antérieurs compris. La signature est faite avec la clé de cette "
            "installation ; la clôture est définitive."
        ).format(period=period, month=month, count=preview.chain_count)
        details = _(
            "Un document de ces mois modifié ou supprimé ensuite sera signalé par la "
            "vérification. Pensez à sauvegarder la clé (propreo cloture cle --exporter)."
        )
        if not confirm(
            self,
            _("Clôture mensuelle"),
            text,
            _("Clôturer {period}").format(period=period),
            details,
        ):
            return False
        try:
            said = self.ctx.call(_closed, period, topic="closing")
        except PropreoError as exc:
            show_error(self, exc)
            return False
        self.message.setText(said)
        self.refresh()
        return True


def _closed(session: Any, period: str) -> str:
    closing = close_month(session, period)
    return ngettext(
        "Mois {period} clôturé : {n} document dans la chaîne, empreinte {fp}.",
        "Mois {period} clôturé : {n} documents dans la chaîne, empreinte {fp}.",
        closing.chain_count,
    ).format(period=closing.period, n=closing.chain_count, fp=fingerprint(closing))
