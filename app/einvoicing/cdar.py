"""Life-cycle status messages (CDAR, UN/CEFACT CrossDomainAcknowledgementAndResponse D22B).

Only the elements Propreo reads or writes are produced (the referenced invoice, its
status code MDT-88, the reason, the date, and for « Encaissée » the amount cashed): a
subset of the DGFiP message, assumed and documented in docs/EINVOICING.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

RSM = "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS = {"rsm": RSM, "ram": RAM}


@dataclass(frozen=True)
class Status:
    invoice_number: str
    invoice_date: dt.date
    seller_siren: str
    code: str
    at: dt.datetime
    reason: str = ""
    amount: Decimal | None = None


def _el(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}")
    if text is not None:
        node.text = text
    return node


def build(status: Status) -> bytes:
    root = etree.Element(f"{{{RSM}}}CrossDomainAcknowledgementAndResponse", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(
        _el(context, "ram:GuidelineSpecifiedDocumentContextParameter"),
        "ram:ID",
        "urn.cpro.gouv.fr:1p0:CDV:invoice",
    )
    doc = _el(root, "rsm:ExchangedDocument")
    _el(doc, "ram:IssueDateTime", status.at.strftime("%Y%m%d%H%M%S"))
    ack = _el(root, "rsm:AcknowledgementDocument")
    _el(ack, "ram:TypeCode", "305")
    ref = _el(ack, "ram:ReferenceReferencedDocument")
    _el(ref, "ram:IssuerAssignedID", status.invoice_number)
    _el(ref, "ram:FormattedIssueDateTime", status.invoice_date.strftime("%Y%m%d"))
    _el(ref, "ram:SellerSIREN", status.seller_siren)
    _el(ref, "ram:ProcessConditionCode", status.code)
    if status.reason:
        _el(_el(ref, "ram:SpecifiedDocumentStatus"), "ram:Reason", status.reason)
    if status.amount is not None:
        characteristic = _el(ref, "ram:SpecifiedDocumentCharacteristic")
        _el(characteristic, "ram:TypeCode", "MEN")
        _el(characteristic, "ram:ValueAmount", f"{status.amount:.2f}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class CdarError(ValueError):
    pass


def _text(node: etree._Element, path: str) -> str:
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def parse(data: bytes) -> Status:
    """The status a CDAR message carries; :class:`CdarError` names what is missing."""
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise CdarError(f"XML illisible : {exc}") from None
    if root.tag != f"{{{RSM}}}CrossDomainAcknowledgementAndResponse":
        raise CdarError("racine CrossDomainAcknowledgementAndResponse attendue")
    ref = root.find("rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument", NS)
    if ref is None:
        raise CdarError("ReferenceReferencedDocument absent")
    number = _text(ref, "ram:IssuerAssignedID")
    code = _text(ref, "ram:ProcessConditionCode")
    if not number or not code.isdigit():
        raise CdarError("IssuerAssignedID ou ProcessConditionCode absent")
    try:
        at = dt.datetime.strptime(
            _text(root, "rsm:ExchangedDocument/ram:IssueDateTime"), "%Y%m%d%H%M%S"
        ).replace(tzinfo=dt.UTC)
        day = dt.datetime.strptime(_text(ref, "ram:FormattedIssueDateTime"), "%Y%m%d").date()
    except ValueError:
        raise CdarError("date illisible (IssueDateTime, FormattedIssueDateTime)") from None
    amount_text = _text(ref, "ram:SpecifiedDocumentCharacteristic/ram:ValueAmount")
    try:
        amount = Decimal(amount_text) if amount_text else None
    except InvalidOperation:
        raise CdarError("ValueAmount illisible") from None
    return Status(
        invoice_number=number,
        invoice_date=day,
        seller_siren=_text(ref, "ram:SellerSIREN"),
        code=code,
        at=at,
        reason=_text(ref, "ram:SpecifiedDocumentStatus/ram:Reason"),
        amount=amount,
    )
