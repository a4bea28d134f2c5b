"""Issuing use case (screens and CLI): check the drafts, then number those that passed.

Above both halves it chains: :mod:`app.billing.draft_checks` (the validation outside any
write, and the fingerprints the numbering confirms) and :mod:`app.billing.issuing` (the
numbering transaction). Neither imports this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.billing.draft_checks import Refusal, check_drafts, still_drafts
from app.billing.issuing import issue_invoices
from app.db import Database
from app.progress import NO_PROGRESS, Progress


@dataclass
class IssueOutcome:
    """What an issue did: the numbers given, and the drafts refused (left as drafts)."""

    numbers: list[str]
    refused: list[Refusal]

    def report(self) -> list[str]:
        lines = []
        if self.numbers:
            lines.append(
                f"{len(self.numbers)} document(s) émis : {self.numbers[0]} à {self.numbers[-1]}."
            )
        lines += [f"Non émis — {r.message}" for r in self.refused]
        return lines


def issue_checked(
    database: Database, ids: Iterable[int], progress: Progress = NO_PROGRESS
) -> IssueOutcome:
    """The issuing use case (screens and CLI): check the drafts outside any write, then
    number those that passed in one short transaction that only confirms their checks.
    Refused drafts stay drafts, with the reason; the others are numbered without gaps."""
    errors = check_drafts(database, ids, progress)
    refused = [Refusal(i, error) for i, error in errors.items() if error]
    valid = [i for i, error in errors.items() if not error]
    with database.write() as session:
        # Another workstation may have issued some of them meanwhile: not twice.
        still = still_drafts(session, valid)
        numbers = issue_invoices(session, still, progress=progress) if still else []
    return IssueOutcome(numbers, refused)
