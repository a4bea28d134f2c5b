"""« Relance de devis »: the printable reminder letter of a sent quote (DOCX and PDF).

Built from a plain :class:`QuoteReminderLetter`; same wording as the reminder e-mail
(:func:`app.quotes.followup.reminder_text`): quote number and date, amount TTC (and HT),
validity, how to accept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.money import format_amount
from reports.letters import Letterhead, LetterTemplate, filled, render_letter, render_letter_pdf


@dataclass(frozen=True)
class QuoteReminderLetter:
    reference: str  # « DE2026-00012 » or « DE2026-00012 v2 »
    title: str  # object of the quote, may be empty
    sent_date: dt.date  # the date the client received it (quote date if never recorded)
    validity_date: dt.date
    total_ht: Decimal
    total_ttc: Decimal
    recipient_lines: tuple[str, ...]
    on: dt.date
    site: str = ""  # « Résidence … — 12 rue … » when the quote is for a site
    phone: str = ""
    signature: str = ""


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def template(letter: QuoteReminderLetter) -> LetterTemplate:
    site = (" pour le chantier " + _escape(letter.site) + ",") if letter.site else ""
    title = (" — " + _escape(letter.title)) if letter.title else ""
    return LetterTemplate(
        code="relance_devis",
        title="Relance de devis",
        subject="Relance — notre devis n° {reference}" + title,
        paragraphs=(
            "Madame, Monsieur,",
            "Le {sent_date}, nous vous avons adressé notre devis n° {reference}" + site + " "
            "d'un montant de {total_ttc} TTC ({total_ht} HT).",
            "Sauf erreur de notre part, nous n'avons pas encore reçu votre réponse. Ce devis "
            "reste valable jusqu'au {validity_date}.",
            "Pour l'accepter, il vous suffit de nous le retourner daté et signé, revêtu de la "
            "mention « Bon pour accord ».",
            "Nous restons à votre disposition {phone_part}pour toute question ou adaptation "
            "de notre proposition.",
        ),
    )


def values(letter: QuoteReminderLetter) -> dict[str, str]:
    return {
        "reference": letter.reference,
        "sent_date": f"{letter.sent_date:%d/%m/%Y}",
        "validity_date": f"{letter.validity_date:%d/%m/%Y}",
        "total_ttc": format_amount(letter.total_ttc),
        "total_ht": format_amount(letter.total_ht),
        "phone_part": f"au {letter.phone} " if letter.phone else "",
    }


def reminder_texts(letter: QuoteReminderLetter) -> tuple[str, list[str], str]:
    """(subject, paragraphs, closing) with every field filled, as printed."""
    return filled(template(letter), values(letter))


def render_quote_reminder_docx(head: Letterhead, letter: QuoteReminderLetter) -> bytes:
    return render_letter(
        head,
        list(letter.recipient_lines),
        template(letter),
        values(letter),
        on=letter.on,
        signature=letter.signature,
    )


def render_quote_reminder_pdf(head: Letterhead, letter: QuoteReminderLetter) -> bytes:
    return render_letter_pdf(
        head,
        list(letter.recipient_lines),
        template(letter),
        values(letter),
        on=letter.on,
        signature=letter.signature,
    )
