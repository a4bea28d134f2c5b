"""Issuing use case (screens and CLI): check the drafts, then number those that passed.

Above both halves it chains: :mod:`app.billing.draft_checks` (the validation outside any
write, and the fingerprints the numbering confirms) and :mod:`app.billing.issuing` (the
numbering transaction). Neither imports this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.billing.draft_checks import Refusal, check_outside, record_checks, still_drafts
from app.billing.issuing import issue_invoices
from app.db import Database
from app.errors import PropreoError
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
    record the checks and number those that passed in one short transaction, where one
    fingerprint pass both keeps the checks of the drafts unchanged since and confirms them
    before their numbers. Refused drafts stay drafts, with the reason; the others are
    numbered without gaps. A numbering refused (a closed month, a blocked client…) keeps
    the checks: the next attempt does not validate the same drafts again."""
    checks = check_outside(database, ids, progress)
    progress.step(1, 1, "Brouillons contrôlés")
    refused = [Refusal(i, error) for i, error in checks.errors.items() if error]
    valid = [i for i, error in checks.errors.items() if not error]
    failure: PropreoError | None = None
    numbers: list[str] = []
    with database.write() as session:
        # Another workstation may have issued some of them meanwhile: not twice.
        still = still_drafts(session, valid)
        current = record_checks(session, checks, also=still)
        try:
            with session.begin_nested():
                if still:
                    numbers = issue_invoices(
                        session, still, progress=progress, fingerprinted=current
                    )
        except PropreoError as exc:
            failure = exc
    if failure is not None:
        raise failure
    return IssueOutcome(numbers, refused)
