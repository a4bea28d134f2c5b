"""« Acompte… »: a down-payment invoice asked on an accepted quote.

The user types a share of the quote (« 30 % ») or an amount HT (« 450 », « 1 250,50 € »);
the invoice is issued, once confirmed, in the normal numbering (app.payments.down_payments) and the
final invoice made from the quote deducts it. (Contracts get no button: the month-end run
does not deduct down-payments yet, so a contract's down-payment would never be deducted.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from app.errors import PropreoError
from app.i18n import _
from app.money import format_amount
from app.payments.down_payments import issue_down_payment_invoice, parse_share
from ui.confirm import confirm
from ui.context import UiContext
from ui.operations import show_error


def issue_down_payment(
    parent: QWidget,
    ctx: UiContext,
    day: dt.date,
    *,
    quote_id: int,
    text: str | None = None,
) -> Any:
    """Ask the share (unless given), issue the invoice, tell the user its number and amount."""
    if text is None:
        text, ok = QInputDialog.getText(
            parent,
            _("Facture d'acompte"),
            _("Acompte : pourcentage du devis (ex. « 30 % ») ou montant HT (ex. « 450 ») :"),
        )
        if not ok or not text.strip():
            return None
    try:
        # Saved as a draft, checked outside any write, then numbered once confirmed.
        invoice = issue_down_payment_invoice(
            ctx.db,
            issue_date=day,
            quote_id=quote_id,
            confirm=lambda preview: confirm(
                parent, _("Facture d'acompte"), preview.text(), _("Émettre la facture")
            ),
            **parse_share(text),
        )
    except PropreoError as exc:
        ctx.bus.changed.emit("billing")  # a refused invoice stays a draft
        show_error(parent, exc)
        return None
    if invoice is None:
        return None
    ctx.bus.changed.emit("billing")
    QMessageBox.information(
        parent,
        _("Facture d'acompte"),
        _(
            "Facture d'acompte {number} émise : {amount} TTC.\n"
            "Elle s'imprime et s'envoie depuis Facturation → Factures et avoirs ; "
            "la facture définitive du devis la déduira."
        ).format(number=invoice.number, amount=format_amount(invoice.amount_due)),
    )
    return invoice
