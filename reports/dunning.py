"""Dunning letters (relance 1, relance 2, mise en demeure): DOCX, PDF and e-mail text.

Built from a plain :class:`DunningLetter`. Professional debtors get the B2B wording
(art. L441-10 and D441-5 of the Code de commerce) and the 40 € recovery indemnity per late
invoice; a private person or a copropriété never does (docs/DOMAIN.md « Payment terms »).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.money import ZERO, format_amount
from reports.letters import (
    Letterhead,
    LetterTemplate,
    filled,
    render_letter,
    render_letter_pdf,
)


@dataclass(frozen=True)
class DunningInvoice:
    number: str
    issue_date: dt.date
    due_date: dt.date | None
    open_amount: Decimal
    days_late: int
    penalty: Decimal = ZERO


@dataclass(frozen=True)
class DunningLetter:
    level: int  # 1, 2, 3
    code: str  # relance_1, relance_2, mise_en_demeure
    recipient_lines: tuple[str, ...]
    professional: bool
    on: dt.date
    items: tuple[DunningInvoice, ...]
    penalty_rate: Decimal  # % per year
    penalty: Decimal = ZERO
    indemnity: Decimal = ZERO
    iban: str = ""
    phone: str = ""
    signature: str = ""
    public_body: bool = False  # Code de la commande publique wording (ECB rate + 8 points)

    @property
    def total_due(self) -> Decimal:
        return sum((i.open_amount for i in self.items), ZERO)

    @property
    def total_claimed(self) -> Decimal:
        return self.total_due + self.penalty + self.indemnity


def _item_line(item: DunningInvoice) -> str:
    due = f", échue le {item.due_date:%d/%m/%Y}" if item.due_date else ""
    return (
        f"– Facture n° {item.number} du {item.issue_date:%d/%m/%Y}{due} : "
        f"{format_amount(item.open_amount)} restant dus ({item.days_late} jours de retard)"
    )


def _penalty_paragraphs(letter: DunningLetter) -> tuple[str, ...]:
    if letter.level < 2:
        return ()
    if letter.public_body:
        text = (
            "Conformément aux articles L2192-13 et R2192-31 du Code de la commande publique, "
            "ces retards font courir de plein droit des intérêts moratoires au taux de {rate} % "
            "l'an (taux de refinancement de la BCE majoré de 8 points), soit {penalty} à ce "
            "jour, ainsi que l'indemnité forfaitaire pour frais de recouvrement de 40 € par "
            "facture (article D2192-35), soit {indemnity}."
        )
    elif letter.professional:
        text = (
            "Conformément à l'article L441-10 du Code de commerce, ces retards font courir des "
            "pénalités au taux de {rate} % l'an, soit {penalty} à ce jour, ainsi que "
            "l'indemnité forfaitaire pour frais de recouvrement de 40 € par facture "
            "(article D441-5), soit {indemnity}."
        )
    else:
        text = (
            "Conformément à nos conditions de règlement, ces retards font courir des pénalités "
            "au taux de {rate} % l'an, soit {penalty} à ce jour."
        )
    return (text,)


def template(letter: DunningLetter) -> LetterTemplate:
    items = tuple(_item_line(i).replace("{", "{{").replace("}", "}}") for i in letter.items)
    if letter.level == 1:
        return LetterTemplate(
            code="relance_1",
            title="Relance 1",
            subject="Relance — factures impayées",
            paragraphs=(
                "Madame, Monsieur,",
                "Sauf erreur ou omission de notre part, les factures suivantes restent "
                "impayées à ce jour :",
                *items,
                "soit un total de {total_due}.",
                "Il s'agit sans doute d'un oubli : nous vous remercions de bien vouloir en "
                "effectuer le règlement dans les meilleurs délais, par virement sur le compte "
                "IBAN {iban}. Si votre paiement a été effectué entre-temps, nous vous prions "
                "de ne pas tenir compte de ce courrier.",
                "Notre service comptabilité reste à votre disposition au {phone}.",
            ),
        )
    if letter.level == 2:
        return LetterTemplate(
            code="relance_2",
            title="Relance 2",
            subject="Deuxième relance — factures impayées",
            paragraphs=(
                "Madame, Monsieur,",
                "Malgré notre précédente relance, les factures suivantes restent impayées :",
                *items,
                "soit un principal de {total_due}.",
                *_penalty_paragraphs(letter),
                "Nous vous demandons de bien vouloir régler la somme de {total_claimed} sous "
                "quinze jours, par virement sur le compte IBAN {iban}.",
                "Notre service comptabilité reste à votre disposition au {phone}.",
            ),
        )
    indemnity_part = ", indemnités forfaitaires {indemnity}" if letter.professional else ""
    return LetterTemplate(
        code="mise_en_demeure",
        title="Mise en demeure",
        subject="Mise en demeure de payer — lettre recommandée avec accusé de réception",
        paragraphs=(
            "Madame, Monsieur,",
            "Malgré nos relances, les factures suivantes demeurent impayées :",
            *items,
            *_penalty_paragraphs(letter),
            "Par la présente, nous vous mettons en demeure de nous régler, sous huit jours à "
            "compter de la réception de ce courrier, la somme de {total_claimed} (principal "
            "{total_due}, pénalités de retard {penalty}" + indemnity_part + ").",
            "À défaut de règlement dans ce délai, nous engagerons sans autre avis une "
            "procédure de recouvrement judiciaire (injonction de payer), dont les frais "
            "resteront à votre charge.",
        ),
    )


def values(letter: DunningLetter) -> dict[str, str]:
    return {
        "total_due": format_amount(letter.total_due),
        "total_claimed": format_amount(letter.total_claimed),
        "penalty": format_amount(letter.penalty),
        "indemnity": format_amount(letter.indemnity),
        "rate": f"{letter.penalty_rate.normalize():f}".replace(".", ","),
        "iban": letter.iban or "indiqué sur nos factures",
        "phone": letter.phone or "numéro indiqué en tête",
    }


def render_dunning_docx(head: Letterhead, letter: DunningLetter) -> bytes:
    return render_letter(
        head,
        list(letter.recipient_lines),
        template(letter),
        values(letter),
        on=letter.on,
        signature=letter.signature,
    )


def dunning_texts(letter: DunningLetter) -> tuple[str, list[str], str]:
    """(subject, paragraphs, closing) with every field filled."""
    return filled(template(letter), values(letter))


def dunning_email(head: Letterhead, letter: DunningLetter) -> tuple[str, str]:
    """E-mail subject and plain-text body of the letter."""
    subject, paragraphs, closing = dunning_texts(letter)
    body = "\n\n".join([*paragraphs, closing, letter.signature or head.name])
    return f"{head.name} — {subject}", body


def render_dunning_pdf(head: Letterhead, letter: DunningLetter) -> bytes:
    """The same letter as a PDF (DejaVu embedded), laid out as every printed letter."""
    return render_letter_pdf(
        head,
        list(letter.recipient_lines),
        template(letter),
        values(letter),
        on=letter.on,
        signature=letter.signature,
    )
