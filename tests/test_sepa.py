"""SEPA direct debit: mandates, batch → pain.008 valid against the XSD, confirmation, rejects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from app.db import Database
from app.errors import DocumentInvalid, ValidationErrors
from app.ledger import outstanding
from app.payments.sepa import (
    MandateForm,
    batch_xml,
    candidates,
    create_batches,
    prenotification,
    renotify,
    save_mandate,
    suggest_rum,
)
from app.payments.sepa_bank import confirm_batch, reject_line
from app.payments.sepa_rules import first_target_day_from
from app.receivables import open_items
from models.payments import Payment
from reports.sepa_xml import NAMESPACE, summary, validate_pain008
from tests.pg import target_of
from tests.test_payments import issue_invoice, make_client

D = dt.date
E = Decimal
NS = {"p": NAMESPACE}


def direct_debit_client(session: Session, code: str, name: str, iban: str, kind: str = "company"):  # type: ignore[no-untyped-def]
    client = make_client(session, code, name)
    client.payment_means = "direct_debit"
    client.kind = kind
    save_mandate(
        session,
        None,
        MandateForm(
            client_id=client.id,
            rum=suggest_rum(session, client.id),
            signature_date=D(2025, 12, 1),
            iban=iban,
            bic="AGRIFRPPXXX",
        ),
    )
    return client


def test_batch_validates_then_confirm_and_reject(session: Session, company: object) -> None:
    a = direct_debit_client(
        session, "SDCT", "SDC Les Tilleuls", "FR76 3000 6000 0112 3456 7890 189"
    )
    b = direct_debit_client(session, "BOUL", "Boulangerie Martin", "FR7630004000031234567890143")
    other = make_client(session, "CHEQ", "Payeur par chèque")
    inv_a = issue_invoice(session, a, "480.00", D(2026, 7, 31))
    inv_b = issue_invoice(session, b, "96.60", D(2026, 7, 31))
    issue_invoice(session, other, "50.00", D(2026, 7, 31))  # pays by cheque
    issue_invoice(session, a, "480.00", D(2026, 8, 31))  # due 30/09: not yet
    collection = D(2026, 8, 31)  # a Monday: the date both invoices announced

    found = candidates(session, collection)
    assert [(c.invoice_number, c.amount, c.problem) for c in found] == [
        (inv_a.number, E("480.00"), ""),
        (inv_b.number, E("96.60"), ""),
    ]
    # Due on Sunday 30/08: pre-notified for the next TARGET2 business day.
    assert "prélevée le 31/08/2026" in prenotification(session, inv_a)
    assert "RUM-SDCT-001" in prenotification(session, inv_a)

    (batch,) = create_batches(session, collection, created_on=D(2026, 8, 26))
    assert (batch.count, batch.total, batch.scheme) == (2, E("576.60"), "CORE")
    xml = batch_xml(session, batch.id)
    validate_pain008(xml)  # the ISO 20022 XSD shipped with sepaxml
    assert summary(xml) == (2, E("576.60"))
    root = etree.fromstring(xml)
    assert root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == batch.reference
    assert root.findtext(".//p:ReqdColltnDt", namespaces=NS) == "2026-08-31"
    assert root.findtext(".//p:CdtrSchmeId//p:Othr/p:Id", namespaces=NS) == "FR72ZZZ123456"
    assert [e.text for e in root.iterfind(".//p:SeqTp", NS)] == ["FRST"]
    assert [e.text for e in root.iterfind(".//p:MndtId", NS)] == ["RUM-SDCT-001", "RUM-BOUL-001"]
    assert [e.text for e in root.iterfind(".//p:EndToEndId", NS)] == [inv_a.number, inv_b.number]
    # Already in a pending batch: not proposed again.
    assert candidates(session, collection) == []

    confirm_batch(session, batch.id)
    assert outstanding(session, b.id) == E("0.00")
    assert open_items(session, a.id)[0].invoice_id != inv_a.id
    line_a = next(line for line in batch.lines if line.invoice_id == inv_a.id)

    # The bank returns A's debit (R-transaction): the invoice reopens, the payment is kept.
    reject_line(session, line_a.id, "AM04 provision insuffisante", D(2026, 9, 9))
    payment = session.get(Payment, line_a.payment_id)
    assert payment is not None and payment.status == "rejected"
    assert payment.allocations[0].undone_at is not None
    assert "AM04" in payment.allocations[0].undo_reason
    assert inv_a.id in [i.invoice_id for i in open_items(session, a.id)]
    assert outstanding(session, a.id) == E("960.00")
    # The rejected first collection does not count: the next debit is FRST again, presented
    # on a date the client is told by a new pre-notification.
    renotify(session, [inv_a.id], D(2026, 9, 23), notified_on=D(2026, 9, 9))
    (retry,) = create_batches(session, D(2026, 9, 23), created_on=D(2026, 9, 18))
    assert [line.sequence for line in retry.lines] == ["FRST"]
    assert [line.invoice_id for line in retry.lines] == [inv_a.id]
    # B's mandate was used once: its next debit is recurrent.
    inv_b2 = issue_invoice(session, b, "96.60", D(2026, 8, 31))
    (third,) = create_batches(session, D(2026, 9, 30), created_on=D(2026, 9, 25))
    assert {(line.invoice_id, line.sequence) for line in third.lines} >= {(inv_b2.id, "RCUR")}


def test_b2b_needs_professional_and_bad_mandate_refused(session: Session, company: object) -> None:
    person = make_client(session, "PERS", "Mme Durand")
    person.kind = "person"
    with pytest.raises(ValidationErrors) as exc:
        save_mandate(
            session,
            None,
            MandateForm(
                client_id=person.id, rum="R" * 36, signature_date=D(2026, 1, 1),
                iban="FR76 1234", scheme="B2B",
            ),
        )  # fmt: skip
    assert set(exc.value.fields) >= {"RUM", "IBAN", "Schéma"}


def test_invalid_file_is_refused() -> None:
    bad = (
        b'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="' + NAMESPACE.encode()
        + b'"><CstmrDrctDbtInitn><GrpHdr><MsgId>X</MsgId></GrpHdr></CstmrDrctDbtInitn></Document>'
    )  # fmt: skip
    with pytest.raises(DocumentInvalid):
        validate_pain008(bad)


def test_demo_sepa_export_and_fec(demo_db: Database, tmp_path: Path) -> None:
    """The demo firm: direct-debit clients with mandates, a pain.008 from the command line,
    and a 2026 FEC whose bank lines are matched to the invoices they settle."""
    from app.cli import main
    from app.documents.accounting import export_fec

    out = tmp_path / "lot.xml"
    before = {m.rum: (m.collections_done, m.last_collection) for m in _mandates(demo_db)}
    # Invoices whose announced date has passed wait for a new pre-notification: sent today,
    # for the first business day after the delay (14 days).
    day = first_target_day_from(dt.date.today() + dt.timedelta(days=14))
    assert main(["--db", target_of(demo_db), "sepa", "prenotifier", "--date", day.isoformat(),
                 "--out", str(tmp_path / "avis.txt")]) == 0  # fmt: skip
    assert "Cette facture sera prélevée le" in (tmp_path / "avis.txt").read_text("utf-8")
    assert main(["--db", target_of(demo_db), "sepa", "export", "--date", day.isoformat(),
                 "--out", str(out)]) == 0  # fmt: skip
    xml = out.read_bytes()
    validate_pain008(xml)
    count, total = summary(xml)
    assert count > 0 and total > 0
    root = etree.fromstring(xml)
    assert {e.text for e in root.iterfind(".//p:MndtId", NS)} <= {m.rum for m in _mandates(demo_db)}
    # The client who changed bank in August: the new mandate's first debit is a FRST, the
    # mandates already collected are RCUR (one payment information block per sequence).
    sequences = {
        info.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS): [
            tx.findtext(".//p:MndtId", namespaces=NS) for tx in info.iterfind("p:DrctDbtTxInf", NS)
        ]
        for info in root.iterfind(".//p:PmtInf", NS)
    }
    assert sequences["FRST"] == ["RUM-RHON001-001"]  # once: its other invoices follow as RCUR
    assert {"RUM-LPS-0005", "RUM-LPS-SAP-0001"} <= set(sequences["RCUR"])
    # Exporting is not collecting: no mandate counter moved.
    assert {m.rum: (m.collections_done, m.last_collection) for m in _mandates(demo_db)} == before
    with demo_db.read() as session:
        fec = export_fec(session, 2026, tmp_path)
    rows = [line.split("\t") for line in fec.path.read_text("iso-8859-15").splitlines()[1:]]
    bank = [r for r in rows if r[0] == "BQ" and r[4] == "512000"]
    matched = [r for r in rows if r[4] == "411000" and r[13]]
    assert len(bank) > 100
    assert {"VT", "BQ"} <= {r[0] for r in matched}  # (AN: opening entries, when any)
    # Each letter links a client's payments to its invoices, and they balance.
    by_letter: dict[tuple[str, str], Decimal] = {}
    for r in matched:
        key = (r[6], r[13])
        amount = Decimal(r[11].replace(",", ".")) - Decimal(r[12].replace(",", "."))
        by_letter[key] = by_letter.get(key, Decimal(0)) + amount
    settled_in_2026 = [k for k, v in by_letter.items() if v == 0]
    assert len(settled_in_2026) > 50


def _mandates(db: Database) -> list[Any]:
    from sqlalchemy import select

    from models.payments import SepaMandate

    with db.read() as session:
        return list(session.scalars(select(SepaMandate)))
