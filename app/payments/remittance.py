"""Cheque remittance slip (bordereau de remise de chèques): select cheques, record, print."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, clock
from app.company import get_company
from app.errors import NotFoundError, ValidationError
from app.money import ZERO, format_amount
from app.payments.receipts import issuer_of
from app.progress import NO_PROGRESS, Progress
from app.storage import discard_if_rolled_back, write_file
from app.users import require
from models.clients import Client
from models.payments import (
    ChequeRemittance,
    ChequeRemittanceLine,
    Payment,
    PaymentMeans,
    PaymentStatus,
)
from reports.remittance_pdf import RemittanceData, RemittedCheque, render_remittance


@dataclass(frozen=True)
class ChequeRow:
    payment_id: int
    number: str
    date: dt.date
    client: str
    drawer: str
    bank: str
    cheque_number: str
    amount: Decimal


def cheques_to_remit(session: Session) -> list[ChequeRow]:
    """Active cheque payments not yet on a remittance slip, oldest first."""
    remitted = select(ChequeRemittanceLine.payment_id)
    rows = session.execute(
        select(Payment, Client.name)
        .join(Client, Client.id == Payment.client_id)
        .where(
            Payment.means == PaymentMeans.CHEQUE,
            Payment.status == PaymentStatus.ACTIVE,
            Payment.id.not_in(remitted),
        )
        .order_by(Payment.date, Payment.id)
    ).all()
    return [
        ChequeRow(
            p.id, p.number, p.date, name, p.drawer or name, p.cheque_bank, p.cheque_number, p.amount
        )
        for p, name in rows
    ]


def create_remittance(
    session: Session, payment_ids: list[int], day: dt.date, bank_account: str = "512000"
) -> ChequeRemittance:
    """Put the chosen cheques on a new slip (each cheque on one slip only), in number order."""
    require(session, "payments")
    if not payment_ids:
        raise ValidationError("Chèques", "Sélectionnez au moins un chèque à remettre.")
    available = {row.payment_id: row for row in cheques_to_remit(session)}
    missing = [i for i in payment_ids if i not in available]
    if missing:
        raise ValidationError(
            "Chèques", "Un des règlements choisis n'est pas un chèque à remettre en banque."
        )
    if day > clock.today():  # a slip records a deposit made at the bank, never ahead
        raise ValidationError(
            "Date de remise",
            "La remise ne peut pas être datée après aujourd'hui ({today}) : elle constate un "
            "dépôt fait à la banque.",
            today=clock.today().strftime("%d/%m/%Y"),
        )
    late = [available[i].number for i in payment_ids if available[i].date > day]
    if late:
        raise ValidationError(
            "Date de remise",
            "La remise ne peut être antérieure à la réception du chèque ({numbers}).",
            numbers=", ".join(late),
        )
    count_year = session.scalar(
        select(func.count(ChequeRemittance.id)).where(
            ChequeRemittance.reference.like(f"RC{day.year}-%")
        )
    )
    remittance = ChequeRemittance(
        reference=f"RC{day.year}-{(count_year or 0) + 1:04d}",
        date=day,
        bank_account=bank_account,
        count=len(payment_ids),
        total=sum((available[i].amount for i in payment_ids), ZERO),
    )
    session.add(remittance)
    session.flush()
    # In number order, however they were chosen: one slip reads the same from any screen.
    for i in sorted(payment_ids, key=lambda i: available[i].number):
        session.add(ChequeRemittanceLine(remittance_id=remittance.id, payment_id=i))
    audit.record(
        session,
        "cheque_remittance",
        remittance.id,
        "create",
        f"Remise de chèques {remittance.reference} : {remittance.count} chèque(s), "
        f"{format_amount(remittance.total)}",
    )
    session.flush()
    return remittance


def remittance_data(session: Session, remittance_id: int) -> RemittanceData:
    remittance = session.get(ChequeRemittance, remittance_id)
    if remittance is None:
        raise NotFoundError("Remise de chèques introuvable (n° interne {id}).", id=remittance_id)
    cheques = []
    for line in remittance.lines:
        p = line.payment
        client = session.get(Client, p.client_id)
        drawer = p.drawer or (client.name if client else "")
        cheques.append(RemittedCheque(drawer, p.cheque_bank, p.cheque_number, p.amount, p.number))
    return RemittanceData(
        issuer_of(get_company(session)), remittance.reference, remittance.date, tuple(cheques)
    )


def remittance_pdf(session: Session, remittance_id: int) -> bytes:
    return render_remittance(remittance_data(session, remittance_id))


@dataclass(frozen=True)
class RemittanceSlip:
    """A slip recorded by :func:`remit_cheques`, and where its PDF went."""

    id: int
    reference: str
    count: int
    total: Decimal
    path: Path


def remit_cheques(
    session: Session,
    payment_ids: list[int],
    day: dt.date,
    out: Path,
    progress: Progress = NO_PROGRESS,
) -> RemittanceSlip:
    """« Créer la remise et enregistrer le bordereau… » and ``cheques remise``: the slip
    recorded (:func:`create_remittance`) and its PDF written to ``out``, all or none: a
    refused file, a cancel through ``progress`` or a transaction that does not commit
    leaves neither slip nor file. ``session``: a write session."""
    slip = create_remittance(session, payment_ids, day)
    progress.step(0, 1, "Bordereau de remise")
    written: list[Path] = []
    discard_if_rolled_back(session, written)
    written.append(write_file(out, remittance_pdf(session, slip.id)))
    progress.step(1, 1, "Enregistrement de la remise")
    return RemittanceSlip(slip.id, slip.reference, slip.count, slip.total, written[0])


def payments_by_number(session: Session, numbers: list[str]) -> list[int]:
    """The ids of these cheques to remit, in the order given (``cheques remise``)."""
    available = {row.number: row.payment_id for row in cheques_to_remit(session)}
    for number in numbers:
        if number not in available:
            raise NotFoundError(
                "Le règlement « {number} » n'est pas un chèque à remettre en banque.",
                number=number,
            )
    return [available[number] for number in numbers]
