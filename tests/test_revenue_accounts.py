"""Revenue accounts and VAT accounts of the sales entries (issue N §4): TC revenue on its
own account and family, not 706100 « contrats »; VAT on goods due on delivery (44571),
not on receipts, while the services' VAT waits for the payment (44574)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

from sqlalchemy import select

from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.issuing import issue_invoices
from app.db import Database
from app.documents.accounting import export_fec
from app.payments.allocation_rules import AllocationLine
from app.payments.entry import PaymentForm, record_payment
from app.quotes import invoicing, planning, transitions
from app.quotes import quotes as uc
from models.catalog import Article, ArticleFamily
from models.clients import Client, Site
from models.company import CompanySettings
from models.invoices import Invoice
from models.quotes import QuoteKind

TODAY = dt.date.today()


def _rows(path: Path) -> list[list[str]]:
    return [ln.split("\t") for ln in path.read_bytes().decode("iso-8859-15").splitlines()][1:]


def _company_client(session):  # type: ignore[no-untyped-def]
    client = session.scalars(
        select(Client).where(Client.kind == "company", Client.siren != "").order_by(Client.id)
    ).first()
    site = session.scalars(select(Site).where(Site.client_id == client.id)).first()
    return client, site


def test_tc_invoice_goes_to_one_off_revenue_and_family(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.write() as session:
        client, site = _company_client(session)
        hour = session.scalar(select(Article).where(Article.code == "NETHEURE"))
        assert hour.family.revenue_account.number == "706100"  # the contracts' account
        quote = uc.create_quote(
            session,
            uc.QuoteForm(
                client_id=client.id,
                site_id=site.id,
                kind=QuoteKind.EXTRA_WORK,
                title="Remise en état après dégât des eaux",
                quote_date=TODAY - dt.timedelta(days=25),
                lines=[
                    uc.LineForm(
                        label="Heures de nettoyage",
                        quantity="10",
                        unit_price="29.50",
                        unit="heure",
                        article_id=hour.id,
                    )
                ],
            ),
        )
        accepted = TODAY - dt.timedelta(days=20)
        transitions.send_quote(session, quote.id, accepted)
        transitions.accept_quote(session, quote.id, accepted)
        planning.mark_done(session, quote.jobs[0].id, quote.jobs[0].planned_date)
        invoice = invoicing.invoice_job(session, quote.jobs[0].id, TODAY)
        (number,) = issue_invoices(session, [invoice.id])
        family = session.get(ArticleFamily, invoice.lines[0].family_id)
        assert (invoice.lines[0].revenue_account, family.code) == ("706200", "TC")
        assert family.label == "Travaux complémentaires"
    with demo_db.read() as session:
        fec = export_fec(session, TODAY, tmp_path)
    revenue = [r for r in _rows(fec.path) if r[8] == number and r[4].startswith("706")]
    assert [(r[4], r[12]) for r in revenue] == [("706200", "295,00")]


def test_goods_vat_is_due_on_delivery(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.write() as session:
        assert not session.get(CompanySettings, 1).vat_on_debits  # services: VAT on receipts
        client, site = _company_client(session)
        codes = dict(session.execute(select(Article.code, Article.id)).all())
        invoice = create_draft_invoice(
            session,
            client.id,
            [
                DraftLine("Heure de nettoyage", D("1"), D("29.50"), article_id=codes["NETHEURE"]),
                DraftLine("Savon mains", D("2"), D("18.90"), article_id=codes["PRODSAV"]),
            ],
            issue_date=TODAY,
            site_id=site.id,
            period_start=TODAY,
            period_end=TODAY,
        )
        assert [ln.goods for ln in invoice.lines] == [False, True]
        (number,) = issue_invoices(session, [invoice.id])
        payment = record_payment(
            session,
            PaymentForm(client_id=client.id, date=TODAY, means="transfer", amount="80.76"),
            [AllocationLine(invoice.id, D("80.76"))],
        )
        assert session.get(Invoice, invoice.id).total_ttc == D("80.76")
    with demo_db.read() as session:
        fec = export_fec(session, TODAY, tmp_path)
    rows = _rows(fec.path)
    sale = {
        (r[4], r[12]) for r in rows if r[0] == "VT" and r[8] == number and r[4].startswith("4457")
    }
    # 29,50 × 20 % = 5,90 on receipts; 37,80 × 20 % = 7,56 due on delivery.
    assert sale == {("445740", "5,90"), ("445710", "7,56")}
    moved = [r for r in rows if r[0] == "OD" and r[8] == payment.number and number in r[10]]
    assert {(r[4], r[11], r[12]) for r in moved} == {
        ("445740", "5,90", "0,00"),
        ("445710", "0,00", "5,90"),
    }
