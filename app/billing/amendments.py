"""Correcting what was typed on a live contract: cancel an amendment, correct or cancel a
suspension.

Nothing is deleted. A cancelled amendment keeps its number (never reused) and its line
versions, flagged ``cancelled``: the ORM relationships and :func:`contract_spec` leave them
out, so the plan falls back to the versions in force before it. A corrected suspension
keeps its row with its new dates (the audit trail holds the old ones); a cancelled one is
flagged and no longer applies. Periods already billed under the old conditions are then
regularised by the next run, exactly as after a retroactive amendment (the ledger holds
what was billed, the plan what should have been).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.billing.contracts import CONTRACT_WORKFLOW, get_contract
from app.errors import NotFoundError, StateError, ValidationError
from models.base import utcnow
from models.contracts import (
    Amendment,
    Contract,
    ContractLine,
    ContractLineVersion,
    ContractStatus,
    Frequency,
    Suspension,
    Term,
)
from models.revisions import Revision

S = ContractStatus


def _reason(reason: str, what: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationError("Motif", "Indiquez le motif de l'annulation {what}.", what=what)
    return text


def _forget_loaded(session: Session, contract: Contract) -> None:
    """Reload the filtered collections on next access (flags changed under them)."""
    session.expire(contract, ["suspensions", "amendments"])
    for line in contract.lines:
        session.expire(line, ["versions"])


def last_amendment_number(session: Session, contract_id: int) -> int | None:
    """The number of the contract's last amendment in force (the only one cancellable)."""
    return session.scalar(
        select(Amendment.number)
        .where(Amendment.contract_id == contract_id, Amendment.cancelled_at.is_(None))
        .order_by(Amendment.number.desc())
        .limit(1)
    )


def _restore_superseded(
    session: Session, amendment: Amendment, versions: list[ContractLineVersion]
) -> None:
    """The versions an amendment replaced on its own date (see ``_supersede`` in
    app.billing.contracts) are in force again once it is cancelled."""
    for v in versions:
        replaced = session.scalar(
            select(ContractLineVersion)
            .outerjoin(Amendment, Amendment.id == ContractLineVersion.amendment_id)
            .where(
                ContractLineVersion.line_id == v.line_id,
                ContractLineVersion.valid_from == v.valid_from,
                ContractLineVersion.cancelled.is_(True),
                ContractLineVersion.id < v.id,
                (ContractLineVersion.amendment_id.is_(None)) | (Amendment.cancelled_at.is_(None)),
                ContractLineVersion.amendment_id.is_distinct_from(amendment.id),
            )
            .order_by(ContractLineVersion.id.desc())
            .limit(1)
        )
        if replaced is not None:
            replaced.cancelled = False
    session.flush()


def cancel_amendment(session: Session, amendment_id: int, reason: str) -> Amendment:
    """« Annuler l'avenant »: its versions stop applying (kept, flagged cancelled)."""
    amendment = session.get(Amendment, amendment_id)
    if amendment is None:
        raise NotFoundError("Avenant introuvable.")
    contract = get_contract(session, amendment.contract_id)
    text = _reason(reason, "de l'avenant")
    if amendment.cancelled_at is not None:
        raise StateError("L'avenant n° {number} est déjà annulé.", number=amendment.number)
    last = last_amendment_number(session, contract.id)
    if amendment.number != last:
        raise StateError(
            "Seul le dernier avenant en vigueur (n° {last}) peut être annulé : annulez-le "
            "d'abord pour annuler l'avenant n° {number}.",
            last=last,
            number=amendment.number,
        )
    revision = session.scalar(select(Revision).where(Revision.amendment_id == amendment.id))
    if revision is not None:
        raise StateError(
            "L'avenant n° {number} applique la révision de prix du {date} : une révision "
            "appliquée ne s'annule pas par un avenant.",
            number=amendment.number,
            date=f"{revision.effective_date:%d/%m/%Y}",
        )
    versions = list(
        session.scalars(
            select(ContractLineVersion).where(
                ContractLineVersion.amendment_id == amendment.id,
                ContractLineVersion.cancelled.is_(False),
            )
        )
    )
    # A later version not made by an amendment (an indexation) was computed from this
    # amendment's price: cancelling under it would leave a wrong price in force.
    mine = {v.id for v in versions}
    positions = {cl.id: cl.position for cl in contract.lines}
    for line in contract.lines:
        if not any(v.id in mine for v in line.versions):
            continue
        own = max(v.valid_from for v in line.versions if v.id in mine)
        for v in line.versions:
            if v.id not in mine and v.valid_from > own:
                raise StateError(
                    "Ligne {position} : une version du {date} suit l'avenant n° {number} ; "
                    "elle a été calculée sur ses conditions, l'avenant ne peut être annulé.",
                    position=positions[line.id],
                    date=f"{v.valid_from:%d/%m/%Y}",
                    number=amendment.number,
                )
    for v in versions:
        v.cancelled = True
    session.flush()
    _restore_superseded(session, amendment, versions)
    # A line the amendment added is closed by a « removed » version from the same date:
    # what it billed is credited by the next run, and the line keeps a description.
    for v in versions:
        if not session.scalar(
            select(ContractLineVersion.id).where(
                ContractLineVersion.line_id == v.line_id,
                ContractLineVersion.cancelled.is_(False),
            )
        ):
            session.add(
                ContractLineVersion(
                    line_id=v.line_id,
                    valid_from=v.valid_from,
                    amendment_id=amendment.id,
                    article_id=v.article_id,
                    description=v.description,
                    quantity=v.quantity,
                    unit_price=v.unit_price,
                    frequency=v.frequency,
                    months=v.months,
                    one_off_date=v.one_off_date,
                    term=v.term,
                    removed=True,
                )
            )
    amendment.cancelled_at = utcnow()
    amendment.cancel_reason = text
    session.flush()
    _forget_loaded(session, contract)
    audit.record(
        session,
        "contract",
        contract.id,
        "amendment_cancel",
        f"Avenant n° {amendment.number} au contrat {contract.code} annulé : {text}",
        client_id=contract.client_id,
        changes={
            f"Avenant n° {amendment.number}": (
                f"effet le {amendment.effective_date:%d/%m/%Y}, {len(versions)} version(s)",
                "annulé",
            )
        },
    )
    return amendment


def _suspension(session: Session, suspension_id: int) -> tuple[Suspension, Contract]:
    suspension = session.get(Suspension, suspension_id)
    if suspension is None:
        raise NotFoundError("Suspension introuvable.")
    if suspension.cancelled_at is not None:
        raise StateError("Cette suspension est annulée : elle ne peut plus être modifiée.")
    return suspension, get_contract(session, suspension.contract_id)


def _describe(s: Suspension) -> str:
    return (
        f"du {s.start_date:%d/%m/%Y} au {s.end_date:%d/%m/%Y}"
        f" ({'facturée' if s.billed else 'non facturée'})"
    )


def correct_suspension(
    session: Session,
    suspension_id: int,
    start: dt.date,
    end: dt.date,
    *,
    billed: bool,
    reason: str,
) -> Suspension:
    """Correct a suspension's dates or billed flag; the audit trail keeps the old values."""
    suspension, contract = _suspension(session, suspension_id)
    if end < start:
        raise ValidationError("Fin de suspension", "La fin de la suspension précède son début.")
    for other in contract.suspensions:
        if (
            other.id != suspension.id
            and other.line_id == suspension.line_id
            and not (end < other.start_date or start > other.end_date)
        ):
            raise ValidationError(
                "Début de suspension", "Cette période chevauche une autre suspension."
            )
    before = _describe(suspension)
    changes = audit.diff(
        suspension,
        {"start_date": start, "end_date": end, "billed": billed, "reason": reason.strip()},
    )
    if not changes:
        return suspension
    suspension.start_date, suspension.end_date = start, end
    suspension.billed, suspension.reason = billed, reason.strip()
    session.flush()
    _forget_loaded(session, contract)
    audit.record(
        session,
        "contract",
        contract.id,
        "suspension_update",
        f"Suspension corrigée : {_describe(suspension)} (au lieu de {before})",
        client_id=contract.client_id,
        changes=changes,
    )
    return suspension


def cancel_suspension(
    session: Session, suspension_id: int, reason: str, *, today: dt.date | None = None
) -> Suspension:
    """Cancel a suspension typed by mistake; a contract it suspended becomes active again
    when no other suspension of the whole contract is running or to come."""
    suspension, contract = _suspension(session, suspension_id)
    text = _reason(reason, "de la suspension")
    today = today or dt.date.today()
    suspension.cancelled_at = utcnow()
    suspension.cancel_reason = text
    session.flush()
    _forget_loaded(session, contract)
    summary = f"Suspension {_describe(suspension)} annulée : {text}"
    still = [s for s in contract.suspensions if s.line_id is None and s.end_date >= today]
    if suspension.line_id is None and contract.status == S.SUSPENDED and not still:
        CONTRACT_WORKFLOW.move(contract, S.ACTIVE, ref=contract.code)
        session.flush()
        audit.record(
            session,
            "contract",
            contract.id,
            "suspension_cancel",
            f"Contrat {contract.code} : {summary} — contrat de nouveau actif",
            client_id=contract.client_id,
            changes={"status": (S.LABELS[S.SUSPENDED], S.LABELS[S.ACTIVE])},
        )
    else:
        audit.record(
            session,
            "contract",
            contract.id,
            "suspension_cancel",
            f"Contrat {contract.code} : {summary}",
            client_id=contract.client_id,
        )
    return suspension


# --- what the Avenants / Suspensions pages list (cancelled rows included) ---------------


def _state(cancelled_at: dt.datetime | None, reason: str) -> str:
    if cancelled_at is None:
        return "En vigueur"
    return f"Annulé le {cancelled_at.astimezone():%d/%m/%Y} : {reason}"


@dataclass(frozen=True)
class AmendmentRow:
    id: int
    number: int
    signed_date: dt.date
    effective_date: dt.date
    description: str
    cancelled_at: dt.datetime | None
    cancel_reason: str
    cancellable: bool

    @property
    def state(self) -> str:
        return _state(self.cancelled_at, self.cancel_reason)


@dataclass(frozen=True)
class SuspensionRow:
    id: int
    start_date: dt.date
    end_date: dt.date
    billed: bool
    scope: str
    reason: str
    cancelled_at: dt.datetime | None
    cancel_reason: str

    @property
    def state(self) -> str:
        return _state(self.cancelled_at, self.cancel_reason).replace("Annulé", "Annulée")

    @property
    def active(self) -> bool:
        return self.cancelled_at is None


@dataclass(frozen=True)
class CancelledVersionRow:
    """A line version of a cancelled amendment, as the « Versions » table shows it."""

    position: int
    valid_from: dt.date
    origin: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    frequency: str
    term: str


def amendment_rows(session: Session, contract_id: int) -> list[AmendmentRow]:
    last = last_amendment_number(session, contract_id)
    # An amendment applying a price revision is not cancelled here (see cancel_amendment).
    revisions = set(
        session.scalars(select(Revision.amendment_id).where(Revision.contract_id == contract_id))
    )
    return [
        AmendmentRow(
            a.id,
            a.number,
            a.signed_date,
            a.effective_date,
            a.description,
            a.cancelled_at,
            a.cancel_reason,
            a.cancelled_at is None and a.number == last and a.id not in revisions,
        )
        for a in session.scalars(
            select(Amendment).where(Amendment.contract_id == contract_id).order_by(Amendment.number)
        )
    ]


def suspension_rows(session: Session, contract_id: int) -> list[SuspensionRow]:
    positions = {
        line_id: position
        for line_id, position in session.execute(
            select(ContractLine.id, ContractLine.position).where(
                ContractLine.contract_id == contract_id
            )
        )
    }
    return [
        SuspensionRow(
            s.id,
            s.start_date,
            s.end_date,
            s.billed,
            f"Ligne {positions.get(s.line_id, '?')}" if s.line_id else "Contrat",
            s.reason,
            s.cancelled_at,
            s.cancel_reason,
        )
        for s in session.scalars(
            select(Suspension)
            .where(Suspension.contract_id == contract_id)
            .order_by(Suspension.start_date, Suspension.id)
        )
    ]


def cancelled_version_rows(session: Session, contract_id: int) -> list[CancelledVersionRow]:
    """What the cancelled amendments had set, kept visible for the auditor."""
    query = (
        select(ContractLineVersion, ContractLine.position, Amendment.number, Amendment.cancelled_at)
        .join(ContractLine, ContractLine.id == ContractLineVersion.line_id)
        .outerjoin(Amendment, Amendment.id == ContractLineVersion.amendment_id)
        .where(ContractLine.contract_id == contract_id, ContractLineVersion.cancelled.is_(True))
        .order_by(ContractLine.position, ContractLineVersion.valid_from, ContractLineVersion.id)
    )
    return [
        CancelledVersionRow(
            position,
            v.valid_from,
            f"Avenant n° {number} (annulé)"
            if cancelled_at is not None
            else "Remplacée par un avenant du même jour",
            v.description + (" (ligne retirée)" if v.removed else ""),
            v.quantity,
            v.unit_price,
            Frequency.LABELS.get(v.frequency, v.frequency),
            Term.LABELS.get(v.term, v.term),
        )
        for v, position, number, cancelled_at in session.execute(query)
    ]
