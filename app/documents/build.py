"""Issued invoice (+ its frozen client and seller snapshots) → :class:`InvoiceDocument`.

The snapshots taken at issue time win over the live client and company rows: a client who
moved after being invoiced must not change a reprint. Keys missing from a snapshot (older
documents, snapshot formats of other modules) fall back to the live row.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.errors import NotFoundError, StateError
from app.money import ZERO
from app.terms import PaymentTerms
from models.clients import Client, ClientKind, Site
from models.company import CompanySettings
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from reports.invoice_model import (
    CREDIT_NOTE,
    DOWN_PAYMENT,
    INVOICE,
    MEANS_CARD,
    MEANS_CASH,
    MEANS_CHEQUE,
    MEANS_DIRECT_DEBIT,
    MEANS_SEPA_TRANSFER,
    Address,
    InvoiceDocument,
    Line,
    Party,
    PaymentMeans,
    VatBreakdown,
)

TYPE_CODES = {
    InvoiceKind.INVOICE: INVOICE,
    InvoiceKind.CREDIT_NOTE: CREDIT_NOTE,
    InvoiceKind.DOWN_PAYMENT: DOWN_PAYMENT,
}
MEANS_CODES = {
    "transfer": MEANS_SEPA_TRANSFER,
    "direct_debit": MEANS_DIRECT_DEBIT,
    "cheque": MEANS_CHEQUE,
    "card": MEANS_CARD,
    "cash": MEANS_CASH,
    "lcr": "30",
}


class _Snap:
    """Read a JSON snapshot, falling back to attributes of a live row."""

    def __init__(self, raw: str, live: Any) -> None:
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.live = live

    def get(self, *keys: str, default: Any = "") -> Any:
        for key in keys:
            if self.data.get(key) not in (None, ""):
                return self.data[key]
        for key in keys:
            value = getattr(self.live, key, None)
            if value not in (None, ""):
                return value
        return default


# A copropriété or a private person is not a professional debtor: no commercial-code
# penalties nor B2B wording (DOMAIN §5); late interest is the civil-law one.
NON_PROFESSIONAL_PENALTY_TEXT = (
    "En cas de retard de paiement, des intérêts au taux légal pourront être réclamés "
    "après mise en demeure (art. 1231-6 du Code civil)."
)


def seller_party(company: CompanySettings, snapshot: str = "") -> Party:
    s = _Snap(snapshot, company)
    capital = s.get("share_capital", default=None)
    return Party(
        name=s.get("name"),
        address=Address(
            s.get("street"),
            s.get("street2"),
            s.get("postcode"),
            s.get("city"),
            s.get("country", default="FR"),
        ),
        legal_form=s.get("legal_form"),
        share_capital=Decimal(str(capital)) if capital not in (None, "") else None,
        siren=s.get("siren"),
        siret=s.get("siret"),
        rcs_city=s.get("rcs_city"),
        vat_number=s.get("vat_number"),
        email=s.get("email"),
        phone=s.get("phone"),
        website=s.get("website"),
        electronic_address=s.get("electronic_address"),
        electronic_address_scheme=s.get("electronic_address_scheme", default="0225"),
    )


def invoice_email(client: Client) -> str:
    """Where the client's invoices are e-mailed: its invoice address, else its syndic's."""
    address = client.invoice_email or client.email
    if not address and client.kind == ClientKind.CONDOMINIUM and client.manager is not None:
        address = client.manager.invoice_email or client.manager.email
    return address


def buyer_party(client: Client, snapshot: str = "") -> Party:
    """Buyer as frozen at issue; a copropriété reads « SDC <résidence>, <adresse> »,
    « c/o <syndic> », then the syndic's postal address (DOMAIN §1, app.addressing)."""
    from app.addressing import display_name, postal_address

    s = _Snap(snapshot, client)
    kind = s.get("kind", default=client.kind)
    name = s.get("name")
    address = Address(
        s.get("street"),
        s.get("street2"),
        s.get("postcode"),
        s.get("city"),
        s.get("country", default="FR"),
    )
    if kind == ClientKind.CONDOMINIUM:
        heading = name if name.casefold().startswith("sdc ") else f"SDC {name}"
        building = ", ".join(address.lines())
        lines = [f"{heading}, {building}" if building else heading]
        manager = s.data.get("manager") or (client.manager.name if client.manager else "")
        if manager:
            lines.append(f"c/o {manager}")
            lines += postal_address(client)  # the syndic's current mailing address
        else:
            lines += address.lines()
        name = heading
    else:
        name = display_name(client) if not s.data else name
        lines = [name, *address.lines()]
    return Party(
        name=name,
        address=address,
        address_lines=tuple(lines),
        legal_form=s.get("legal_form"),
        siren=s.get("siren"),
        siret=s.get("siret"),
        vat_number=s.get("vat_number"),
        email=s.data.get("email") or invoice_email(client),
        code=s.get("code"),
        professional=kind in ClientKind.PROFESSIONAL,
        public_body=kind == ClientKind.PUBLIC,
        service_code=s.get("chorus_service_code"),
    )


def _means(client: Client, invoice: Invoice, company: CompanySettings) -> PaymentMeans:
    code = MEANS_CODES.get(invoice.payment_means or client.payment_means, MEANS_SEPA_TRANSFER)
    mandate = ""
    debtor_iban = ""
    if code == MEANS_DIRECT_DEBIT:
        from sqlalchemy import select

        from models.payments import SepaMandate

        row = (
            session_of(invoice)
            .scalars(
                select(SepaMandate).where(
                    SepaMandate.client_id == client.id, SepaMandate.status == "active"
                )
            )
            .first()
        )
        if row is not None:
            mandate, debtor_iban = row.rum, row.iban
        if not (mandate and debtor_iban):
            code = MEANS_SEPA_TRANSFER  # no usable mandate: ask for a transfer
    return PaymentMeans(
        code=code,
        iban=company.iban,
        bic=company.bic,
        bank_name=company.bank_name,
        account_name=company.name,
        mandate_reference=mandate,
        debtor_iban=debtor_iban,
        creditor_id=company.sepa_creditor_id,
    )


def session_of(obj: Any) -> Session:
    from sqlalchemy.orm import object_session

    session = object_session(obj)
    assert session is not None
    return session


def _terms_text(invoice: Invoice, client: Client) -> str:
    if invoice.payment_terms:
        return invoice.payment_terms
    try:
        return PaymentTerms(client.payment_term_kind, client.payment_term_days).label()
    except Exception:
        return ""


def build_document(
    session: Session, invoice_id: int, *, allow_draft: bool = False
) -> InvoiceDocument:
    """The printable/exportable values of an issued invoice or credit note."""
    from app.billing.totals import vat_breakdown

    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFoundError("Facture introuvable (n° interne {id}).", id=invoice_id)
    if invoice.status != InvoiceStatus.ISSUED and not allow_draft:
        raise StateError(
            "Seule une facture émise (numérotée) peut être éditée comme document légal."
        )
    company = session.get(CompanySettings, 1)
    if company is None:
        raise NotFoundError("Identité de la société non renseignée (menu Paramètres).")
    client = session.get(Client, invoice.client_id)
    assert client is not None
    site = session.get(Site, invoice.site_id) if invoice.site_id else None
    site_snap = _Snap(invoice.client_snapshot, None).data.get("site") or {}
    if site is not None:
        site = Site(
            name=site_snap.get("name") or site.name,
            street=site_snap.get("street") or site.street,
            street2="" if site_snap else site.street2,
            postcode=site_snap.get("postcode") or site.postcode,
            city=site_snap.get("city") or site.city,
        )
    lines = tuple(
        Line(
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            total=line.total_ht,
            discount=line.discount,
            unit_code=line.unit_code or "C62",
            vat_category=line.vat_category or "S",
            period_start=line.period_start,
            period_end=line.period_end,
            account=line.revenue_account,
        )
        for line in invoice.lines
    )
    breakdown = tuple(
        VatBreakdown(v.category, v.rate, v.base, v.vat, v.exemption)
        for v in vat_breakdown(invoice.lines)
    )
    origin = invoice.origin
    penalty = (
        company.late_penalty_text.replace("{rate}", _percent(company.late_penalty_rate))
        if client.is_professional
        else NON_PROFESSIONAL_PENALTY_TEXT
    )
    return InvoiceDocument(
        number=invoice.number or "BROUILLON",
        type_code=TYPE_CODES.get(invoice.kind, INVOICE),
        issue_date=invoice.issue_date,
        due_date=invoice.due_date or invoice.issue_date,
        seller=seller_party(company, invoice.seller_snapshot),
        buyer=buyer_party(client, invoice.client_snapshot),
        lines=lines,
        # The printed service period covers every line (catch-up of a missed month, a
        # quarter billed in advance, a regularisation), not only the run's month (BT-73/74).
        period_start=min(
            [d for d in (invoice.period_start, *(x.period_start for x in lines)) if d],
            default=None,
        ),
        period_end=max(
            [d for d in (invoice.period_end, *(x.period_end for x in lines)) if d],
            default=None,
        ),
        delivery_name=site.name if site else "",
        delivery_address=Address(site.street, site.street2, site.postcode, site.city)
        if site
        else None,
        purchase_order=invoice.purchase_order or client.chorus_commitment,
        contract_reference=_contract_reference(session, invoice.contract_id),
        original_number=origin.number or "" if origin else "",
        original_date=origin.issue_date if origin else None,
        prepaid=invoice.prepaid_total or ZERO,
        payment=_means(client, invoice, company),
        terms_text=_terms_text(invoice, client),
        penalty_text=penalty,
        early_payment_text=company.early_payment_text,
        vat_on_debits=company.vat_on_debits,
        notes=tuple(n for n in (invoice.notes or "").splitlines() if n.strip()),
        logo_png=company.logo_png,
        sap_declaration=company.sap_declaration_number
        if any(line.vat_rate == Decimal(10) for line in lines)
        else "",
        breakdown=breakdown,
    )


def _contract_reference(session: Session, contract_id: int | None) -> str:
    """BT-12: the contract code (and the client's own reference when it gave one)."""
    if contract_id is None:
        return ""
    from models.contracts import Contract

    contract = session.get(Contract, contract_id)
    if contract is None:
        return ""
    return f"{contract.code} ({contract.reference})" if contract.reference else contract.code


def _percent(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")
