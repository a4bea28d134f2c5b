"""Services à la personne (issue N §4): the SAP mentions only for a firm declared SAP, a
private client and an article marked SAP (a 10 % housing-works line is not SAP), with the
mentions of art. D7233-1; the yearly tax certificate, printed and sent in batch."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as E
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.issuing import issue_invoices
from app.cli import main
from app.db import Database
from app.documents.build import build_document
from app.errors import ValidationError
from app.money import format_amount
from app.payments.allocation_rules import AllocationLine
from app.payments.entry import PaymentForm, record_payment
from app.sap import attestation_pdf, attestations
from models.catalog import Article, VatRate
from models.clients import Client
from models.company import CompanySettings
from models.invoices import Invoice
from reports.facturx import build_cii_xml
from reports.invoice_pdf import render_invoice_pdf
from tests.pg import target_of
from tests.test_email import Inbox, free_port

DAY = dt.date(2026, 3, 31)
DECLARATION = "Services à la personne – déclaration n° SAP812345676 du 15/03/2020"


def _firm(session: Session) -> None:
    from tests.billing_fixtures import firm

    firm(session)
    company = session.get(CompanySettings, 1)
    company.sap_declaration_number = "SAP812345676"
    company.sap_declaration_date = dt.date(2020, 3, 15)
    rates = dict(session.execute(select(VatRate.code, VatRate.id)).all())
    session.add_all(
        [
            Article(code="MENAGE", label="Ménage au domicile", unit="heure",
                    unit_price=E("26.00"), vat_rate_id=rates["T10"], sap_service=True),
            # 10 % too, but works in a dwelling: not a service à la personne.
            Article(code="TRXLOG", label="Remise en état du logement après travaux",
                    unit="forfait", unit_price=E("300.00"), vat_rate_id=rates["T10"]),
        ]
    )  # fmt: skip
    session.flush()


def _client(session: Session, code: str, kind: str, **kw: object) -> Client:
    client = Client(code=code, name=f"Client {code}", kind=kind, street="3 rue Vendôme",
                    postcode="69006", city="Lyon", payment_means="cheque",
                    siren="732829320" if kind == "company" else "", **kw)  # fmt: skip
    session.add(client)
    session.flush()
    return client


def _invoice(session: Session, client: Client, *articles: tuple[str, str]) -> Invoice:
    ids = dict(session.execute(select(Article.code, Article.id)).all())
    inv = create_draft_invoice(
        session,
        client.id,
        [DraftLine(quantity=qty, unit_price="0", article_id=ids[code]) for code, qty in articles],
        issue_date=DAY,
        period_start=dt.date(2026, 3, 1),
        period_end=DAY,
    )
    for line in inv.lines:  # the article's price
        line.unit_price = session.get(Article, line.article_id).unit_price
        line.total_ht = line.quantity * line.unit_price
    from app.billing.invoices import apply_totals

    apply_totals(inv)
    issue_invoices(session, [inv.id])
    return inv


def _pdf_text(session: Session, invoice: Invoice) -> str:
    pdf = render_invoice_pdf(build_document(session, invoice.id))
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_sap_mentions_only_for_a_private_client_and_a_sap_article(session: Session) -> None:
    _firm(session)
    person = _client(session, "MARTIN", "person")
    sap = _invoice(session, person, ("MENAGE", "10"))
    doc = build_document(session, sap.id)
    assert doc.sap_mentions[0] == f"{DECLARATION} (art. L7232-1-1 du Code du travail)."
    assert doc.sap_mentions[1] == (
        f"Services à la personne facturés (Ménage au domicile) : {format_amount(E(286))} TTC, "
        "selon les heures et taux horaires des lignes ci-dessus."
    )
    assert "199 sexdecies" in doc.sap_mentions[2]
    text = _pdf_text(session, sap)
    assert DECLARATION in text and "199 sexdecies" in text
    assert b"SAP812345676" in build_cii_xml(doc)
    # A company or a copropriété buying the same service, a private client's 10 % housing
    # works: no SAP.
    company = _client(session, "SOCIETE", "company")
    copro = _client(session, "SDCTILL", "condominium")  # a copropriété is never a SAP client
    for invoice in (
        _invoice(session, company, ("MENAGE", "10")),
        _invoice(session, copro, ("MENAGE", "10")),
        _invoice(session, person, ("TRXLOG", "1")),
    ):
        assert build_document(session, invoice.id).sap_mentions == ()
        assert "Services à la personne" not in _pdf_text(session, invoice)


def test_firm_not_declared_sap_prints_no_mention(session: Session) -> None:
    _firm(session)
    session.get(CompanySettings, 1).sap_declaration_number = ""
    invoice = _invoice(session, _client(session, "MARTIN", "person"), ("MENAGE", "4"))
    assert build_document(session, invoice.id).sap_mentions == ()
    with pytest.raises(ValidationError, match="N° de déclaration SAP"):
        attestations(session, 2026)


def _pay(session: Session, client: Client, invoice: Invoice, amount: str, means: str) -> None:
    record_payment(
        session,
        PaymentForm(client_id=client.id, date=DAY + dt.timedelta(days=5), means=means,
                    amount=amount, cheque_number="1234567", cheque_bank="LCL"),
        [AllocationLine(invoice.id, E(amount))],
    )  # fmt: skip


def _paid_year(session: Session) -> tuple[Client, Client]:
    _firm(session)
    martin = _client(session, "MARTIN", "person", email="martin@example.org")
    durand = _client(session, "DURAND", "person")  # no e-mail: printed, not sent
    mixed = _invoice(session, martin, ("MENAGE", "10"), ("TRXLOG", "1"))  # 286 + 330 TTC
    _pay(session, martin, mixed, "616.00", "cheque")
    cash = _invoice(session, martin, ("MENAGE", "2"))
    _pay(session, martin, cash, "57.20", "cash")  # not an eligible means (D7233-3)
    half = _invoice(session, durand, ("MENAGE", "5"))
    _pay(session, durand, half, "71.50", "transfer")  # half of 143,00
    company = _client(session, "SOCIETE", "company")
    sold = _invoice(session, company, ("MENAGE", "1"))
    _pay(session, company, sold, "28.60", "transfer")  # a company: no certificate
    return martin, durand


def test_yearly_certificate_sums_the_sap_share_paid(session: Session) -> None:
    _paid_year(session)
    found = {a.client_code: a for a in attestations(session, 2026)}
    assert sorted(found) == ["DURAND", "MARTIN"]
    # MARTIN: the 286,00 SAP share of the 616,00 cheque; the cash payment left out.
    assert found["MARTIN"].total == E("286.00")
    assert found["DURAND"].total == E("71.50")
    assert attestations(session, 2025) == []
    pdf = attestation_pdf(session, found["MARTIN"])
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Attestation fiscale 2026 – services à la personne" in text
    assert "Déclaration n° SAP812345676 du 15/03/2020 – SIREN" in text
    assert "a payé en 2026 la somme de 286,00" in text and "199 sexdecies" in text


def test_cli_prints_and_sends_the_certificates_in_batch(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aiosmtpd.controller import Controller

    from app.documents.smtp_settings import SmtpForm, save_settings

    with db.write() as session:
        _paid_year(session)
        save_settings(session, SmtpForm(host="localhost", port="25", security="none",
                                        sender_email="facturation@lumiere-proprete.fr"))  # fmt: skip
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        out = tmp_path / "attestations"
        code = main(["--db", target_of(db), "attestations", "--year", "2026", "--out", str(out),
                     "--send", "--smtp", f"127.0.0.1:{port}"])  # fmt: skip
    finally:
        controller.stop()
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "Attestation_fiscale_2026_DURAND.pdf",
        "Attestation_fiscale_2026_MARTIN.pdf",
    ]
    assert "1 envoyée, 1 en échec." in printed and "aucune adresse e-mail" in printed
    assert code == 1  # DURAND has no address: the batch reports it
    ((rcpt, message),) = handler.messages
    assert rcpt == ["martin@example.org"]
    assert str(message["Subject"]) == "Attestation fiscale 2026 – services à la personne"
    (part,) = list(message.iter_attachments())
    assert part.get_filename() == "Attestation_fiscale_2026_MARTIN.pdf"


def test_editions_dialog_saves_the_pdfs_and_asks_before_sending(
    qtbot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from ui.main_window import MainWindow
    from ui.sap_attestations import AttestationsDialog

    with db.write() as session:
        _paid_year(session)
    window = MainWindow(db)
    qtbot.addWidget(window)
    dialog = AttestationsDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    dialog.year.setValue(2026)
    assert dialog.summary.text().startswith("2 clients, 357,50")
    shown: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    dialog.save_button.click()
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == [
        "Attestation_fiscale_2026_DURAND.pdf",
        "Attestation_fiscale_2026_MARTIN.pdf",
    ]
    assert shown == [f"2 attestations enregistrées dans {tmp_path}."]
    asked: list[str] = []

    def refuse(_parent, _title, text):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", refuse)
    dialog.send_button.click()
    assert asked == [
        "Envoyer par e-mail 1 attestation fiscale 2026 ?\n"
        "Sans adresse e-mail (à imprimer) : Client DURAND."
    ]
    assert len(shown) == 1  # refused: nothing sent


def test_quotes_follow_the_same_sap_rule(session: Session) -> None:
    from app.quotes import quotes as uc
    from app.quotes.documents import quote_document

    _firm(session)
    ids = dict(session.execute(select(Article.code, Article.id)).all())

    def quote(client: Client, code: str) -> str:
        made = uc.create_quote(
            session,
            uc.QuoteForm(client_id=client.id, title="Ménage", quote_date=DAY, lines=[
                uc.LineForm(label="Prestation", quantity="2", unit_price="26",
                            vat_code="T10", article_id=ids[code])]),
        )  # fmt: skip
        return quote_document(session, made.id, with_annexes=False).sap_declaration

    person, company = _client(session, "MARTIN", "person"), _client(session, "SOC", "company")
    assert quote(person, "MENAGE") == "SAP812345676"
    assert quote(company, "MENAGE") == ""  # seen: every 10 % quote printed it
    assert quote(person, "TRXLOG") == ""
