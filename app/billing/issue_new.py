"""Issuing a document made on the spot: a credit note, a down-payment invoice (dialogs, CLI).

The same path as every other issue (:func:`app.billing.checked_issue.issue_checked`): the
draft is saved in one short write, checked outside any write transaction, then numbered in
a short write that only confirms its check — never validated inside the transaction that
takes its number. A refused draft stays a draft (listed under Facturation with the reason)
and :class:`~app.billing.draft_checks.DraftsRefused` says which rule and what to change.

Before anything is written the caller may be asked to confirm what will be numbered
(``confirm``): the draft is made once in a transaction rolled back, to read the numbers,
date and totals it would take (:func:`app.billing.issue_preview.issue_preview`); nothing
stays of it when the user cancels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from app.billing.checked_issue import issue_checked
from app.billing.draft_checks import DraftsRefused
from app.billing.issue_preview import IssuePreview, issue_preview
from app.db import Database
from app.errors import StateError
from app.lookup import get_row
from models.invoices import Invoice

MakeDraft = Callable[[Session], Invoice]
Confirm = Callable[[IssuePreview], bool]


@dataclass(frozen=True)
class Issued:
    """The document just issued, as the screens and the CLI report it."""

    id: int
    number: str
    total_ht: Decimal
    total_ttc: Decimal
    amount_due: Decimal


class _Preview(Exception):
    def __init__(self, preview: IssuePreview) -> None:
        super().__init__()
        self.preview = preview


def preview_new(database: Database, make: MakeDraft) -> IssuePreview:
    """What issuing the draft ``make`` builds would do; nothing is kept (rolled back).
    Bad input raises here, before any question is asked."""
    try:
        with database.write() as session:
            raise _Preview(issue_preview(session, [make(session).id]))
    except _Preview as dry:
        return dry.preview


def issue_new(
    database: Database, make: MakeDraft, *, confirm: Confirm | None = None
) -> Issued | None:
    """Save the draft ``make(session)`` builds, check it, then number it. With
    ``confirm``, asked first with what will be numbered: None when the user declines
    (nothing written). Raises DraftsRefused when the check refuses it (it stays a draft)."""
    if confirm is not None and not confirm(preview_new(database, make)):
        return None
    with database.write() as session:
        draft_id = make(session).id
    outcome = issue_checked(database, [draft_id])
    if outcome.refused:
        raise DraftsRefused(outcome.refused)
    if not outcome.numbers:  # another workstation issued it meanwhile
        raise StateError("Ce document a déjà été émis depuis un autre poste.")
    with database.read() as session:
        invoice = get_row(session, Invoice, draft_id, "Document")
        return Issued(
            invoice.id,
            invoice.number or "",
            invoice.total_ht,
            invoice.total_ttc,
            invoice.amount_due,
        )
