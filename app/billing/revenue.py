"""Which revenue account and family a line is booked to, beyond what its article says.

TC (travaux complémentaires: one-off works invoiced from their quote) are not contract
revenue: a TC invoice line whose article would book it to the contracts account
(706100 « Prestations de nettoyage - contrats », or no account at all) goes to 706200
« travaux ponctuels » and to the family « TC », created on first use, so that the FEC,
the sales journal and the statistics by family keep contracts and one-off works apart.
Lines whose article has its own non-contract account (goods 707, multiservices 706300…)
keep it. See docs/DOMAIN.md, « Comptes de produits ».
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.catalog import Account, ArticleFamily
from models.invoices import Invoice

CONTRACT_REVENUE = "706100"
ONE_OFF_REVENUE = "706200"
ONE_OFF_FAMILY = ("TC", "Travaux complémentaires")


def one_off_family(session: Session) -> ArticleFamily:
    code, label = ONE_OFF_FAMILY
    family = session.scalar(select(ArticleFamily).where(ArticleFamily.code == code))
    if family is None:
        account = session.scalar(select(Account).where(Account.number == ONE_OFF_REVENUE))
        family = ArticleFamily(
            code=code, label=label, revenue_account_id=account.id if account else None
        )
        session.add(family)
        session.flush()
    return family


def book_as_one_off(session: Session, invoice: Invoice) -> None:
    """A draft TC invoice: contract-account lines moved to 706200 and the TC family."""
    family = None
    for line in invoice.lines:
        if line.goods or line.revenue_account not in ("", CONTRACT_REVENUE):
            continue
        family = family or one_off_family(session)
        line.revenue_account = ONE_OFF_REVENUE
        line.family_id = family.id
    session.flush()
