"""The one-pass Factur-X PDF/A-3 (reports.pdfa.install_pdfa): what a PDF/A validator and a
Factur-X reader look at — the embedded file and its parameters, the Info dictionary that
must mirror the XMP, the Factur-X extension schema — read back with pypdf and poppler."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from reports.facturx import build_cii_xml, extract_xml, render_facturx
from reports.invoice_layout import draw_invoice
from tests import documents_samples as samples
from tests.test_invoice_pdf import text_of

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS = {
    "x": "adobe:ns:meta/",
    "rdf": RDF,
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}
WHEN = dt.datetime(2026, 10, 31, 17, 45, 12, tzinfo=dt.UTC)


def _pdf() -> tuple[bytes, bytes]:
    doc = samples.invoice()
    xml = build_cii_xml(doc)
    return draw_invoice(doc, facturx_xml=xml, created=WHEN), xml


def test_embedded_file_has_the_parameters_of_the_specification() -> None:
    pdf, xml = _pdf()
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert root["/PageMode"] == "/UseAttachments"
    assert root["/Lang"] == "fr-FR"
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == "factur-x.xml"
    spec = names[1].get_object()
    assert spec == root["/AF"][0].get_object()
    assert spec["/Type"] == "/Filespec" and spec["/UF"] == "factur-x.xml"
    assert spec["/AFRelationship"] == "/Data"
    stream = spec["/EF"]["/F"].get_object()
    assert stream["/Type"] == "/EmbeddedFile"
    assert stream["/Subtype"] == "/text/xml"  # written /text#2Fxml
    assert b"/Subtype /text#2Fxml" in pdf
    assert stream.get_data() == xml
    params = stream["/Params"]
    assert params["/Size"] == len(xml)
    assert bytes(params["/CheckSum"]) == hashlib.md5(xml).digest()
    assert params["/ModDate"] == "D:20261031174512+00'00'"
    assert extract_xml(pdf) == xml  # factur-x's own reader


def test_info_dictionary_mirrors_the_xmp() -> None:
    pdf, _xml = _pdf()
    reader = PdfReader(io.BytesIO(pdf))
    info = reader.trailer["/Info"].get_object()
    xmp = reader.trailer["/Root"]["/Metadata"].get_object()
    assert "/Filter" not in xmp  # metadata left readable
    tree = etree.fromstring(xmp.get_data())

    def one(path: str) -> str:
        (value,) = tree.xpath(path, namespaces=NS)
        return str(value)

    assert one("//pdfaid:part/text()") == "3" and one("//pdfaid:conformance/text()") == "B"
    assert info["/Title"] == one("//dc:title//rdf:li/text()") == "Facture FA2026-00042"
    assert info["/Author"] == one("//dc:creator//rdf:li/text()") == "Lumière Propreté Services"
    assert info["/Subject"] == one("//dc:description//rdf:li/text()")
    assert "Cabinet Dupont Expertise" in info["/Subject"]
    assert info["/Producer"] == one("//pdf:Producer/text()") == "Propreo"
    assert info["/Creator"] == one("//xmp:CreatorTool/text()")
    assert info["/Keywords"] == one("//pdf:Keywords/text()")
    assert info["/CreationDate"] == info["/ModDate"] == "D:20261031174512+00'00'"
    assert one("//xmp:CreateDate/text()") == one("//xmp:ModifyDate/text()")
    assert one("//xmp:CreateDate/text()") == "2026-10-31T17:45:12+00:00"
    assert "/Trapped" not in info  # not mirrored in the XMP, so not written


def test_xmp_declares_the_facturx_extension_schema() -> None:
    pdf, _xml = _pdf()
    reader = PdfReader(io.BytesIO(pdf))
    tree = etree.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
    assert tree.xpath("//pdfaSchema:prefix/text()", namespaces=NS) == ["fx"]
    assert tree.xpath("//pdfaSchema:namespaceURI/text()", namespaces=NS) == [NS["fx"]]
    declared = tree.xpath("//pdfaProperty:name/text()", namespaces=NS)
    assert sorted(declared) == [
        "ConformanceLevel",
        "DocumentFileName",
        "DocumentType",
        "Version",
    ]
    assert tree.xpath("//fx:DocumentType/text()", namespaces=NS) == ["INVOICE"]
    assert tree.xpath("//fx:DocumentFileName/text()", namespaces=NS) == ["factur-x.xml"]
    assert tree.xpath("//fx:Version/text()", namespaces=NS) == ["1.0"]
    assert tree.xpath("//fx:ConformanceLevel/text()", namespaces=NS) == ["EN 16931"]


def test_output_intent_and_one_clean_file() -> None:
    pdf = render_facturx(samples.long_invoice(70))
    assert pdf.count(b"%%EOF") == 1
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    assert profile.get_data()[36:40] == b"acsp"  # an ICC profile
    ids = reader.trailer["/ID"]
    assert len(ids) == 2 and ids[0] == ids[1]  # PDF/A: a file identifier


@pytest.mark.skipif(shutil.which("pdfdetach") is None, reason="poppler-utils absent")
def test_poppler_lists_and_extracts_the_xml(tmp_path: Path) -> None:
    pdf, xml = _pdf()
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "1 embedded files" in listing and "factur-x.xml" in listing
    subprocess.run(
        ["pdfdetach", "-save", "1", "-o", str(tmp_path / "x.xml"), str(path)], check=True
    )
    assert (tmp_path / "x.xml").read_bytes() == xml
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Syntax Error" not in info.stderr, info.stderr


def test_reverse_charge_label_fits_its_column(tmp_path: Path) -> None:
    text = text_of(render_facturx(samples.reverse_charge()), tmp_path)
    row = next(line for line in text.splitlines() if "Nettoyage de fin de chantier" in line)
    assert "Autoliq." in row  # on the line's row, not broken over two lines
    assert re.search(r"Autoliquidation 2 400,00 € 0,00 €", text)  # VAT breakdown row
    assert "Autoliquidation – TVA due par le preneur (art. 283-2 nonies du CGI)." in text


def test_long_descriptions_wrap_inside_their_cell(tmp_path: Path) -> None:
    long_text = "Nettoyage approfondi " * 12 + "fin"
    doc = samples.invoice(lines=(samples.line(long_text.strip(), "1", "10.00"),))
    text = text_of(render_facturx(doc), tmp_path)
    assert text.count("Nettoyage") == 12 and text.count("approfondi") == 12
    rows = [line for line in text.splitlines() if "Nettoyage" in line or line.strip() == "fin"]
    assert len(rows) >= 3  # wrapped over several lines of its cell
    assert "10,00 €" in rows[0]  # the amounts stay on the row's first line
    assert rows[-1].strip().endswith("fin")


def test_font_subsets_are_shared_and_unusual_letters_still_print(tmp_path: Path) -> None:
    from reports import fonts

    def font_files(pdf: bytes) -> list[bytes]:
        reader = PdfReader(io.BytesIO(pdf))
        resources = reader.pages[0]["/Resources"]["/Font"]
        return sorted(
            f.get_object()["/FontDescriptor"]["/FontFile2"].get_object().get_data()
            for f in resources.values()
        )

    first = draw_invoice(samples.invoice())
    second = draw_invoice(samples.credit_note())
    assert font_files(first) == font_files(second)  # same glyph lists: built once
    buyer = dataclasses.replace(samples.COMPANY_BUYER, name="Łukasz Øster Ærø")
    odd = draw_invoice(samples.invoice(buyer=buyer))
    assert font_files(odd) != font_files(first)
    assert "Łukasz Øster Ærø" in text_of(odd, tmp_path)
    assert len(fonts._SUBSETS) <= fonts._SUBSET_CACHE_SIZE
