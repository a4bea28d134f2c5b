"""Issued invoice (+ its frozen client and seller snapshots) → :class:`InvoiceDocument`.

The snapshots taken at issue time win over the live client and company rows: a client who
moved after being invoiced must not change a reprint. The seller side of an issued document
is read only from its seller snapshot (app.company_snapshot: the frozen-document rule); a
draft shows the current settings. Keys missing from a client snapshot (older documents)
fall back to the live client row.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from app import sap_mentions
from app.billing.issue_build import contract_reference
from app.company import public_late_rate
from app.company_snapshot import frozen_logo, frozen_seller, seller_values
from app.errors import NotFoundError, StateError
from app.lookup import get_row
from app.money import ZERO
from app.terms import PaymentTerms
from models.clients import Client, ClientKind, Site
from models.company import CompanySettings
from models.contracts import Contract
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from reports.invoice_model import (
    CREDIT_NOTE,
    DOWN_PAYMENT,
    INDEMNITY_TEXT,
    INVOICE,
    MEANS_CARD,
    MEANS_CASH,
    MEANS_CHEQUE,
    MEANS_DIRECT_DEBIT,
    MEANS_SEPA_TRANSFER,
    MEANS_TRANSFER,
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

    def __init__(self, raw: str | dict[str, Any], live: Any) -> None:
        try:
            data = raw if isinstance(raw, dict) else json.loads(raw) if raw else {}
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
# penalties nor B2B wording (docs/DOMAIN.md « Payment terms »); late interest is the civil-law one.
NON_PROFESSIONAL_PENALTY_TEXT = (
    "En cas de retard de paiement, des intérêts au taux légal pourront être réclamés "
    "après mise en demeure (art. 1231-6 du Code civil)."
)


# A public buyer (État, collectivité, hôpital…) owes moratorium interest at the ECB main
# refinancing rate + 8 points and the 40 € indemnity under the Code de la commande publique,
# not the commercial-code penalty rate of private firms.
PUBLIC_PENALTY_TEXT = (
    "En cas de retard de paiement, intérêts moratoires de plein droit au taux de la BCE "
    "(opérations principales de refinancement) majoré de 8 points (art. L2192-13 et "
    "R2192-31 du Code de la commande publique), soit {rate} % l'an{since} (taux BCE {ecb} %)."
)
PUBLIC_INDEMNITY_TEXT = (
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € "
    "(art. L2192-13 et D2192-35 du Code de la commande publique)."
)
# The firm's bank details are printed (and exported) for payment by transfer only.
TRANSFER_CODES = frozenset({MEANS_SEPA_TRANSFER, MEANS_TRANSFER})


def public_penalty_text(ecb_rate: Decimal, since: dt.date | None) -> str:
    """The late-interest mention of an invoice to a public buyer."""
    return PUBLIC_PENALTY_TEXT.format(
        rate=_percent(public_late_rate(ecb_rate)),
        since=f" au {since:%d/%m/%Y}" if since else "",
        ecb=_percent(ecb_rate),
    )


def penalty_mentions(
    seller: dict[str, Any], buyer: Party, issue_date: dt.date | None = None
) -> tuple[str, str]:
    """(late-interest text, recovery-indemnity text) for this buyer, with the rates and text
    of the seller values (frozen at issue for an issued document). The ECB rate's date is
    printed only when it was already in force on the issue date."""
    s = _Snap(seller, None)
    if buyer.public_body:
        since = _date(s.get("ecb_rate_date", default=None))
        if since is not None and issue_date is not None and since > issue_date:
            since = None
        ecb = Decimal(str(s.get("ecb_rate", default="0")))
        return public_penalty_text(ecb, since), PUBLIC_INDEMNITY_TEXT
    if buyer.professional:
        rate = Decimal(str(s.get("late_penalty_rate", default="0")))
        text = str(s.get("late_penalty_text"))
        return text.replace("{rate}", _percent(rate)), INDEMNITY_TEXT
    return NON_PROFESSIONAL_PENALTY_TEXT, ""


def seller_party(company: CompanySettings) -> Party:
    """The firm as its current settings describe it (letters, statements, quotes, drafts)."""
    return seller_party_of(seller_values(company))


def seller_party_of(seller: dict[str, Any]) -> Party:
    """The seller of a document from its seller values (app.company_snapshot)."""
    s = _Snap(seller, None)
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


def buyer_party(client: Client, snapshot: str | dict[str, Any] = "") -> Party:
    """Buyer as frozen at issue; a copropriété reads « SDC <résidence>, <adresse> »,
    « c/o <syndic> », then the syndic's postal address (docs/DOMAIN.md « Clients »,
    app.addressing)."""
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
            # the syndic's mailing address frozen at issue (older documents: today's)
            lines += s.data.get("manager_address") or postal_address(client)
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


def _means(client: Client, invoice: Invoice, seller: dict[str, Any]) -> PaymentMeans:
    code = MEANS_CODES.get(invoice.payment_means or client.payment_means, MEANS_SEPA_TRANSFER)
    mandate = ""
    debtor_iban = ""
    collection_date: dt.date | None = None
    if code == MEANS_DIRECT_DEBIT:
        frozen = _frozen(invoice).get("mandate")
        if isinstance(frozen, dict):  # announced at issue
            mandate, debtor_iban = frozen.get("rum", ""), frozen.get("iban", "")
        else:  # a draft, or a document issued before mandates were frozen
            mandate, debtor_iban = _active_mandate(invoice, client)
        if not (mandate and debtor_iban):
            code = MEANS_SEPA_TRANSFER  # no usable mandate: ask for a transfer
        elif invoice.kind != InvoiceKind.CREDIT_NOTE:
            from app.payments.sepa_mandates import planned_collection_date

            # The invoice is the pre-notification: it states the day it will be debited.
            collection_date = planned_collection_date(session_of(invoice), invoice)
    transfer = code in TRANSFER_CODES
    return PaymentMeans(
        code=code,
        # A cheque or direct-debit payer is not asked to transfer: no IBAN of the firm.
        iban=seller.get("iban", "") if transfer else "",
        bic=seller.get("bic", "") if transfer else "",
        bank_name=seller.get("bank_name", "") if transfer else "",
        account_name=seller.get("name", ""),
        mandate_reference=mandate,
        debtor_iban=debtor_iban,
        creditor_id=seller.get("sepa_creditor_id", ""),
        collection_date=collection_date,
    )


def _frozen(invoice: Invoice) -> dict[str, Any]:
    """The client snapshot of an issued document ({} for a draft)."""
    if invoice.status != InvoiceStatus.ISSUED:
        return {}
    return _Snap(invoice.client_snapshot, None).data


def _active_mandate(invoice: Invoice, client: Client) -> tuple[str, str]:
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
    return (row.rum, row.iban) if row is not None else ("", "")


def session_of(obj: Any) -> Session:
    from sqlalchemy.orm import object_session

    session = object_session(obj)
    if session is None:
        raise StateError("Document lu hors de la base : relisez-le avant de l'imprimer.")
    return session


PERIODIC_NOTE = "ramené à 45 jours après émission pour une facture périodique, art. L441-10 C. com."


def _terms_text(invoice: Invoice, client: Client) -> str:
    """The client's terms as agreed; on a month-end (periodic) invoice whose due date the
    45-day cap brought forward, say so, so that the printed date and terms agree."""
    frozen = _frozen(invoice)  # the terms agreed at issue (older documents: the client's)
    try:
        terms: PaymentTerms | None = PaymentTerms(
            frozen.get("payment_term_kind", client.payment_term_kind),
            frozen.get("payment_term_days", client.payment_term_days),
        )
    except Exception:
        terms = None
    label = invoice.payment_terms or (terms.label() if terms else "")
    if (
        terms is not None
        and label == terms.label()
        and invoice.run_id is not None
        and invoice.kind != InvoiceKind.CREDIT_NOTE
        and invoice.due_date is not None
        and terms.due_date(invoice.issue_date) > invoice.due_date
    ):
        return f"{label}, {PERIODIC_NOTE}"
    return label


def build_document(
    session: Session,
    invoice_id: int,
    *,
    allow_draft: bool = False,
    draft_seller: dict[str, Any] | None = None,
) -> InvoiceDocument:
    """The printable/exportable values of an issued invoice or credit note. A draft shows
    the current settings: ``draft_seller``, their seller values when the caller computed
    them already (:func:`app.company_snapshot.seller_values`, for many drafts)."""
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
    client = get_row(session, Client, invoice.client_id, "Client")
    live_site = session.get(Site, invoice.site_id) if invoice.site_id else None
    snapshot = _Snap(invoice.client_snapshot, None).data  # read once for every use below
    site_snap = snapshot.get("site") or {}
    site = _delivery(live_site, site_snap) if live_site is not None else None
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
    buyer = buyer_party(client, snapshot)
    if invoice.status == InvoiceStatus.ISSUED:  # as frozen at issue, never today's settings
        seller = frozen_seller(session, invoice.seller_snapshot)
        logo = frozen_logo(session, seller)
    else:
        seller = seller_values(company) if draft_seller is None else draft_seller
        logo = company.logo_png
    penalty, indemnity = penalty_mentions(seller, buyer, invoice.issue_date)
    return InvoiceDocument(
        number=invoice.number or "BROUILLON",
        type_code=TYPE_CODES.get(invoice.kind, INVOICE),
        issue_date=invoice.issue_date,
        due_date=invoice.due_date or invoice.issue_date,
        seller=seller_party_of(seller),
        buyer=buyer,
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
        delivery_address=Address(
            site.street, site.street2, site.postcode, site.city, site_snap.get("country") or "FR"
        )
        if site
        else None,
        purchase_order=invoice.purchase_order
        or _frozen(invoice).get("chorus_commitment", client.chorus_commitment),
        contract_reference=_frozen(invoice).get("contract_reference")
        or _contract_reference(session, invoice.contract_id),
        original_number=origin.number or "" if origin else "",
        original_date=origin.issue_date if origin else None,
        prepaid=invoice.prepaid_total or ZERO,
        payment=_means(client, invoice, seller),
        terms_text=_terms_text(invoice, client),
        penalty_text=penalty,
        indemnity_text=indemnity or INDEMNITY_TEXT,
        early_payment_text=seller.get("early_payment_text", ""),
        vat_on_debits=seller.get("vat_on_debits") is True,
        notes=tuple(n for n in (invoice.notes or "").splitlines() if n.strip()),
        logo_png=logo,
        sap_mentions=_sap_mentions(invoice, seller, snapshot, client),
        breakdown=breakdown,
    )


def _sap_mentions(
    invoice: Invoice, values: dict[str, Any], snapshot: dict[str, Any], client: Client
) -> tuple[str, ...]:
    """The « services à la personne » mentions, from what was frozen at issue (app.sap)."""
    seller = _Snap(values, None)
    buyer = _Snap(snapshot, None if invoice.client_snapshot else client)
    declaration = str(seller.get("sap_declaration_number"))
    if not sap_mentions.applies(declaration, buyer.get("kind"), invoice.lines):
        return ()
    declared_on = _date(seller.get("sap_declaration_date", default=None))
    return sap_mentions.invoice_mentions(declaration, declared_on, invoice.lines)


class _Delivery(NamedTuple):
    """Where the service is done (BG-13/BG-15): the site as frozen at issue."""

    name: str
    street: str
    street2: str
    postcode: str
    city: str


def _delivery(site: Site, frozen: dict[str, Any]) -> _Delivery:
    """The site as frozen at issue (its name and address then; no second street line was
    frozen), or as it is today for a draft or an older document."""
    return _Delivery(
        frozen.get("name") or site.name,
        frozen.get("street") or site.street,
        "" if frozen else site.street2,
        frozen.get("postcode") or site.postcode,
        frozen.get("city") or site.city,
    )


def _contract_reference(session: Session, contract_id: int | None) -> str:
    """BT-12 of a draft (or of a document issued before it was frozen): the contract code
    and the client's own reference when it gave one, as they are today."""
    if contract_id is None:
        return ""
    contract = session.get(Contract, contract_id)
    return contract_reference(contract.code, contract.reference) if contract else ""


def _date(value: Any) -> dt.date | None:
    """A date from a snapshot (ISO text; "None" when it was not set) or a live row."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _percent(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")
