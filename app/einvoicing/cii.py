"""Read the few business values of a CII invoice (Factur-X XML) a platform routes on and a
receiver lists: number, date, seller and buyer SIREN, totals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NS = {"rsm": RSM, "ram": RAM, "udt": UDT}
_AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
_TOTALS = (
    "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
    "ram:SpecifiedTradeSettlementHeaderMonetarySummation"
)


class CiiError(ValueError):
    pass


@dataclass(frozen=True)
class CiiInvoice:
    number: str
    issue_date: dt.date
    type_code: str
    seller_name: str
    seller_siren: str
    buyer_name: str
    buyer_siren: str
    buyer_country: str
    total_ht: Decimal
    total_ttc: Decimal


def _text(root: etree._Element, path: str) -> str:
    node = root.find(path, NS)
    return (node.text or "").strip() if node is not None else ""


def _amount(root: etree._Element, path: str) -> Decimal:
    try:
        return Decimal(_text(root, path) or "0")
    except InvalidOperation:
        raise CiiError(f"montant illisible : {path}") from None


def read(xml: bytes) -> CiiInvoice:
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise CiiError(f"XML illisible : {exc}") from None
    if root.tag != f"{{{RSM}}}CrossIndustryInvoice":
        raise CiiError("racine CrossIndustryInvoice attendue")
    day = _text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")
    try:
        issue_date = dt.datetime.strptime(day, "%Y%m%d").date()
    except ValueError:
        raise CiiError("date d'émission (BT-2) illisible") from None
    seller = f"{_AGREEMENT}/ram:SellerTradeParty"
    buyer = f"{_AGREEMENT}/ram:BuyerTradeParty"
    return CiiInvoice(
        number=_text(root, "rsm:ExchangedDocument/ram:ID"),
        issue_date=issue_date,
        type_code=_text(root, "rsm:ExchangedDocument/ram:TypeCode"),
        seller_name=_text(root, f"{seller}/ram:Name"),
        seller_siren=_text(root, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID"),
        buyer_name=_text(root, f"{buyer}/ram:Name"),
        buyer_siren=_text(root, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID"),
        buyer_country=_text(root, f"{buyer}/ram:PostalTradeAddress/ram:CountryID"),
        total_ht=_amount(root, f"{_TOTALS}/ram:TaxBasisTotalAmount"),
        total_ttc=_amount(root, f"{_TOTALS}/ram:GrandTotalAmount"),
    )
