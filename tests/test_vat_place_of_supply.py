"""VAT by where the building is (CGI art. 259 A 2°), foreign buyers' processing note and
reverse charge refused without a VAT number (issue N §4, edge-case firms: EU company,
reverse charge)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.issuing import issue_invoices
from app.documents.build import build_document
from app.errors import ValidationError
from models.catalog import VatRate
from models.clients import Site
from models.invoices import Invoice
from reports.facturx import NS, build_cii_xml
from reports.validation import validate_xml
from tests import billing_fixtures as fx

DAY = dt.date(2026, 11, 30)


def _eu_company(session: Session, vat: str = "BE0403170701"):  # type: ignore[no-untyped-def]
    return fx.client(
        session,
        "NETBRU",
        name="Nettoyage Bruxellois SA",
        siren="",
        vat_number=vat,
        street="Rue Royale 12",
        postcode="1000",
        city="Bruxelles",
        country="BE",
        email="factures@nb.be",
    )


def _site(session: Session, client, code: str, city: str, country: str) -> Site:  # type: ignore[no-untyped-def]
    s = Site(
        code=code,
        name=f"Immeuble {city}",
        client_id=client.id,
        street="1 place centrale",
        postcode="1000" if country != "FR" else "69002",
        city=city,
        country=country,
    )
    session.add(s)
    session.flush()
    return s


def _issue(session: Session, client, site: Site, price: str = "1000.00", **kw) -> Invoice:  # type: ignore[no-untyped-def]
    inv = create_draft_invoice(
        session,
        client.id,
        [DraftLine("Nettoyage des parties communes", D("1"), D(price), **kw)],
        issue_date=DAY,
        site_id=site.id,
        period_start=dt.date(2026, 11, 1),
        period_end=DAY,
    )
    issue_invoices(session, [inv.id])
    return inv


def _xpath(xml: bytes, path: str) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(path, namespaces=NS)]


def test_building_abroad_is_out_of_scope_of_french_vat(session: Session) -> None:
    fx.firm(session)
    client = _eu_company(session)
    inv = _issue(session, client, _site(session, client, "S-BRU", "Bruxelles", "BE"))
    assert (inv.total_ht, inv.total_vat, inv.total_ttc) == (D("1000.00"), 0, D("1000.00"))
    assert [(ln.vat_category, ln.vat_rate) for ln in inv.lines] == [("O", 0)]
    doc = build_document(session, inv.id)
    mention = (
        "Opération hors du champ de la TVA française : prestation se rattachant à un "
        "immeuble situé hors de France (BE), art. 259 A 2° du CGI."
    )
    assert mention in doc.vat_mentions()
    xml = build_cii_xml(doc)
    assert [f for f in validate_xml(xml) if f.fatal] == []
    assert _xpath(xml, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content/text()") == ["B2BINT"]
    assert _xpath(xml, "//ram:ShipToTradeParty//ram:CountryID/text()") == ["BE"]
    assert _xpath(xml, "//ram:ExemptionReasonCode/text()") == ["VATEX-EU-O"]


def test_building_in_france_takes_french_vat_whatever_the_client_country(
    session: Session,
) -> None:
    fx.firm(session)
    client = _eu_company(session)
    inv = _issue(session, client, _site(session, client, "S-LYO", "Lyon", "FR"))
    assert (inv.total_vat, inv.total_ttc) == (D("200.00"), D("1200.00"))
    xml = build_cii_xml(build_document(session, inv.id))
    assert [f for f in validate_xml(xml) if f.fatal] == []
    assert _xpath(xml, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content/text()") == [
        "B2BINT"  # a foreign company, never « B2C »
    ]


def test_reverse_charge_refused_without_vat_number(session: Session) -> None:
    fx.firm(session)
    client = fx.client(session, "BTPNOVAT", vat_number="")
    site = fx.site(session, client)
    al = session.scalar(select(VatRate.id).where(VatRate.code == "AL"))
    with pytest.raises(ValidationError) as err:
        _issue(session, client, site, vat_rate_id=al)
    assert err.value.field == "N° TVA intracommunautaire"
    assert "Autoliquidation (art. 283-2 nonies du CGI) impossible pour le client BTPNOVAT" in str(
        err.value
    )
    assert session.scalar(select(Invoice.id).where(Invoice.client_id == client.id)) is None
    # With the number, the same reverse-charge invoice is made and issued at 0 %.
    client.vat_number = "FR40552100554"
    inv = _issue(session, client, site, vat_rate_id=al)
    assert inv.number and inv.total_vat == 0 and inv.lines[0].vat_category == "AE"


def test_reverse_charge_contract_without_vat_number_is_flagged_before_the_run(
    session: Session,
) -> None:
    from app.billing.consistency import contract_problems
    from app.billing.contracts import ContractForm, LineForm, activate, create_contract
    from models.catalog import Article

    fx.firm(session)
    client = fx.client(session, "BTPNOVAT", vat_number="")
    end_of_works = fx.article(session, "FINCH", "Nettoyage de fin de chantier")
    end_of_works.vat_rate_id = session.scalar(select(VatRate.id).where(VatRate.code == "AL"))
    contract = create_contract(
        session,
        ContractForm(client_id=client.id, start_date=dt.date(2026, 1, 1), title="Fin de chantier"),
        [
            LineForm(
                "Nettoyage de fin de chantier", D(1), D(900), "monthly", "arrears", end_of_works.id
            )
        ],
        today=dt.date(2026, 1, 1),
    )
    activate(session, contract.id)

    def flagged() -> list[str]:
        return [p.message for p in contract_problems(session) if p.kind.startswith("reverse")]

    assert flagged() == [
        "ligne « Nettoyage de fin de chantier » en autoliquidation (art. 283-2 nonies du CGI) "
        "pour un client sans N° TVA intracommunautaire : renseignez-le dans sa fiche, ou "
        "facturez avec TVA"
    ]
    client.vat_number = "FR40552100554"
    session.flush()
    assert flagged() == []
    assert session.get(Article, end_of_works.id).sap_service is False
