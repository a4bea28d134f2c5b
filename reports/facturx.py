"""Factur-X EN 16931: the CII XML (lxml) and the PDF/A-3 carrying it (one ReportLab pass).

The XML says exactly what the printed PDF says: both come from one
:class:`~reports.invoice_model.InvoiceDocument`. The legal mentions travel as notes with
their subject codes (PMD penalties, PMT recovery indemnity, AAB discount, TXD tax
mentions, BAR the processing type) as the French CTC rules (BR-FR) require.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from app.errors import PropreoError
from app.money import round_money
from reports.invoice_model import (
    MEANS_CARD,
    MEANS_CASH,
    MEANS_CHEQUE,
    MEANS_DIRECT_DEBIT,
    VAT_EXEMPT,
    VAT_OUT_OF_SCOPE,
    VAT_REVERSE_CHARGE,
    InvoiceDocument,
    Party,
)
from reports.text import printable

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
BILLING_MODE_SERVICES = "S1"  # BT-23: services invoice, no prior payment platform step
NO_INDEMNITY_TEXT = (
    "Indemnité forfaitaire pour frais de recouvrement non applicable : client non professionnel."
)
EXEMPTION_CODES = {
    VAT_REVERSE_CHARGE: "VATEX-EU-AE",
    VAT_EXEMPT: "VATEX-FR-FRANCHISE",
    VAT_OUT_OF_SCOPE: "VATEX-EU-O",
}


def _amount(value: Decimal) -> str:
    return str(round_money(value))


def _plain(value: Decimal) -> str:
    """Quantities, prices, rates without exponent or trailing zeros beyond 2 decimals."""
    text = format(value.normalize(), "f")
    if "." not in text:
        return text
    whole, frac = text.split(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def _rate(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.00" if text != "0" else "0"


def _date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


@functools.cache
def _qualified(tag: str) -> str:
    """« ram:Name » → « {urn:…:100}Name »."""
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


class _Builder:
    def __init__(self) -> None:
        from lxml import etree

        self.etree = etree
        self.sub_element = etree.SubElement

    def el(self, parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
        node = self.sub_element(parent, _qualified(tag), attrs)
        if text is not None:
            node.text = printable(text)
        return node

    def date(self, parent: Any, tag: str, value: dt.date, qualified: bool = False) -> None:
        holder = self.el(parent, tag)
        kind = "qdt" if qualified else "udt"
        self.el(holder, f"{kind}:DateTimeString", _date(value), format="102")


def processing_type(buyer: Party) -> str:
    """BAR note (BR-FR-20): a buyer established abroad is B2BINT when it is a business,
    B2CINT otherwise; in France B2B for identified professional buyers, B2C otherwise."""
    if (buyer.address.country or "FR") != "FR":
        return "B2BINT" if buyer.professional else "B2CINT"
    return "B2B" if buyer.professional and buyer.siren else "B2C"


NAME_LENGTH = 100  # BT-153 kept short; the rest of the text goes to BT-154, never cut


def item_texts(line_text: str, detail: str = "") -> tuple[str, str]:
    """BT-153 (item name) and BT-154 (item description) of a line: the first line of its
    text, up to :data:`NAME_LENGTH` characters ended on a whole word, as the name; every
    remaining word, then the detail, as the description. Together they hold the full text."""
    first, _, others = (line_text or "").strip().partition("\n")
    first = first.strip()
    name, rest = first, ""
    if len(first) > NAME_LENGTH:
        cut = first.rfind(" ", 0, NAME_LENGTH + 1)
        cut = cut if cut > 0 else NAME_LENGTH
        name, rest = first[:cut].rstrip(), first[cut:].strip()
    description = "\n".join(t for t in (rest, others.strip(), detail.strip()) if t)
    return name or "Prestation", description


def _notes(doc: InvoiceDocument) -> list[tuple[str, str]]:
    notes = [(text, "") for text in (*doc.notes, *doc.sap_mentions)]
    notes.append((doc.penalty_text or "Pénalités de retard : taux légal.", "PMD"))
    notes.append((doc.indemnity_text if doc.indemnity_applies else NO_INDEMNITY_TEXT, "PMT"))
    notes.append((doc.early_payment_text or "Pas d'escompte pour paiement anticipé.", "AAB"))
    mentions = doc.vat_mentions()
    if mentions:
        notes.append((" ".join(mentions), "TXD"))
    notes.append((processing_type(doc.buyer), "BAR"))
    return notes


def _party(
    b: _Builder, parent: Any, tag: str, party: Party, *, seller: bool, vat_id: bool = True
) -> None:
    node = b.el(parent, tag)
    if party.siret and (seller or party.public_body or party.siren):
        b.el(node, "ram:GlobalID", party.siret, schemeID="0009")
    b.el(node, "ram:Name", party.name)
    if party.siren:
        org = b.el(node, "ram:SpecifiedLegalOrganization")
        b.el(org, "ram:ID", party.siren, schemeID="0002")
    address = b.el(node, "ram:PostalTradeAddress")
    if party.address.postcode:
        b.el(address, "ram:PostcodeCode", party.address.postcode)
    if party.address.street:
        b.el(address, "ram:LineOne", party.address.street)
    if party.address.street2:
        b.el(address, "ram:LineTwo", party.address.street2)
    if party.address.city:
        b.el(address, "ram:CityName", party.address.city)
    b.el(address, "ram:CountryID", party.address.country or "FR")
    endpoint, scheme = _endpoint(party, seller=seller)
    if endpoint:
        uri = b.el(node, "ram:URIUniversalCommunication")
        b.el(uri, "ram:URIID", endpoint, schemeID=scheme)
    if party.vat_number and vat_id:
        reg = b.el(node, "ram:SpecifiedTaxRegistration")
        b.el(reg, "ram:ID", party.vat_number, schemeID="VA")


def _endpoint(party: Party, *, seller: bool) -> tuple[str, str]:
    """BT-34 / BT-49: the electronic address (SIREN under 0225, else the e-mail)."""
    if party.electronic_address:
        return party.electronic_address, party.electronic_address_scheme or "0225"
    if party.siren and (seller or processing_type(party) == "B2B"):
        return party.siren, "0225"
    if party.email:
        return party.email, "EM"
    return "", ""


def build_cii_xml(doc: InvoiceDocument) -> bytes:
    """The CII XML of the document, EN 16931 profile."""
    b = _Builder()
    root = b.etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    ctx = b.el(root, "rsm:ExchangedDocumentContext")
    b.el(
        b.el(ctx, "ram:BusinessProcessSpecifiedDocumentContextParameter"),
        "ram:ID",
        BILLING_MODE_SERVICES,
    )
    b.el(b.el(ctx, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE_EN16931)

    header = b.el(root, "rsm:ExchangedDocument")
    b.el(header, "ram:ID", doc.number)
    b.el(header, "ram:TypeCode", doc.type_code)
    b.date(header, "ram:IssueDateTime", doc.issue_date)
    for content, subject in _notes(doc):
        note = b.el(header, "ram:IncludedNote")
        b.el(note, "ram:Content", content)
        if subject:
            b.el(note, "ram:SubjectCode", subject)

    tx = b.el(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(doc.lines, start=1):
        item = b.el(tx, "ram:IncludedSupplyChainTradeLineItem")
        b.el(b.el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(index))
        product = b.el(item, "ram:SpecifiedTradeProduct")
        name, description = item_texts(line.description, line.detail)
        b.el(product, "ram:Name", name)
        if description:
            b.el(product, "ram:Description", description)
        agreement = b.el(item, "ram:SpecifiedLineTradeAgreement")
        price = b.el(agreement, "ram:NetPriceProductTradePrice")
        b.el(price, "ram:ChargeAmount", _plain(line.unit_price))
        delivery = b.el(item, "ram:SpecifiedLineTradeDelivery")
        b.el(delivery, "ram:BilledQuantity", _plain(line.quantity), unitCode=line.unit_code)
        settlement = b.el(item, "ram:SpecifiedLineTradeSettlement")
        tax = b.el(settlement, "ram:ApplicableTradeTax")
        b.el(tax, "ram:TypeCode", "VAT")
        b.el(tax, "ram:CategoryCode", line.vat_category)
        if line.vat_category != VAT_OUT_OF_SCOPE:  # BR-O-05: no rate when not subject
            b.el(tax, "ram:RateApplicablePercent", _rate(line.vat_rate))
        if line.period_start and line.period_end:
            period = b.el(settlement, "ram:BillingSpecifiedPeriod")
            b.date(period, "ram:StartDateTime", line.period_start)
            b.date(period, "ram:EndDateTime", line.period_end)
        if line.discount:
            allowance = b.el(settlement, "ram:SpecifiedTradeAllowanceCharge")
            b.el(b.el(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
            b.el(allowance, "ram:ActualAmount", _amount(line.discount))
            b.el(allowance, "ram:Reason", "Remise")
        summation = b.el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        b.el(summation, "ram:LineTotalAmount", _amount(line.total))

    agreement = b.el(tx, "ram:ApplicableHeaderTradeAgreement")
    if doc.buyer.service_code:
        b.el(agreement, "ram:BuyerReference", doc.buyer.service_code)
    # BR-O-02: an invoice out of scope of VAT names neither party's VAT identifier.
    vat_ids = not doc.out_of_scope
    _party(b, agreement, "ram:SellerTradeParty", doc.seller, seller=True, vat_id=vat_ids)
    _party(b, agreement, "ram:BuyerTradeParty", doc.buyer, seller=False, vat_id=vat_ids)
    if doc.purchase_order:
        b.el(
            b.el(agreement, "ram:BuyerOrderReferencedDocument"),
            "ram:IssuerAssignedID",
            doc.purchase_order,
        )
    if doc.contract_reference:
        b.el(
            b.el(agreement, "ram:ContractReferencedDocument"),
            "ram:IssuerAssignedID",
            doc.contract_reference,
        )

    delivery = b.el(tx, "ram:ApplicableHeaderTradeDelivery")
    if doc.delivery_address and not doc.delivery_address.is_empty:
        ship = b.el(delivery, "ram:ShipToTradeParty")
        b.el(ship, "ram:Name", doc.delivery_name or doc.buyer.name)
        address = b.el(ship, "ram:PostalTradeAddress")
        a = doc.delivery_address
        if a.postcode:
            b.el(address, "ram:PostcodeCode", a.postcode)
        if a.street:
            b.el(address, "ram:LineOne", a.street)
        if a.street2:
            b.el(address, "ram:LineTwo", a.street2)
        if a.city:
            b.el(address, "ram:CityName", a.city)
        b.el(address, "ram:CountryID", a.country or "FR")

    settlement = b.el(tx, "ram:ApplicableHeaderTradeSettlement")
    p = doc.payment
    if p.code == MEANS_DIRECT_DEBIT and p.creditor_id:
        b.el(settlement, "ram:CreditorReferenceID", p.creditor_id)
    b.el(settlement, "ram:PaymentReference", doc.number)
    b.el(settlement, "ram:InvoiceCurrencyCode", doc.currency)
    if not doc.is_credit_note:
        means = b.el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        b.el(means, "ram:TypeCode", p.code)
        b.el(means, "ram:Information", p.label)
        if p.code == MEANS_DIRECT_DEBIT and p.debtor_iban:
            b.el(b.el(means, "ram:PayerPartyDebtorFinancialAccount"), "ram:IBANID", p.debtor_iban)
        elif p.iban and p.code not in (MEANS_CHEQUE, MEANS_CASH, MEANS_CARD):
            b.el(
                b.el(means, "ram:PayeePartyCreditorFinancialAccount"),
                "ram:IBANID",
                p.iban.replace(" ", ""),
            )
            if p.bic:
                b.el(
                    b.el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"),
                    "ram:BICID",
                    p.bic,
                )
    for vat in doc.vat_breakdown():
        tax = b.el(settlement, "ram:ApplicableTradeTax")
        b.el(tax, "ram:CalculatedAmount", _amount(vat.amount))
        b.el(tax, "ram:TypeCode", "VAT")
        if vat.exemption_reason:
            b.el(tax, "ram:ExemptionReason", vat.exemption_reason)
        b.el(tax, "ram:BasisAmount", _amount(vat.base))
        b.el(tax, "ram:CategoryCode", vat.category)
        if vat.category in EXEMPTION_CODES:
            b.el(tax, "ram:ExemptionReasonCode", EXEMPTION_CODES[vat.category])
        if vat.category not in EXEMPTION_CODES:
            # BT-8: VAT on services is due on payment (72) unless the firm opted for debits (5).
            b.el(tax, "ram:DueDateTypeCode", "5" if doc.vat_on_debits else "72")
        if vat.category != VAT_OUT_OF_SCOPE:
            b.el(tax, "ram:RateApplicablePercent", _rate(vat.rate))
    if doc.period_start and doc.period_end:
        period = b.el(settlement, "ram:BillingSpecifiedPeriod")
        b.date(period, "ram:StartDateTime", doc.period_start)
        b.date(period, "ram:EndDateTime", doc.period_end)
    terms = b.el(settlement, "ram:SpecifiedTradePaymentTerms")
    b.el(terms, "ram:Description", doc.terms_text or f"Échéance le {doc.due_date:%d/%m/%Y}")
    b.date(terms, "ram:DueDateDateTime", doc.due_date)
    if p.code == MEANS_DIRECT_DEBIT and p.mandate_reference:
        b.el(terms, "ram:DirectDebitMandateID", p.mandate_reference)
    totals = b.el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    b.el(totals, "ram:LineTotalAmount", _amount(doc.total_ht))
    b.el(totals, "ram:TaxBasisTotalAmount", _amount(doc.total_ht))
    b.el(totals, "ram:TaxTotalAmount", _amount(doc.total_vat), currencyID=doc.currency)
    b.el(totals, "ram:GrandTotalAmount", _amount(doc.total_ttc))
    if doc.prepaid:
        b.el(totals, "ram:TotalPrepaidAmount", _amount(doc.prepaid))
    b.el(totals, "ram:DuePayableAmount", _amount(doc.amount_due))
    if doc.original_number:
        ref = b.el(settlement, "ram:InvoiceReferencedDocument")
        b.el(ref, "ram:IssuerAssignedID", doc.original_number)
        if doc.original_date:
            b.date(ref, "ram:FormattedIssueDateTime", doc.original_date, qualified=True)
    return b.etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render_facturx(doc: InvoiceDocument, *, validate: bool = True) -> bytes:
    """The complete, validated Factur-X PDF of one document.

    The XML is built and validated (XSD, EN 16931, BR-FR for a French B2B buyer, the
    mandatory mentions: :mod:`reports.rule_sets`) before any PDF exists; the
    PDF/A-3 with ``factur-x.xml`` embedded is then written in one ReportLab pass
    (:func:`reports.pdfa.install_pdfa`), without re-reading the PDF.
    """
    from reports.invoice_pdf import render_invoice_pdf
    from reports.validation import ensure_valid

    xml = build_cii_xml(doc)
    if validate:
        ensure_valid(xml, number=doc.number, doc=doc)
    return render_invoice_pdf(doc, facturx_xml=xml)


def _exit_with_parent() -> None:
    """A pool worker ends when the process that started it is gone (killed, crashed): it
    would otherwise live on, holding that process's console or pipes open."""
    import multiprocessing
    import os
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="propreo-parent-watch", daemon=True).start()


def warm_up() -> None:
    """Load the XSD and compile both schematrons now (a process-pool worker, at start).
    The fonts are registered by the first rendering (``draw_invoice``): a worker that only
    checks drafts never imports ReportLab."""
    from reports.validation import warm_up as warm_validation

    _exit_with_parent()
    warm_validation()


def render_chunk(docs: list[InvoiceDocument]) -> list[bytes | str]:
    """Worker entry point of :mod:`app.documents.render`: each validated Factur-X PDF, or
    the French reason it was refused. Lives here so that a worker imports ReportLab, lxml
    and Saxon but neither SQLAlchemy nor the models."""

    out: list[bytes | str] = []
    for doc in docs:
        try:
            out.append(render_facturx(doc))
        except PropreoError as exc:
            out.append(str(exc))
    return out


def check_chunk(docs: list[InvoiceDocument]) -> list[list[tuple[str, str, str]]]:
    """Worker entry point: the fatal findings (rule, field, text) of each document's XML
    against the rule sets of its buyer (drafts checked before numbering)."""
    from reports.validation import validate_documents

    found = validate_documents([(doc, build_cii_xml(doc)) for doc in docs])
    return [[(f.rule, f.field, f.text) for f in findings if f.fatal] for findings in found]


def extract_xml(pdf_bytes: bytes) -> bytes:
    """The embedded ``factur-x.xml`` of a Factur-X PDF."""
    from facturx import get_xml_from_pdf

    _name, xml = get_xml_from_pdf(pdf_bytes, check_xsd=False)
    return xml
