"""SEPA edge cases (issue N §4): within one file a mandate's first debit is FRST and no
RCUR of the same mandate goes with it; a debit on another date than the one the invoice
announced is left out, with the reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree
from sqlalchemy.orm import Session

from app.money import format_amount
from app.payments.sepa import batch_xml, candidates, create_batches, planned_collection_date
from app.payments.sepa_bank import confirm_batch, reject_line
from app.receivables import open_items
from reports.sepa_xml import NAMESPACE, summary, validate_pain008
from tests.test_payments import issue_invoice
from tests.test_sepa import direct_debit_client

D = dt.date
E = Decimal
NS = {"p": NAMESPACE}


def _transactions(xml: bytes) -> list[tuple[str, str, str, str]]:
    root = etree.fromstring(xml)
    return [
        (
            tx.findtext(".//p:MndtId", namespaces=NS),
            tx.findtext("../p:PmtTpInf/p:SeqTp", namespaces=NS),
            tx.findtext(".//p:InstdAmt", namespaces=NS),
            tx.findtext(".//p:Ustrd", namespaces=NS),
        )
        for tx in root.iterfind(".//p:DrctDbtTxInf", NS)
    ]


def test_first_debit_is_one_frst_without_rcur_of_the_same_mandate(
    session: Session, company: object
) -> None:
    client = direct_debit_client(session, "NEUF", "Cabinet Neuf", "FR7630004000031234567890143")
    first = issue_invoice(session, client, "480.00", D(2026, 7, 31))
    second = issue_invoice(session, client, "96.60", D(2026, 7, 31))
    day = planned_collection_date(session, first)
    assert day == planned_collection_date(session, second) == D(2026, 8, 31)
    assert [c.sequence for c in candidates(session, day)] == ["FRST", "FRST"]

    (batch,) = create_batches(session, day, created_on=D(2026, 8, 26))
    xml = batch_xml(session, batch.id)
    validate_pain008(xml)
    # Seen: FRST for the first invoice and RCUR for the second in the same file.
    assert _transactions(xml) == [
        (
            "RUM-NEUF-001",
            "FRST",
            "576.60",
            f"Factures {first.number} du 31/07/2026, {second.number} du 31/07/2026",
        )
    ]
    assert summary(xml) == (1, E("576.60"))
    confirm_batch(session, batch.id)
    assert open_items(session, client.id) == []
    # The bank returns that one debit: both invoices are open again.
    reject_line(session, batch.lines[1].id, "AM04 provision insuffisante", D(2026, 9, 2))
    assert {i.invoice_id for i in open_items(session, client.id)} == {first.id, second.id}
    assert [line.status for line in batch.lines] == ["rejected", "rejected"]


def test_a_debit_on_another_date_needs_a_new_prenotification(
    session: Session, company: object
) -> None:
    import pytest

    from app.errors import ValidationError
    from app.payments.sepa import announced_date, renotify

    client = direct_debit_client(session, "TARD", "Cabinet Tard", "FR7630004000031234567890143")
    invoice = issue_invoice(session, client, "480.00", D(2026, 7, 31))
    assert announced_date(session, invoice) == D(2026, 8, 31)  # printed on the invoice
    # Seen: a batch on 07/09 took it although the invoice announced 31/08.
    (row,) = candidates(session, D(2026, 9, 7))
    assert row.problem == (
        "prélèvement annoncé au client pour le 31/08/2026 : prélever à cette date, ou lui "
        "envoyer une nouvelle pré-notification pour le 07/09/2026"
    )
    with pytest.raises(ValidationError, match="Aucune facture à prélever"):
        create_batches(session, D(2026, 9, 7), created_on=D(2026, 9, 2))
    # A new pre-notification needs the delay (14 days) before the new date.
    with pytest.raises(ValidationError, match=r"Préavis insuffisant.*21/09/2026"):
        renotify(session, [invoice.id], D(2026, 9, 14), notified_on=D(2026, 9, 7))
    (text,) = renotify(session, [invoice.id], D(2026, 9, 21), notified_on=D(2026, 9, 7))
    assert text == (
        f"{invoice.number} : Cette facture sera prélevée le 21/09/2026 pour "
        f"{format_amount(E('480.00'))} au titre du mandat SEPA RUM-TARD-001 (ICS FR72ZZZ123456)."
    )
    assert candidates(session, D(2026, 8, 31))[0].problem.startswith("prélèvement annoncé")
    (batch,) = create_batches(session, D(2026, 9, 21), created_on=D(2026, 9, 16))
    assert [line.invoice_id for line in batch.lines] == [invoice.id]
