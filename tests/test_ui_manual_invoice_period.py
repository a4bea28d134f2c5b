"""The manual-invoice dialog asks where and when the service was done (CGI art. 242 nonies A:
the date of the service when it differs from the issue date): the issued invoice prints its
period and site, and its Factur-X carries the period (BT-73/74)."""

from __future__ import annotations

import datetime as dt
import io

from lxml import etree
from pypdf import PdfReader
from pytestqt.qtbot import QtBot

from app import clock
from app.db import Database
from app.documents.build import build_document
from app.documents.render import render_one
from models.invoices import Invoice
from reports.facturx import build_cii_xml
from tests import billing_fixtures as bf
from tests.practical import answering
from ui.billing import BillingTab
from ui.main_window import MainWindow

D = dt.date
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def test_manual_invoice_prints_its_service_period_and_site(qtbot: QtBot, db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        client_id, site_id = client.id, bf.site(s, client).id
        other_site = bf.site(s, bf.client(s, "MARTIN"), "S-MAR").id
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    with clock.pinned(D(2026, 12, 7)):
        dialog = tab.new_invoice(modal=False)
        assert dialog.date.maximumDate().toPython() == D(2026, 12, 7)
        dialog.client.setCurrentIndex(dialog.client.findData(client_id))
        # The client's only site is offered and chosen; another client's is not offered.
        assert dialog.site.currentData() == site_id and dialog.site.findData(other_site) == -1
        dialog.set_line(0, "Remise en état après dégât des eaux", "1", "480")
        dialog.period_start.setDate(D(2026, 11, 23))
        dialog.period_end.setDate(D(2026, 11, 20))
        dialog.save()
        assert "le début (23/11/2026) est après la fin (20/11/2026)" in dialog.error.text()
        assert dialog.invoice_id is None  # nothing written
        dialog.period_end.setDate(D(2026, 11, 25))
        dialog.save()
        assert dialog.invoice_id is not None
        # Reopened: the period and site are those saved; changed, they are kept.
        edit = tab.new_invoice(modal=False, draft_id=dialog.invoice_id)
        assert edit.service() == (site_id, D(2026, 11, 23), D(2026, 11, 25))
        edit.period_start.setDate(D(2026, 11, 24))
        edit.save()
        tab.load_invoices()
        tab.invoices.view.selectRow(0)
        with answering() as answers:  # the confirmation says the number it will take
            tab.issue_listed()
            qtbot.waitUntil(lambda: tab.last_numbers == ["FA2026-00001"], timeout=30_000)
        assert any("FA2026-00001" in t for t in answers.texts), answers.texts
    with db.read() as s:
        inv = s.get(Invoice, dialog.invoice_id)
        assert (inv.site_id, inv.period_start, inv.period_end, inv.issue_date) == (
            site_id, D(2026, 11, 24), D(2026, 11, 25), D(2026, 12, 7)
        )  # fmt: skip
        doc = build_document(s, inv.id)
    text = PdfReader(io.BytesIO(render_one(doc))).pages[0].extract_text()
    assert "du 24/11/2026 au 25/11/2026" in text
    assert doc.delivery_name and doc.delivery_name in text
    root = etree.fromstring(build_cii_xml(doc))
    period = root.find(".//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod", NS)
    assert [e.text for e in period.iter("{*}DateTimeString")] == ["20261124", "20261125"]
