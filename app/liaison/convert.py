"""Conversions of a liaison entry: a draft TC quote (app.quotes) or a contract amendment
request, keeping the link on the entry.

The quote is a real draft quote made by :func:`app.quotes.quotes.create_quote`, to be
priced by the sales team. An amendment itself carries new line versions decided by the
billing side (:func:`app.billing.contracts.add_amendment`); the liaison book records the
*request*: the entry is linked to the contract, routed to the commercial department and
shows in the contract's history until someone makes the amendment.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import StateError, ValidationError
from app.i18n import _
from app.liaison.entries import (
    IN_PROGRESS,
    OPEN,
    WORKFLOW,
    _audit,
    _contract_concerns,
    _log,
    _notify,
    entry_label,
    get_entry,
    local_today,
)
from models.base import utcnow
from models.clients import Site
from models.contracts import Contract, ContractStatus
from models.liaison import LiaisonEntry
from models.quotes import Quote, QuoteKind
from models.users import Department


def _start_handling(session: Session, entry: LiaisonEntry, at: dt.datetime) -> None:
    """A conversion is work on the entry: an open entry moves to « En cours »."""
    if entry.status == OPEN:
        WORKFLOW.move(entry, IN_PROGRESS)
        _log(session, entry, _("Statut : En cours."), at, OPEN, IN_PROGRESS)


def convert_to_quote(
    session: Session, entry_id: int, *, title: str = "", quote_date: dt.date | None = None
) -> Quote:
    """Make a draft TC quote for the entry's site (or client) and link it to the entry."""
    from app.quotes.quotes import QuoteForm, create_quote

    entry = get_entry(session, entry_id)
    if entry.status == "closed":
        raise StateError(
            "{label} est clôturée : rouvrez-la pour la convertir.", label=entry_label(entry)
        )
    if entry.quote_id is not None:
        quote = session.get(Quote, entry.quote_id)
        raise StateError(
            "{label} a déjà donné le devis {ref}.",
            label=entry_label(entry),
            ref=quote.reference if quote else str(entry.quote_id),
        )
    site = session.get(Site, entry.site_id) if entry.site_id else None
    # The quote is addressed to whoever is billed for the site (a copropriété, not the
    # syndic who called); without a site, to the entry's client.
    client_id = site.client_id if site is not None else entry.client_id
    if client_id is None:
        raise ValidationError("Client", "{field} : choisissez le client avant de faire un devis.")
    quote = create_quote(
        session,
        QuoteForm(
            client_id=client_id,
            site_id=entry.site_id,
            kind=QuoteKind.EXTRA_WORK,
            title=(title or entry.subject).strip(),
            quote_date=quote_date or local_today(),
        ),
    )
    at = utcnow()
    entry.quote_id = quote.id
    entry.converted_kind = "devis"
    entry.converted_ref = quote.reference
    _start_handling(session, entry, at)
    _log(session, entry, _("Converti en devis TC ({ref}).").format(ref=quote.reference), at)
    _audit(
        session,
        entry,
        "convert",
        _("{label} convertie en devis TC {ref}").format(
            label=entry_label(entry), ref=quote.reference
        ),
    )
    _notify(session, entry, _("{label} : devis TC créé.").format(label=entry_label(entry)), at)
    session.flush()
    return quote


def request_amendment(
    session: Session, entry_id: int, contract_id: int | None, request: str
) -> LiaisonEntry:
    """Record a contract amendment request from the entry (linked to the contract)."""
    entry = get_entry(session, entry_id)
    if entry.status == "closed":
        raise StateError(
            "{label} est clôturée : rouvrez-la pour la convertir.", label=entry_label(entry)
        )
    contract_id = contract_id or entry.contract_id
    contract = session.get(Contract, contract_id) if contract_id else None
    if contract is None:
        raise ValidationError("Contrat", "{field} : choisissez le contrat à modifier.")
    if entry.client_id is not None and not _contract_concerns(session, contract, entry.client_id):
        site = session.get(Site, entry.site_id) if entry.site_id else None
        if site is None or contract.client_id not in (site.client_id, site.payer_id):
            raise ValidationError(
                "Contrat",
                "{field} : le contrat {code} n'est pas un contrat de ce client.",
                code=contract.code,
            )
    if contract.status == ContractStatus.DRAFT:
        raise ValidationError(
            "Contrat",
            "{field} : le contrat {code} est un brouillon, modifiez-le directement.",
            code=contract.code,
        )
    request = (request or "").strip()
    if not request:
        raise ValidationError("Demande", "{field} : décrivez la modification demandée.")
    at = utcnow()
    entry.contract_id = contract.id
    entry.converted_kind = "avenant"
    entry.converted_ref = contract.code
    commercial = session.scalar(select(Department.id).where(Department.name == "Commercial"))
    if commercial is not None:
        entry.department_id = commercial
    _start_handling(session, entry, at)
    text = _("Demande d'avenant au contrat {code} : {request}").format(
        code=contract.code, request=request
    )
    _log(session, entry, text, at)
    _audit(session, entry, "convert", f"{entry_label(entry)} — {text}")
    audit.record(
        session,
        "contract",
        contract.id,
        "amendment_request",
        _("Demande d'avenant ({entry}) : {request}").format(
            entry=entry_label(entry), request=request
        ),
        client_id=contract.client_id,
    )
    _notify(session, entry, text, at)
    session.flush()
    return entry
