"""Revision run: contracts due for revision at a date, and applying the selected ones.

Applying a revision creates an amendment (avenant) effective on the revision date with a
new price version of every line (billing's line-version mechanism: earlier versions and
what they billed are kept). When the revision date is in the past and periods were
already invoiced at the old price, the next month-end run bills the difference as
regularisation lines (``app.billing.plan.due_items``): nothing else is needed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app import audit
from app.errors import NotFoundError, StateError, ValidationError
from app.i18n import _
from app.money import ZERO, format_amount, line_total, round_money
from app.progress import NO_PROGRESS, Progress
from app.revisions.clauses import describe, formula_at, formula_text, get_clause, terms_json
from app.revisions.formula import LIMIT_LABELS, coefficient, revised_price
from app.revisions.indices import add_months
from models.billing import BillingLedger
from models.clients import Client
from models.contracts import (
    Amendment,
    Contract,
    ContractLine,
    ContractLineVersion,
    ContractStatus,
    Frequency,
)
from models.revisions import Revision, RevisionClause, RevisionLine

REVISABLE = (ContractStatus.ACTIVE, ContractStatus.SUSPENDED, ContractStatus.TERMINATED)


@dataclass(frozen=True)
class LineChange:
    line_id: int
    description: str
    old_price: Decimal
    new_price: Decimal
    old_budget: Decimal | None
    new_budget: Decimal | None
    old_amount: Decimal  # amount of one whole period
    new_amount: Decimal
    periods_per_year: int


@dataclass(frozen=True)
class DueRevision:
    contract_id: int
    contract_code: str
    client_id: int
    client_name: str
    revision_date: dt.date
    formula: str
    coefficient: Decimal | None
    computation: str
    limited_by: str
    old_annual: Decimal
    new_annual: Decimal
    lines: tuple[LineChange, ...]
    late: bool  # revision date before today: already-billed periods get regularised
    billed_periods: int  # periods already billed from the revision date on
    error: str = ""

    @property
    def gain(self) -> Decimal:
        """Revenue gained over one year at the new prices."""
        return self.new_annual - self.old_annual

    @property
    def ready(self) -> bool:
        return not self.error and self.coefficient is not None


def version_at(line: ContractLine, day: dt.date) -> ContractLineVersion | None:
    current = None
    for version in line.versions:
        if version.valid_from <= day:
            current = version
    return current


def periods_per_year(version: ContractLineVersion) -> int:
    if version.frequency == Frequency.ONE_OFF:
        return 0
    if version.frequency == Frequency.SEASONAL:
        return len([m for m in version.months.split(",") if m.strip()])
    return 12 // Frequency.MONTHS.get(version.frequency, 1)


def _price_decimals(price: Decimal) -> int:
    return 2 if price == round_money(price) else 4


def line_changes(contract: Contract, day: dt.date, coef: Decimal) -> list[LineChange]:
    """Old and new prices of each revisable line in force at ``day`` (one-off lines are not
    revised: they are billed once at their agreed price)."""
    out = []
    for line in contract.lines:
        version = version_at(line, day)
        if version is None or version.removed or version.frequency == Frequency.ONE_OFF:
            continue
        if version.end_date is not None and version.end_date < day:
            continue
        new_price = revised_price(
            version.unit_price, coef, price_decimals=_price_decimals(version.unit_price)
        )
        new_budget = None
        per_year = periods_per_year(version)
        if version.annual_budget is not None:
            new_budget = round_money(version.annual_budget * coef)
            old_amount = round_money(version.annual_budget / 12)
            new_amount = round_money(new_budget / 12)
            per_year = 12
        else:
            old_amount = line_total(version.quantity, version.unit_price)
            new_amount = line_total(version.quantity, new_price)
        out.append(
            LineChange(
                line.id,
                version.description,
                version.unit_price,
                new_price,
                version.annual_budget,
                new_budget,
                old_amount,
                new_amount,
                per_year,
            )
        )
    return out


def _annual(changes: Sequence[LineChange], new: bool) -> Decimal:
    total = ZERO
    for c in changes:
        if c.old_budget is not None:
            total += (c.new_budget if new else c.old_budget) or ZERO
        else:
            total += (c.new_amount if new else c.old_amount) * c.periods_per_year
    return total


def _billed_from(session: Session, line_ids: list[int], day: dt.date) -> int:
    if not line_ids:
        return 0
    return (
        session.scalar(
            select(func.count(BillingLedger.id)).where(
                BillingLedger.contract_line_id.in_(line_ids),
                BillingLedger.period_end >= day,
                BillingLedger.revision == 0,
            )
        )
        or 0
    )


def evaluate(
    session: Session, contract: Contract, clause: RevisionClause, day: dt.date, today: dt.date
) -> DueRevision:
    """Coefficient, new prices and gain of one contract's revision at ``day``."""
    client = session.get(Client, contract.client_id)
    formula = formula_at(session, clause, day)
    base = dict(
        contract_id=contract.id,
        contract_code=contract.code,
        client_id=contract.client_id,
        client_name=client.name if client else "",
        revision_date=day,
        formula=describe(clause),
        late=day < today,
    )
    unchanged = line_changes(contract, day, Decimal(1))
    billed = _billed_from(session, [c.line_id for c in unchanged], day)
    try:
        outcome = coefficient(formula)
    except ValidationError as exc:
        old = _annual(unchanged, False)
        return DueRevision(
            **base,  # type: ignore[arg-type]
            coefficient=None,
            computation="",
            limited_by="",
            old_annual=old,
            new_annual=old,
            lines=tuple(unchanged),
            billed_periods=billed,
            error=str(exc),
        )
    changes = line_changes(contract, day, outcome.coefficient)
    return DueRevision(
        **base,  # type: ignore[arg-type]
        coefficient=outcome.coefficient,
        computation=formula_text(formula, outcome.rounded),
        limited_by=LIMIT_LABELS[outcome.limited_by],
        old_annual=_annual(changes, False),
        new_annual=_annual(changes, True),
        lines=tuple(changes),
        billed_periods=billed,
    )


def _due_clauses(session: Session, until: dt.date) -> list[tuple[Contract, RevisionClause]]:
    stmt = (
        select(Contract, RevisionClause)
        .join(RevisionClause, RevisionClause.contract_id == Contract.id)
        .where(
            RevisionClause.active.is_(True),
            RevisionClause.next_revision <= until,
            Contract.status.in_(REVISABLE),
        )
        .options(selectinload(Contract.lines).selectinload(ContractLine.versions))
        .order_by(RevisionClause.next_revision, Contract.code)
    )
    out = []
    for contract, clause in session.execute(stmt).all():
        if contract.end_date is not None and contract.end_date < clause.next_revision:
            continue
        out.append((contract, clause))
    return out


def due_revisions(session: Session, until: dt.date, *, today: dt.date) -> list[DueRevision]:
    """Contracts whose revision date is on or before ``until`` and not yet applied."""
    return [
        evaluate(session, contract, clause, clause.next_revision, today)
        for contract, clause in _due_clauses(session, until)
    ]


def _price_version(
    session: Session,
    contract: Contract,
    day: dt.date,
    signed: dt.date,
    text: str,
    changes: Sequence[LineChange],
) -> Amendment:
    """An amendment effective ``day`` with a new version of each revised line, through the
    contracts' own amendment use case (numbering, checks and history are theirs)."""
    from app.billing.contracts import LineForm, add_amendment

    by_line = {c.line_id: c for c in changes}
    forms = []
    for line in contract.lines:
        change = by_line.get(line.id)
        current = version_at(line, day)
        if change is None or current is None:
            continue
        forms.append(
            LineForm(
                description=current.description,
                quantity=current.quantity,
                unit_price=change.new_price,
                frequency=current.frequency,
                term=current.term,
                article_id=current.article_id,
                months=current.months,
                one_off_date=current.one_off_date,
                start_date=current.start_date,
                end_date=current.end_date,
                annual_budget=change.new_budget,
                site_id=line.site_id,
                line_id=line.id,
            )
        )
    return add_amendment(
        session,
        contract.id,
        signed_date=signed,
        effective_date=day,
        description=text,
        changes=forms,
    )


def apply_revision(session: Session, contract_id: int, *, today: dt.date) -> Revision:
    """Apply the due revision of one contract: price version, history, next date."""
    clause = get_clause(session, contract_id)
    contract = session.get(Contract, contract_id)
    if clause is None or contract is None:
        raise NotFoundError("Ce contrat n'a pas de clause de révision.")
    if not clause.active:
        raise StateError(
            "La clause de révision du contrat {code} est inactive.", code=contract.code
        )
    day = clause.next_revision
    due = evaluate(session, contract, clause, day, today)
    if due.error or due.coefficient is None:  # no coefficient without an error said
        raise ValidationError("Indice", "{error}", error=due.error)
    formula = formula_at(session, clause, day)
    revision = Revision(
        contract_id=contract.id,
        effective_date=day,
        coefficient=due.coefficient,
        formula_text=due.computation,
        index_values=terms_json(formula),
        applied_by_id=audit.current_user_id(session),
    )
    session.add(revision)
    text = f"Révision de prix au {day:%d/%m/%Y} : coefficient {due.coefficient} ({due.computation})"
    amendment = _price_version(session, contract, day, today, text, due.lines)
    revision.amendment_id = amendment.id
    for change in due.lines:
        revision.lines.append(
            RevisionLine(
                contract_line_id=change.line_id,
                old_price=change.old_price,
                new_price=change.new_price,
            )
        )
    # Chained revision: the values used become the next references.
    for term, used in zip(clause.terms, formula.terms, strict=True):
        term.reference_value = used.current
        term.reference_month = used.current_month
    clause.next_revision = _same_day_next_year(day)
    session.flush()
    audit.record(
        session,
        "contract",
        contract.id,
        "revision",
        f"Contrat {contract.code} révisé au {day:%d/%m/%Y} : coefficient {due.coefficient}, "
        f"{format_amount(due.old_annual)} → {format_amount(due.new_annual)} par an",
        client_id=contract.client_id,
        changes={"prix annuel": (due.old_annual, due.new_annual)},
    )
    return revision


def apply_revisions(
    session: Session,
    contract_ids: Sequence[int],
    *,
    today: dt.date,
    progress: Progress = NO_PROGRESS,
) -> list[Revision]:
    """Apply several revisions in one unit of work (all or nothing): the window's
    « Appliquer » and ``revisions apply``. A cancel through ``progress`` raises
    :class:`~app.errors.OperationCancelled` and the caller's unit of work rolls back."""
    done = []
    for index, contract_id in enumerate(contract_ids):
        progress.step(index, len(contract_ids), _("Révision des contrats…"))
        done.append(apply_revision(session, contract_id, today=today))
    progress.step(len(contract_ids), len(contract_ids), _("Révision des contrats…"))
    return done


def _same_day_next_year(day: dt.date) -> dt.date:
    first = add_months(day, 12)
    try:
        return first.replace(day=day.day)
    except ValueError:  # 29 February
        return first.replace(day=28)
