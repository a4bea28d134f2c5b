"""``propreo check``: every applied revision still matches the contract's price versions.

A revision's new prices live in the contract line versions created by its amendment; if
one was edited or deleted afterwards (by hand in the file, or by a faulty tool), the
history and the notice sent to the client no longer match what is billed.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.check import register_check
from models.contracts import Contract, ContractLineVersion
from models.revisions import Revision, RevisionLine


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


@register_check("revisions")
def check_revisions(session: Session) -> list[str]:
    problems: list[str] = []
    stmt = (
        select(Revision, RevisionLine, Contract.code)
        .join(RevisionLine, RevisionLine.revision_id == Revision.id)
        .join(Contract, Contract.id == Revision.contract_id)
        .order_by(Revision.id, RevisionLine.id)
    )
    for revision, line, code in session.execute(stmt).all():
        version = session.scalar(
            select(ContractLineVersion).where(
                ContractLineVersion.line_id == line.contract_line_id,
                ContractLineVersion.valid_from == revision.effective_date,
                ContractLineVersion.cancelled.is_(False),
            )
        )
        if version is None or version.unit_price != line.new_price:
            found = "absente" if version is None else f"au prix {_num(version.unit_price)}"
            problems.append(
                f"Révision du contrat {code} au {revision.effective_date:%d/%m/%Y} : la version "
                f"de prix de la ligne {line.contract_line_id} est {found} "
                f"(attendu {_num(line.new_price)})."
            )
    return problems
