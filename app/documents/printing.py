"""Print modes: postal batch (one merged PDF of a run's paper documents) and letters.

The client's sending mode (paper / email / platform) decides: paper documents go to the
postal batch, e-mail ones to :mod:`app.documents.email`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.addressing import billing_address_lines
from app.documents.build import build_document, seller_party
from app.documents.render import issued_in_period, render_batch
from app.errors import DocumentInvalid, NotFoundError
from app.lookup import get_row
from app.money import format_amount
from app.progress import NO_PROGRESS, Progress
from app.storage import write_file
from models.clients import Client
from models.company import CompanySettings
from models.invoices import Invoice, InvoiceStatus
from reports.common import legal_identity
from reports.letters import COVER_LETTER, Letterhead, LetterTemplate, render_letter


def by_sending_mode(session: Session, invoice_ids: list[int], mode: str) -> list[int]:
    result = []
    for invoice_id in invoice_ids:
        invoice = session.get(Invoice, invoice_id)
        client = session.get(Client, invoice.client_id) if invoice else None
        if client is not None and (client.sending_mode or "paper") == mode:
            result.append(invoice_id)
    return result


def paper_documents(session: Session, period: str) -> list[int]:
    return by_sending_mode(session, issued_in_period(session, period), "paper")


def issued_by_number(session: Session, numbers: list[str]) -> list[int]:
    """The ids of these issued documents, in the order given (``documents pdf``)."""
    rows = session.execute(
        select(Invoice.number, Invoice.id).where(
            Invoice.number.in_(numbers), Invoice.status == InvoiceStatus.ISSUED
        )
    )
    found = {number: invoice_id for number, invoice_id in rows}
    for number in numbers:
        if number not in found:
            raise NotFoundError("Document émis « {number} » introuvable.", number=number)
    return [found[number] for number in numbers]


def postal_batch(
    session: Session, invoice_ids: list[int], progress: Progress = NO_PROGRESS
) -> bytes:
    """One merged PDF (archived bytes of each document), each starting on a new sheet: a
    blank page after a document of odd page count, for the duplex printing of the batch."""
    return _merged(session, invoice_ids, progress, duplex=True)


@dataclass(frozen=True)
class PostalBatch:
    """What « Lot courrier (PDF)… » and ``documents courrier`` wrote."""

    path: Path
    count: int  # documents in the batch


def postal_batch_of_month(
    session: Session, period: str, out: Path, progress: Progress = NO_PROGRESS
) -> PostalBatch:
    """« Lot courrier (PDF)… » of the Éditions tab and ``documents courrier``: the issued
    documents of ``period`` whose client receives paper, merged for duplex printing
    (:func:`postal_batch`), written to ``out`` whole or not at all. Cancelled through
    ``progress`` (or a document refused): nothing is written. ``session``: a read session."""
    ids = paper_documents(session, period)
    if not ids:
        raise NotFoundError(
            "Aucun document « courrier » émis en {month} : pas de lot à imprimer.",
            month=f"{period[5:]}/{period[:4]}",
        )
    pdf = postal_batch(session, ids, progress)
    return PostalBatch(write_file(out, pdf), len(ids))


def print_documents(
    session: Session, invoice_ids: list[int], progress: Progress = NO_PROGRESS
) -> bytes:
    """What « Imprimer » and « PDF » of a screen give for the documents chosen there: each
    as archived at issue, one after the other, without blank padding (one invoice of one
    page prints one page); a single document is its archived PDF as is."""
    return _merged(session, invoice_ids, progress, duplex=False)


def _merged(session: Session, invoice_ids: list[int], progress: Progress, *, duplex: bool) -> bytes:
    from reports.merge import merge_pdfs

    batch = render_batch(session, invoice_ids, progress)
    if batch.failures:
        first = batch.failures[0]
        raise DocumentInvalid(
            "{count} document(s) non conforme(s), lot non constitué. {number} : {error}",
            count=len(batch.failures),
            number=first.number,
            error=first.error,
        )
    if not batch.pdfs:
        raise NotFoundError("Aucun document à imprimer pour cette sélection.")
    if len(batch.pdfs) == 1 and not duplex:
        return batch.pdfs[0]
    return merge_pdfs(batch.pdfs, blank_after_odd=duplex)


def letterhead(session: Session) -> Letterhead:
    company = session.get(CompanySettings, 1)
    if company is None:
        raise NotFoundError("Identité de la société non renseignée (menu Paramètres).")
    seller = seller_party(company)
    return Letterhead(
        name=company.name,
        address_lines=tuple(seller.address.lines()),
        contact=" – ".join(x for x in (company.phone, company.email, company.website) if x),
        legal_footer=legal_identity(seller),
        logo_png=company.logo_png,
        city=company.city,
    )


def letter_for_client(
    session: Session,
    client_id: int,
    template: LetterTemplate,
    values: dict[str, str],
    *,
    on: dt.date,
    signature: str = "",
) -> bytes:
    """Any letter of the template mechanism, addressed to a client (SDC c/o syndic)."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFoundError("Client introuvable.")
    return render_letter(
        letterhead(session),
        billing_address_lines(client),
        template,
        values,
        on=on,
        signature=signature,
    )


def _firm_iban(session: Session) -> str:
    company = session.get(CompanySettings, 1)
    return company.iban if company is not None else ""


def cover_letter(session: Session, invoice_id: int, *, on: dt.date | None = None) -> bytes:
    """The example letter: accompanies an invoice sent by post."""
    doc = build_document(session, invoice_id)
    period = (
        f"du {doc.period_start:%d/%m/%Y} au {doc.period_end:%d/%m/%Y}"
        if doc.period_start and doc.period_end
        else f"le {doc.issue_date:%d/%m/%Y}"
    )
    values = {
        "number": doc.number,
        "date": f"{doc.issue_date:%d/%m/%Y}",
        "period": period,
        "amount": format_amount(doc.amount_due),
        "due_date": f"{doc.due_date:%d/%m/%Y}",
        # The invoice shows the firm's IBAN for transfers only; this letter always offers it.
        "iban": doc.payment.iban or _firm_iban(session),
        "phone": doc.seller.phone,
    }
    invoice = get_row(session, Invoice, invoice_id, "Facture")
    return letter_for_client(
        session,
        invoice.client_id,
        COVER_LETTER,
        values,
        on=on or doc.issue_date,
        signature="Le service comptabilité",
    )
