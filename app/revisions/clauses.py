"""Revision clauses of contracts: entry, validation, and the formula at a date.

Revisions are chained year after year: at each revision P0 is the line's price in force
and I₀ the index value the previous revision used (the clause's reference moves on when a
revision is applied; the previous values stay in the :class:`~models.revisions.Revision`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFoundError, ValidationError, ValidationErrors
from app.revisions.formula import (
    Formula,
    Rounding,
    Term,
    check_options,
    check_weights,
    term_values,
)
from app.revisions.indices import add_months, get_index, value_at
from models.contracts import Contract
from models.revisions import RevisionClause, RevisionTerm


@dataclass
class TermForm:
    index_id: int
    weight: Decimal
    reference_value: Decimal | None = None
    reference_month: dt.date | None = None


@dataclass
class ClauseForm:
    fixed_part: Decimal = Decimal("0.15")
    terms: list[TermForm] = field(default_factory=list)
    next_revision: dt.date | None = None
    index_lag_months: int = 3
    decimals: int = 6
    rounding: str = Rounding.HALF_UP
    floor: Decimal | None = None
    cap: Decimal | None = None
    no_decrease: bool = False
    active: bool = True
    notes: str = ""


def _validate(session: Session, form: ClauseForm) -> None:
    errors: list[ValidationError] = []
    try:
        check_weights(form.fixed_part, [t.weight for t in form.terms])
    except ValidationError as exc:
        errors.append(exc)
    try:
        check_options(
            Formula(form.fixed_part, (), form.decimals, form.rounding, form.floor, form.cap)
        )
    except ValidationError as exc:
        errors.append(exc)
    if form.next_revision is None:
        errors.append(ValidationError("Date de révision", "La date de révision est obligatoire."))
    if not 0 <= form.index_lag_months <= 12:
        errors.append(
            ValidationError("Décalage de l'indice", "Le décalage de l'indice va de 0 à 12 mois.")
        )
    seen: set[int] = set()
    for term in form.terms:
        index = get_index(session, term.index_id)
        if term.index_id in seen:
            errors.append(
                ValidationError(
                    "Indices", "L'indice « {index} » figure deux fois.", index=index.name
                )
            )
        seen.add(term.index_id)
        if term.reference_value is None and term.reference_month is None:
            errors.append(
                ValidationError(
                    "Indice de référence",
                    "Donnez la valeur ou le mois de référence de l'indice « {index} ».",
                    index=index.name,
                )
            )
    if errors:
        raise ValidationErrors(errors)


def get_clause(session: Session, contract_id: int) -> RevisionClause | None:
    return session.scalar(select(RevisionClause).where(RevisionClause.contract_id == contract_id))


def save_clause(session: Session, contract_id: int, form: ClauseForm) -> RevisionClause:
    """Create or replace the revision clause of a contract."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFoundError("Contrat introuvable (n° {id}).", id=contract_id)
    _validate(session, form)
    clause = get_clause(session, contract_id)
    before = describe(clause) if clause else ""
    if clause is None:
        clause = RevisionClause(contract_id=contract_id)
        session.add(clause)
    clause.fixed_part = form.fixed_part
    clause.next_revision = form.next_revision  # type: ignore[assignment]
    clause.index_lag_months = form.index_lag_months
    clause.decimals = form.decimals
    clause.rounding = form.rounding
    clause.floor = form.floor
    clause.cap = form.cap
    clause.no_decrease = form.no_decrease
    clause.active = form.active
    clause.notes = form.notes
    clause.terms.clear()
    session.flush()
    for position, term in enumerate(form.terms):
        clause.terms.append(
            RevisionTerm(
                position=position,
                index_id=term.index_id,
                weight=term.weight,
                reference_value=term.reference_value,
                reference_month=term.reference_month,
            )
        )
    session.flush()
    after = describe(clause)
    audit.record(
        session,
        "contract",
        contract_id,
        "revision_clause",
        f"Clause de révision du contrat {contract.code} : {after}",
        client_id=contract.client_id,
        changes={"formule": (before, after)} if before != after else None,
    )
    return clause


def _num(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def describe(clause: RevisionClause) -> str:
    """``P = P0 × (0,15 + 0,85 × ICHTrev-TS section N / I0)``."""
    parts = [_num(clause.fixed_part)] if clause.fixed_part else []
    parts += [f"{_num(t.weight)} × {t.index.name} / I0" for t in clause.terms]
    return "P = P0 × (" + " + ".join(parts) + ")"


def index_month(clause: RevisionClause, revision_date: dt.date) -> dt.date:
    """Month whose index value a revision at ``revision_date`` uses."""
    return add_months(revision_date, -clause.index_lag_months)


def formula_at(session: Session, clause: RevisionClause, revision_date: dt.date) -> Formula:
    """The clause's formula with the index values known for ``revision_date``.

    Missing values stay None so that :func:`app.revisions.formula.coefficient` names the
    index and the month the user must enter.
    """
    month = index_month(clause, revision_date)
    terms = []
    for term in clause.terms:
        reference = term.reference_value
        if reference is None and term.reference_month is not None:
            reference = value_at(session, term.index_id, term.reference_month)
        terms.append(
            Term(
                index=term.index.name,
                weight=term.weight,
                reference=reference,
                current=value_at(session, term.index_id, month),
                reference_month=term.reference_month,
                current_month=month,
            )
        )
    return Formula(
        fixed=clause.fixed_part,
        terms=tuple(terms),
        decimals=clause.decimals,
        rounding=clause.rounding,
        floor=clause.floor,
        cap=clause.cap,
        no_decrease=clause.no_decrease,
    )


def formula_text(formula: Formula, coefficient: Decimal) -> str:
    """``0,15 + 0,85 × 130,5 / 121,2 = 1,065223``."""
    parts = [_num(formula.fixed)] if formula.fixed else []
    for t in formula.terms:
        current, reference = term_values(t)
        parts.append(f"{_num(t.weight)} × {_num(current)} / {_num(reference)}")
    return " + ".join(parts) + " = " + _num(coefficient)


def terms_json(formula: Formula) -> str:
    return json.dumps(
        [
            {
                "index": t.index,
                "weight": str(t.weight),
                "reference": str(t.reference),
                "reference_month": t.reference_month.isoformat() if t.reference_month else None,
                "current": str(t.current),
                "month": t.current_month.isoformat() if t.current_month else None,
            }
            for t in formula.terms
        ],
        ensure_ascii=False,
    )


@dataclass(frozen=True)
class ContractChoice:
    id: int
    code: str
    client_name: str
    has_clause: bool

    @property
    def label(self) -> str:
        return f"{self.code} — {self.client_name}"


def contract_choices(session: Session) -> list[ContractChoice]:
    """Running contracts, for the clause editor's contract list."""
    from models.clients import Client
    from models.contracts import ContractStatus

    with_clause = set(session.scalars(select(RevisionClause.contract_id)))
    stmt = (
        select(Contract.id, Contract.code, Client.name)
        .join(Client, Client.id == Contract.client_id)
        .where(Contract.status.not_in((ContractStatus.ENDED,)))
        .order_by(Contract.code)
    )
    return [ContractChoice(i, c, n, i in with_clause) for i, c, n in session.execute(stmt).all()]


def clause_form(session: Session, contract_id: int) -> ClauseForm | None:
    """The contract's clause as an editable form (None when it has none)."""
    clause = get_clause(session, contract_id)
    if clause is None:
        return None
    return ClauseForm(
        fixed_part=clause.fixed_part,
        terms=[
            TermForm(t.index_id, t.weight, t.reference_value, t.reference_month)
            for t in clause.terms
        ],
        next_revision=clause.next_revision,
        index_lag_months=clause.index_lag_months,
        decimals=clause.decimals,
        rounding=clause.rounding,
        floor=clause.floor,
        cap=clause.cap,
        no_decrease=clause.no_decrease,
        active=clause.active,
        notes=clause.notes,
    )
