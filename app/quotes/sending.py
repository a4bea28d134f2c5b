"""What « Envoyer » does to a draft quote, said before it is done: the number it takes, the
date it will carry from then on (the day it leaves: its validity moves with it), its total,
and where it goes (the client's e-mail address, or printed). Read-only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from app.addressing import display_name
from app.documents.build import invoice_email
from app.documents.smtp_settings import get_settings
from app.errors import StateError
from app.i18n import _
from app.lookup import get_row
from app.money import format_amount
from app.numbering import NumberPeek
from app.quotes.quotes import get_quote
from models.clients import Client
from models.quotes import QuoteStatus


@dataclass(frozen=True)
class QuoteSendPreview:
    quote_id: int
    reference: str  # as it will be printed
    title: str
    client: str
    to: str  # the client's e-mail address ("" : none, print it)
    total_ht: Decimal
    total_ttc: Decimal
    quote_date: dt.date  # the date it carries now
    sent_date: dt.date  # the date it will carry
    validity_date: dt.date
    smtp_ready: bool  # an e-mail server is configured

    @property
    def can_email(self) -> bool:
        return bool(self.to) and self.smtp_ready

    def text(self) -> str:
        lines = [
            _("Le devis « {title} » pour {client} ({ht} HT, {ttc} TTC) :").format(
                title=self.title or _("sans objet"),
                client=self.client,
                ht=format_amount(self.total_ht),
                ttc=format_amount(self.total_ttc),
            ),
            _("– prend le n° {ref} et passe à « Envoyé » (il ne se modifie plus) ;").format(
                ref=self.reference
            ),
            _("– est daté du {day}, valable jusqu'au {validity}").format(
                day=f"{self.sent_date:%d/%m/%Y}", validity=f"{self.validity_date:%d/%m/%Y}"
            )
            + (
                _(" (il était daté du {day}) ;").format(day=f"{self.quote_date:%d/%m/%Y}")
                if self.quote_date != self.sent_date
                else " ;"
            ),
        ]
        if self.can_email:
            lines.append(
                _("Envoi par e-mail à {to} (PDF joint), ou PDF à imprimer.").format(to=self.to)
            )
        elif self.to:
            lines.append(_("Aucun serveur d'envoi configuré : le PDF est à imprimer."))
        else:
            lines.append(_("Le client n'a pas d'adresse e-mail : le PDF est à imprimer."))
        return "\n".join(lines)


def send_preview(session: Session, quote_id: int, sent_date: dt.date) -> QuoteSendPreview:
    quote = get_quote(session, quote_id)
    if quote.status != QuoteStatus.DRAFT:
        raise StateError("Seul un devis en brouillon s'envoie (les autres se relancent).")
    if quote.number is None:
        _series, reference = NumberPeek(session).take("quote", sent_date)
        validity = sent_date + (quote.validity_date - quote.quote_date)
        day = sent_date
    else:  # a revision keeps its number and date rules
        reference = f"{quote.number} v{quote.version}"
        validity, day = quote.validity_date, quote.quote_date
    client = get_row(session, Client, quote.client_id, "Client")
    return QuoteSendPreview(
        quote.id,
        reference,
        quote.title,
        display_name(client),
        invoice_email(client),
        quote.total_ht,
        quote.total_ttc,
        quote.quote_date,
        day,
        validity,
        bool(get_settings(session).host),
    )
