"""Factur-X edge cases (issue N §4): the full line text in BT-153/BT-154, the processing
note (BAR) of foreign buyers."""

from __future__ import annotations

import dataclasses

from lxml import etree

from reports.facturx import NS, build_cii_xml
from reports.invoice_model import Address
from reports.validation import validate_xml
from tests import documents_samples as samples

LONG = (
    "Remise en état complète des parties communes après travaux de ravalement : "
    "décapage des sols du hall, des paliers et des escaliers des bâtiments A, B et C, "
    "lessivage des murs et plafonds, nettoyage des vitres et des menuiseries, "
    "enlèvement des gravats et évacuation en déchetterie agréée avec bordereau de suivi"
)


def _xpath(xml: bytes, path: str) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(path, namespaces=NS)]


def _fatal(xml: bytes) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in validate_xml(xml) if f.fatal]


def test_long_line_text_is_never_cut() -> None:
    assert len(LONG) > 300
    doc = samples.invoice(
        lines=(
            samples.line(LONG + "\nSecond paragraphe : accès par la cour.", "1", "3200.00"),
            samples.line("Entretien des bureaux", "1", "100.00", detail="Site Foch"),
        )
    )
    xml = build_cii_xml(doc)
    names = _xpath(xml, "//ram:SpecifiedTradeProduct/ram:Name/text()")
    details = _xpath(xml, "//ram:SpecifiedTradeProduct/ram:Description/text()")
    # BT-153 a short name, ended on a whole word; BT-154 the rest: together the full text.
    assert len(names[0]) <= 100 and LONG.startswith(names[0].removesuffix(" …"))
    rest = details[0]
    assert (
        " ".join([names[0].removesuffix(" …"), rest]).split()
        == (LONG + " Second paragraphe : accès par la cour.").split()
    )
    assert names[1] == "Entretien des bureaux" and details[1] == "Site Foch"
    assert _fatal(xml) == []


def test_short_text_with_detail_keeps_both() -> None:
    doc = samples.invoice(
        lines=(samples.line("Vitrerie\nFaçade nord, nacelle", "1", "650.00", detail="Site Foch"),)
    )
    xml = build_cii_xml(doc)
    assert _xpath(xml, "//ram:SpecifiedTradeProduct/ram:Name/text()") == ["Vitrerie"]
    assert _xpath(xml, "//ram:SpecifiedTradeProduct/ram:Description/text()") == [
        "Façade nord, nacelle\nSite Foch"
    ]


def _bar(doc: object) -> list[str]:
    xml = build_cii_xml(doc)  # type: ignore[arg-type]
    return _xpath(xml, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content/text()")


def test_foreign_company_is_b2bint_not_b2c() -> None:
    belgian = dataclasses.replace(
        samples.COMPANY_BUYER,
        name="Nettoyage Bruxellois SA",
        address=Address("Rue Royale 12", "", "1000", "Bruxelles", "BE"),
        siren="",
        siret="",
        vat_number="BE0403170701",
        email="factures@nb.be",
    )
    doc = samples.invoice(buyer=belgian)
    assert _bar(doc) == ["B2BINT"]
    assert _fatal(build_cii_xml(doc)) == []


def test_foreign_private_person_is_b2cint_and_french_ones_b2c() -> None:
    person = dataclasses.replace(
        samples.SDC_BUYER,
        name="M. Jan Kowalski",
        address=Address("ul. Długa 5", "", "00-238", "Warszawa", "PL"),
        address_lines=(),
        email="jan@example.pl",
    )
    assert _bar(samples.invoice(buyer=person)) == ["B2CINT"]
    assert _bar(samples.condominium()) == ["B2C"]
    assert _bar(samples.invoice()) == ["B2B"]
