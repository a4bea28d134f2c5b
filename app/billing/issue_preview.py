"""What issuing a set of drafts will do, said before it is done: how many documents, their
total HT and TTC, the numbers they will take and the dates they will carry. Read-only (no
number is taken): the screens show it in the confirmation asked before numbering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import _, ngettext
from app.money import ZERO, format_amount
from app.numbering import NumberPeek
from models.invoices import Invoice, InvoiceStatus


@dataclass(frozen=True)
class SeriesRange:
    label: str  # the series' name (« Factures », « Avoirs »)
    count: int
    first: str
    last: str


@dataclass(frozen=True)
class IssuePreview:
    count: int
    total_ht: Decimal
    total_ttc: Decimal
    dates: tuple[dt.date, ...]  # the issue dates the documents will carry, oldest first
    ranges: tuple[SeriesRange, ...] = field(default=())
    skipped: int = 0  # ids given that are no longer drafts

    def text(self) -> str:
        """The confirmation's wording (French)."""
        lines = [
            ngettext(
                "{n} document sera numéroté et figé :",
                "{n} documents seront numérotés et figés :",
                self.count,
            ).format(n=self.count)
        ]
        for r in self.ranges:
            span = (
                r.first
                if r.count == 1
                else _("{first} à {last}").format(first=r.first, last=r.last)
            )
            lines.append(f"– {r.label} : {r.count} ({span})")
        days = [d.strftime("%d/%m/%Y") for d in self.dates]
        lines.append(
            _("Date d'émission : {day}").format(day=days[0])
            if len(days) == 1
            else _("Dates d'émission : du {first} au {last}").format(first=days[0], last=days[-1])
        )
        lines.append(
            _("Total : {ht} HT — {ttc} TTC").format(
                ht=format_amount(self.total_ht), ttc=format_amount(self.total_ttc)
            )
        )
        if self.skipped:
            lines.append(
                ngettext(
                    "{n} document déjà émis est laissé de côté.",
                    "{n} documents déjà émis sont laissés de côté.",
                    self.skipped,
                ).format(n=self.skipped)
            )
        lines.append(_("Une facture émise ne se modifie plus : seul un avoir peut l'annuler."))
        return "\n".join(lines)


def issue_preview(session: Session, invoice_ids: Iterable[int]) -> IssuePreview:
    """The numbers the drafts ``invoice_ids`` will take if issued now, in the order
    ``issue_invoices`` numbers them (issue date, series, id)."""
    ids = list(dict.fromkeys(invoice_ids))
    drafts = [
        inv
        for start in range(0, len(ids), 500)
        for inv in session.scalars(
            select(Invoice).where(
                Invoice.id.in_(ids[start : start + 500]), Invoice.status == InvoiceStatus.DRAFT
            )
        )
    ]
    drafts.sort(key=lambda i: (i.issue_date, i.series_code, i.id))
    peek = NumberPeek(session)
    ranges: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for invoice in drafts:
        series, number = peek.take(invoice.series_code, invoice.issue_date)
        labels[series.code] = series.label
        ranges.setdefault(series.code, []).append(number)
    return IssuePreview(
        count=len(drafts),
        total_ht=sum((i.total_ht for i in drafts), ZERO),
        total_ttc=sum((i.total_ttc for i in drafts), ZERO),
        dates=tuple(sorted({i.issue_date for i in drafts})),
        ranges=tuple(
            SeriesRange(labels[code], len(numbers), numbers[0], numbers[-1])
            for code, numbers in ranges.items()
        ),
        skipped=len(ids) - len(drafts),
    )
