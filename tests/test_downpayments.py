"""A down-payment invoice and its deduction on the final invoice follow the law."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.issuing import issue_invoices
from app.errors import StateError, ValidationError
from app.ledger import outstanding
from app.payments.down_payments import (
    create_down_payment_invoice,
    deduct,
    deduct_for_quote,
    deduction_references,
)
from app.payments.entry import PaymentForm, record_payment
from app.receivables import open_items
from models.invoices import InvoiceKind, InvoiceStatus
from models.payments import DownPaymentDeduction
from models.quotes import Quote
from tests.test_payments import make_client

D = dt.date
E = Decimal


def test_down_payment_then_final_invoice(session: Session, company: object) -> None:
    client = make_client(session, "MART", "M. Martin")
    client.kind = "person"
    quote = Quote(
        client_id=client.id, number="DE2026-00007", title="Remise en état après travaux",
        quote_date=D(2026, 3, 2), validity_date=D(2026, 6, 1), total_ht=E("1250.00"),
        status="accepted",
    )  # fmt: skip
    session.add(quote)
    session.flush()

    dp = create_down_payment_invoice(
        session, quote_id=quote.id, percent="30", issue_date=D(2026, 3, 10)
    )
    issue_invoices(session, [dp.id])
    # Its own invoice, with VAT, in the normal invoice numbering.
    assert dp.kind == InvoiceKind.DOWN_PAYMENT and dp.status == InvoiceStatus.ISSUED
    assert dp.number == "FA2026-00001" and dp.series_code == "invoice"
    assert (dp.total_ht, dp.total_vat, dp.total_ttc) == (E("375.00"), E("75.00"), E("450.00"))
    assert dp.lines[0].revenue_account == "419100"
    assert "Acompte 30 % sur devis n° DE2026-00007 du 02/03/2026" in dp.lines[0].description
    record_payment(
        session,
        PaymentForm(client_id=client.id, date=D(2026, 3, 12), means="transfer", amount="450.00"),
    )
    assert open_items(session, client.id) == []

    final = create_draft_invoice(
        session, client.id,
        [DraftLine(description="Remise en état après travaux", quantity="1", unit_price="1250")],
        issue_date=D(2026, 4, 30),
    )  # fmt: skip
    (deduction,) = deduct_for_quote(session, final, quote.id)
    assert (deduction.amount_ht, deduction.amount_vat, deduction.amount_ttc) == (
        E("375.00"), E("75.00"), E("450.00"),
    )  # fmt: skip
    # The final invoice bills the whole service and deducts the down-payment, citing it.
    assert (final.total_ht, final.total_vat, final.total_ttc) == (
        E("1250.00"), E("250.00"), E("1500.00"),
    )  # fmt: skip
    assert final.prepaid_total == E("450.00") and final.amount_due == E("1050.00")
    assert "facture d'acompte n° FA2026-00001 du 10/03/2026" in final.notes
    assert deduction_references(session, final.id) == ("FA2026-00001 du 10/03/2026",)
    # Deducted once only.
    assert deduct_for_quote(session, final, quote.id) == []
    with pytest.raises(StateError):
        deduct(session, final.id, [dp.id])

    (number,) = issue_invoices(session, [final.id])
    assert number == "FA2026-00002"
    assert final.amount_due == E("1050.00")
    assert outstanding(session, client.id) == E("1050.00")
    assert session.query(DownPaymentDeduction).count() == 1


def test_down_payment_refusals(session: Session, company: object) -> None:
    client = make_client(session, "MART", "M. Martin")
    client.kind = "person"
    quote = Quote(
        client_id=client.id, number="DE2026-00008", quote_date=D(2026, 3, 2),
        validity_date=D(2026, 6, 1), total_ht=E("100.00"),
    )  # fmt: skip
    session.add(quote)
    session.flush()
    with pytest.raises(ValidationError, match="dépasse"):
        create_down_payment_invoice(
            session, quote_id=quote.id, amount_ht="150", issue_date=D(2026, 3, 10)
        )
    with pytest.raises(ValidationError, match="entre 0 et 100"):
        create_down_payment_invoice(
            session, quote_id=quote.id, percent="120", issue_date=D(2026, 3, 10)
        )
    with pytest.raises(ValidationError, match="devis ou un contrat"):
        create_down_payment_invoice(session, amount_ht="10", issue_date=D(2026, 3, 10))


def test_fec_of_the_final_invoice_books_the_deduction(
    session: Session, company: object, tmp_path: Path
) -> None:
    from app.documents.accounting import export_fec

    client = make_client(session, "MART", "M. Martin")
    client.kind = "person"
    quote = Quote(
        client_id=client.id, number="DE2026-00009", quote_date=D(2026, 3, 2),
        validity_date=D(2026, 6, 1), total_ht=E("1000.00"), status="accepted",
    )  # fmt: skip
    session.add(quote)
    session.flush()
    dp = create_down_payment_invoice(
        session, quote_id=quote.id, amount_ht="200", issue_date=D(2026, 3, 10)
    )
    issue_invoices(session, [dp.id])
    final = create_draft_invoice(
        session, client.id, [DraftLine(description="Travaux", quantity="1", unit_price="1000")],
        issue_date=D(2026, 4, 30),
    )  # fmt: skip
    deduct(session, final.id, [dp.id])
    issue_invoices(session, [final.id])
    fec = export_fec(session, 2026, tmp_path)
    lines = [line.split("\t") for line in fec.path.read_text("iso-8859-15").splitlines()[1:]]
    final_lines = {(r[4], r[11], r[12]) for r in lines if r[8] == final.number}
    # 1 200 TTC billed, 240 TTC already invoiced as down-payment: the client owes 960.
    assert final_lines == {
        ("411000", "960,00", "0,00"),
        ("419100", "200,00", "0,00"),
        ("445740", "40,00", "0,00"),
        ("706100", "0,00", "1000,00"),
        ("445740", "0,00", "200,00"),
    }
    dp_lines = {(r[4], r[11], r[12]) for r in lines if r[8] == dp.number}
    assert dp_lines == {
        ("411000", "240,00", "0,00"), ("419100", "0,00", "200,00"), ("445740", "0,00", "40,00"),
    }  # fmt: skip


def _quote_with_lines(session: Session, client_id: int, lines: list[tuple[str, str]]) -> Quote:
    from sqlalchemy import select

    from models.catalog import VatRate
    from models.quotes import QuoteLine

    rates = dict(session.execute(select(VatRate.code, VatRate.id)).all())
    quote = Quote(
        client_id=client_id, number="DE2026-00011", title="Nettoyage de fin de chantier",
        quote_date=D(2026, 3, 2), validity_date=D(2026, 6, 1), status="accepted",
    )  # fmt: skip
    quote.lines = [
        QuoteLine(
            position=i,
            label=f"Lot {i}",
            quantity=E(1),
            unit_price=E(ht),
            vat_rate_id=rates[code],
            total_ht=E(ht),
        )
        for i, (code, ht) in enumerate(lines, 1)
    ]
    quote.total_ht = sum((E(ht) for _c, ht in lines), E(0))
    session.add(quote)
    session.flush()
    return quote


def test_down_payment_on_a_reverse_charge_quote_is_reverse_charged(
    session: Session, company: object
) -> None:
    """Seen: a reverse-charge quote gave a down-payment invoice at 20 %."""
    client = make_client(session, "BTP", "Bâtir Rhône SAS")
    client.vat_number = "FR40552100554"
    quote = _quote_with_lines(session, client.id, [("AL", "4000.00")])
    dp = create_down_payment_invoice(
        session, quote_id=quote.id, percent="30", issue_date=D(2026, 3, 10)
    )
    assert (dp.total_ht, dp.total_vat, dp.total_ttc) == (E("1200.00"), E("0.00"), E("1200.00"))
    assert [(ln.vat_category, ln.vat_rate) for ln in dp.lines] == [("AE", 0)]


def test_down_payment_splits_over_the_quote_vat_rates(session: Session, company: object) -> None:
    client = make_client(session, "MIX", "Société Mixte")
    quote = _quote_with_lines(session, client.id, [("T20", "1000.00"), ("T10", "333.33")])
    dp = create_down_payment_invoice(
        session, quote_id=quote.id, amount_ht="400.00", issue_date=D(2026, 3, 10)
    )
    # 400 × 1000 / 1333,33 = 300,00 at 20 %; the rest, 100,00, at 10 %.
    assert [(ln.vat_rate, ln.total_ht) for ln in dp.lines] == [
        (E(20), E("300.00")),
        (E(10), E("100.00")),
    ]
    assert (dp.total_ht, dp.total_vat, dp.total_ttc) == (E("400.00"), E("70.00"), E("470.00"))
    assert all(ln.revenue_account == "419100" for ln in dp.lines)
