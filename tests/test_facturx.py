"""Factur-X EN 16931: XSD + EN 16931 schematron + BR-FR, run offline with saxonche."""

from __future__ import annotations

import io

import pytest
from lxml import etree
from pypdf import PdfReader

from app.errors import DocumentInvalid
from reports.facturx import NS, build_cii_xml, extract_xml, render_facturx
from reports.validation import ensure_valid, validate_xml
from tests import documents_samples as samples

CASES = {
    "invoice": samples.invoice,
    "credit_note": samples.credit_note,
    "reverse_charge": samples.reverse_charge,
    "multi_rate": samples.multi_rate,
    "down_payment": samples.down_payment,
    "final_after_down_payment": samples.final_after_down_payment,
    "public_body": samples.public_body,
    "condominium": samples.condominium,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cases_pass_xsd_en16931_and_br_fr(case: str) -> None:
    findings = validate_xml(build_cii_xml(CASES[case]()))
    assert [f for f in findings if f.fatal] == []


def xpath(xml: bytes, path: str) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(path, namespaces=NS)]


def test_xml_carries_the_printed_values() -> None:
    xml = build_cii_xml(samples.multi_rate())
    assert xpath(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()") == [
        "urn:cen.eu:en16931:2017"
    ]
    assert xpath(xml, "//ram:RateApplicablePercent/text()")[-3:] == ["20.00", "10.00", "5.5"]
    # 640 × 20 % = 128,00 ; 240 × 10 % = 24,00 ; 88 × 5,5 % = 4,84
    assert xpath(
        xml,
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount/text()",
    ) == ["128.00", "24.00", "4.84"]
    assert xpath(xml, "//ram:GrandTotalAmount/text()") == ["1124.84"]
    assert xpath(xml, "//ram:DueDateTypeCode/text()") == ["72", "72", "72"]  # VAT on payment
    notes = dict(
        zip(
            xpath(xml, "//ram:IncludedNote/ram:SubjectCode/text()"),
            xpath(xml, "//ram:IncludedNote[ram:SubjectCode]/ram:Content/text()"),
            strict=True,
        )
    )
    assert notes["BAR"] == "B2B"
    assert "40 €" in notes["PMT"]
    assert "12,15 %" in notes["PMD"]


def test_reverse_charge_and_credit_note_codes() -> None:
    xml = build_cii_xml(samples.reverse_charge())
    assert xpath(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode/text()"
    ) == ["AE"]
    assert xpath(xml, "//ram:ExemptionReasonCode/text()") == ["VATEX-EU-AE"]
    assert xpath(xml, "//ram:TaxTotalAmount/text()") == ["0.00"]
    credit = build_cii_xml(samples.credit_note())
    assert xpath(credit, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["381"]
    assert xpath(credit, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [
        "FA2026-00042"
    ]
    down = build_cii_xml(samples.final_after_down_payment())
    assert xpath(down, "//ram:TotalPrepaidAmount/text()") == ["1080.00"]
    assert xpath(down, "//ram:DuePayableAmount/text()") == ["2520.00"]


def test_public_body_and_condominium_parties() -> None:
    public = build_cii_xml(samples.public_body())
    assert xpath(public, "//ram:BuyerReference/text()") == ["SERV-PROPRETE"]
    assert "21690264700014" in xpath(public, "//ram:BuyerTradeParty/ram:GlobalID/text()")
    sdc = build_cii_xml(samples.condominium())
    assert xpath(sdc, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content/text()") == ["B2C"]
    assert xpath(
        sdc, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID"
    ) == ["EM"]
    assert (
        "non applicable"
        in xpath(sdc, "//ram:IncludedNote[ram:SubjectCode='PMT']/ram:Content/text()")[0]
    )


def test_broken_invoice_is_refused_naming_rule_and_field() -> None:
    broken = build_cii_xml(samples.invoice()).replace(
        b'schemeID="0002">812345674<', b'schemeID="0002">81234<'
    )
    with pytest.raises(DocumentInvalid) as info:
        ensure_valid(broken, number="FA2026-00042")
    message = str(info.value)
    assert "FA2026-00042" in message
    assert "BR-FR-" in message
    assert "SIRE" in message  # SIRET/SIREN du vendeur named


def test_wrong_total_is_refused_by_en16931() -> None:
    xml = build_cii_xml(samples.invoice()).replace(b">3057.85<", b">3057.86<")
    fatal = [f for f in validate_xml(xml) if f.fatal]
    assert any(f.rule == "BR-CO-15" for f in fatal)
    assert any(f.field == "total TTC" for f in fatal)


def test_buyer_without_electronic_address_is_refused_only_where_br_fr_applies() -> None:
    import dataclasses

    # A copropriété is out of the French B2B exchange: no BT-49 needed (docs/DOMAIN.md).
    sdc = dataclasses.replace(samples.SDC_BUYER, email="")
    assert render_facturx(
        samples.condominium().__class__(**{**samples.condominium().__dict__, "buyer": sdc})
    )
    # A French company without SIREN has no routing address: refused before any PDF.
    company = dataclasses.replace(samples.COMPANY_BUYER, siren="", siret="", email="")
    with pytest.raises(DocumentInvalid, match="adresse électronique du client") as refused:
        render_facturx(samples.invoice(buyer=company))
    assert "MENTION-SIREN-CLIENT" in str(refused.value)


def test_pdf_is_pdfa3_with_embedded_facturx_xml() -> None:
    pdf = render_facturx(samples.invoice())
    assert pdf.count(b"%%EOF") == 1  # one clean file, no appended second PDF
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert len(intent["/DestOutputProfile"].get_object().get_data()) > 300
    xmp = root["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert b"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in xmp
    assert b"EN 16931" in xmp
    filespec = root["/AF"][0].get_object()
    assert filespec["/AFRelationship"] == "/Data"
    assert filespec["/F"] == "factur-x.xml"
    xml = extract_xml(pdf)
    assert xml == build_cii_xml(samples.invoice())
