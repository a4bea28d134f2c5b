"""FEC across fiscal years and credit notes: opening entry (AN, à-nouveaux) carrying the
open items of earlier years with their matching letters, and credit notes lettered with the
invoice they cite in 411 (total lettering in uppercase, partial in lowercase)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.billing.credit_notes import create_credit_note
from app.billing.issuing import issue_invoices
from app.db import Database
from app.documents.accounting import export_fec, export_sales_journal
from app.payments.accounting import generated_code
from app.payments.allocation import undo_allocation
from app.payments.allocation_rules import AllocationLine
from app.payments.entry import PaymentForm, record_payment
from app.payments.remittance import create_remittance
from models.invoices import Invoice
from models.payments import Allocation, Payment
from tests.test_payments import issue_invoice, make_client

E = Decimal
D = dt.date


def fec_rows(session: Session, year: int, out: Path) -> list[dict[str, str]]:
    fec = export_fec(session, year, out / str(year))
    lines = fec.path.read_text("iso-8859-15").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def money(text: str) -> Decimal:
    return E(text.replace(",", "."))


def assert_sound(rows: list[dict[str, str]]) -> None:
    """What an auditor's tool checks first: balanced entries and file, continuous numbers
    per journal, chronological dates, and every total letter group balanced."""
    by_entry: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        by_entry[r["EcritureNum"]] += money(r["Debit"]) - money(r["Credit"])
    assert all(v == 0 for v in by_entry.values()), by_entry
    for journal in {r["JournalCode"] for r in rows}:
        numbers = sorted({int(n[2:]) for n in by_entry if n[:2] == journal})
        assert numbers == list(range(1, len(numbers) + 1))
    dates = [r["EcritureDate"] for r in rows]
    assert dates == sorted(dates)
    groups: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        if r["EcritureLet"]:
            assert r["CompteNum"] in ("411000", "419100") and r["DateLet"]
            key = (r["CompteNum"], r["CompAuxNum"], r["EcritureLet"])
            groups[key] += money(r["Debit"]) - money(r["Credit"])
    for (account, aux, letter), value in groups.items():
        if letter.isupper():
            assert value == 0, (account, aux, letter)


def client_lines(rows: list[dict[str, str]]) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (r["JournalCode"], r["PieceRef"], r["Debit"], r["Credit"], r["EcritureLet"], r["DateLet"])
        for r in rows
        if r["CompteNum"] == "411000"
    ]


def pay(session: Session, client_id: int, day: dt.date, amount: str, invoice_id: int) -> None:
    """A transfer allocated to one invoice."""
    form = PaymentForm(client_id=client_id, date=day, means="transfer", amount=amount)
    record_payment(session, form, [AllocationLine(invoice_id, E(amount))])


def test_first_year_has_no_opening_entry(session: Session, company: object, tmp_path: Path) -> None:
    client = make_client(session)
    issue_invoice(session, client, "1440.00", D(2026, 3, 31))
    rows = fec_rows(session, 2026, tmp_path)
    assert rows and not [r for r in rows if r["JournalCode"] == "AN"]
    assert rows[0]["EcritureNum"] == "VT000001"
    assert_sound(rows)


def test_invoice_of_last_year_paid_this_year_is_lettered_on_both_sides(
    session: Session, company: object, tmp_path: Path
) -> None:
    client = make_client(session)
    old = issue_invoice(session, client, "1440.00", D(2025, 11, 30))  # 1 200 HT + 240 VAT
    paid_2025 = issue_invoice(session, client, "120.00", D(2025, 12, 1))
    pay(session, client.id, D(2025, 12, 15), "120.00", paid_2025.id)
    pay(session, client.id, D(2025, 12, 20), "40.00", old.id)  # partial payment
    pay(session, client.id, D(2026, 1, 20), "1400.00", old.id)  # settles what is left
    new = issue_invoice(session, client, "600.00", D(2026, 2, 28))

    # 2025 as at its closing: the old invoice is partly paid (lowercase), the other settled.
    rows_2025 = fec_rows(session, 2025, tmp_path)
    assert_sound(rows_2025)
    assert not [r for r in rows_2025 if r["JournalCode"] == "AN"]
    assert client_lines(rows_2025) == [
        ("VT", old.number, "1440,00", "0,00", "b", "20251220"),
        ("VT", paid_2025.number, "120,00", "0,00", "A", "20251215"),
        ("BQ", "RG2025-00001", "0,00", "120,00", "A", "20251215"),
        ("BQ", "RG2025-00002", "0,00", "40,00", "b", "20251220"),
    ]

    rows = fec_rows(session, 2026, tmp_path)
    assert_sound(rows)
    opening = [r for r in rows if r["JournalCode"] == "AN"]
    assert rows[: len(opening)] == opening  # numbered and written first
    assert {(r["EcritureNum"], r["EcritureDate"], r["ValidDate"]) for r in opening} == {
        ("AN000001", "20260101", "20260101")
    }
    assert [(r["CompteNum"], r["Debit"], r["Credit"]) for r in opening] == [
        ("411000", "1400,00", "0,00"),  # the open item, one line per invoice
        ("445740", "0,00", "233,33"),  # VAT on receipts not yet due: 240 - 6,67 moved
        ("890000", "0,00", "1166,67"),
    ]
    assert opening[0]["CompAuxNum"] == "411DUPO" and old.number in opening[0]["EcritureLib"]
    # The 2026 payment and the opening line share the letter: lettered on both sides, now
    # in uppercase (the group balances), the same code as the partial letter of 2025.
    assert client_lines(rows) == [
        ("AN", "AN2026", "1400,00", "0,00", "B", "20260120"),
        ("BQ", "RG2026-00001", "0,00", "1400,00", "B", "20260120"),
        ("VT", new.number, "600,00", "0,00", "", ""),
    ]
    # Balances carried forward = closing balances of 2025.
    closing: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows_2025:
        closing[r["CompteNum"]] += money(r["Debit"]) - money(r["Credit"])
    assert closing["411000"] == E("1400.00") and closing["445740"] == E("-233.33")


def test_credit_notes_are_lettered_with_the_invoice_they_cite(
    session: Session, company: object, tmp_path: Path
) -> None:
    client = make_client(session)
    # Partly credited (120 HT + 24 VAT), the rest paid: invoice, credit note and payment.
    partly = issue_invoice(session, client, "1440.00", D(2026, 3, 31))
    line_id = partly.lines[0].id
    note = create_credit_note(
        session, partly.id, issue_date=D(2026, 4, 10), amounts={line_id: "120"}
    )
    issue_invoices(session, [note.id])
    pay(session, client.id, D(2026, 4, 30), "1296.00", partly.id)
    # Cancelled by a full credit note, never paid.
    cancelled = issue_invoice(session, client, "240.00", D(2026, 5, 31))
    full = create_credit_note(session, cancelled.id, issue_date=D(2026, 6, 5))
    issue_invoices(session, [full.id])
    # Credited only after being paid in full: the payment letters the invoice, the credit
    # note stays open (the firm owes the client 60,00).
    late = issue_invoice(session, client, "360.00", D(2026, 6, 30))
    pay(session, client.id, D(2026, 7, 10), "360.00", late.id)
    after = create_credit_note(
        session, late.id, issue_date=D(2026, 7, 20), amounts={late.lines[0].id: "50"}
    )
    issue_invoices(session, [after.id])
    # Partly credited, nothing paid yet: partial lettering of the two documents.
    pending = issue_invoice(session, client, "480.00", D(2026, 7, 31))
    small = create_credit_note(
        session,
        pending.id,
        issue_date=D(2026, 8, 3),
        amounts={pending.lines[0].id: "100"},
    )
    issue_invoices(session, [small.id])

    rows = fec_rows(session, 2026, tmp_path)
    assert_sound(rows)
    lines = {(r[1], r[2], r[3]): r[4:] for r in client_lines(rows)}
    # Groups with a payment keep the letter stored on its allocations (shown in Règlements);
    # the others get a code counted down from ZZZ by order of appearance, apart from A, B…
    second, fourth = generated_code(1), generated_code(3)
    assert (second, fourth) == ("ZZY", "ZZW")
    allocation_letters = {a.invoice_id: a.letter for a in session.scalars(select(Allocation)).all()}
    assert allocation_letters == {partly.id: "A", late.id: "B"}
    assert lines[(partly.number, "1440,00", "0,00")] == ("A", "20260430")
    assert lines[(note.number, "0,00", "144,00")] == ("A", "20260430")
    assert lines[("RG2026-00001", "0,00", "1296,00")] == ("A", "20260430")
    assert lines[(cancelled.number, "240,00", "0,00")] == (second, "20260605")
    assert lines[(full.number, "0,00", "240,00")] == (second, "20260605")
    assert lines[(late.number, "360,00", "0,00")] == ("B", "20260710")
    assert lines[("RG2026-00002", "0,00", "360,00")] == ("B", "20260710")
    assert lines[(after.number, "0,00", "60,00")] == ("", "")
    assert lines[(pending.number, "480,00", "0,00")] == (fourth.lower(), "20260803")
    assert lines[(small.number, "0,00", "120,00")] == (fourth.lower(), "20260803")
    # VAT on payment net of the credit notes: nothing is left on 44574 for the settled
    # invoices; what remains is the VAT of the unpaid 360,00 (480 - 120) and the -10,00 of
    # the credit note issued after payment.
    vat_574 = sum(
        (money(r["Credit"]) - money(r["Debit"]) for r in rows if r["CompteNum"] == "445740"),
        E(0),
    )
    assert vat_574 == E("60.00") - E("10.00")

    # Next year: the open credit note and the pending pair are carried forward, keeping
    # their letters; the groups settled in 2026 are not.
    pay(session, client.id, D(2027, 1, 15), "360.00", pending.id)
    rows_2027 = fec_rows(session, 2027, tmp_path)
    assert_sound(rows_2027)
    opening = [r for r in rows_2027 if r["JournalCode"] == "AN" and r["CompteNum"] == "411000"]
    # The pending invoice is settled by a payment now: its allocation's stored letter C is
    # the group's code in every file exported from now on (2026 shows it as partial).
    assert [(r["Debit"], r["Credit"], r["EcritureLet"]) for r in opening] == [
        ("0,00", "60,00", ""),  # the credit note after payment: money owed to the client
        ("360,00", "0,00", "C"),  # the pending invoice net of its credit note, now paid
    ]
    payment_2027 = [r for r in rows_2027 if r["JournalCode"] == "BQ" and r["CompteNum"] == "411000"]
    assert [(r["Credit"], r["EcritureLet"]) for r in payment_2027] == [("360,00", "C")]
    again = {(r[1], r[2], r[3]): r[4:] for r in client_lines(fec_rows(session, 2026, tmp_path))}
    assert again[(pending.number, "480,00", "0,00")] == ("c", "20260803")
    assert again[(small.number, "0,00", "120,00")] == ("c", "20260803")
    assert session.get(Invoice, pending.id).number in opening[1]["EcritureLib"]

    # Traceability: the credit note's entry and the sales journal name the invoice it
    # corrects; a payment's entry is validated the day it was entered.
    note_lines = [r for r in rows if r["PieceRef"] == note.number]
    assert {r["EcritureLib"] for r in note_lines if r["CompteNum"] != "445740"} == {
        f"Avoir {note.number} sur {partly.number} Dupont Industrie"
    }
    payment = next(r for r in rows if r["PieceRef"] == "RG2026-00001")
    assert payment["ValidDate"] == f"{max(D(2026, 4, 30), dt.datetime.now(dt.UTC).date()):%Y%m%d}"
    journal = export_sales_journal(session, D(2026, 1, 1), D(2026, 12, 31), tmp_path / "v.csv")
    csv_lines = journal.read_bytes().decode("utf-8-sig").splitlines()
    assert csv_lines[0].endswith(";Échéance;Facture d'origine")
    assert next(x for x in csv_lines if note.number in x).endswith(f";-144,00;;{partly.number}")
    assert next(x for x in csv_lines if f";{partly.number};" in x).endswith(";")


def test_cheques_on_5112_move_to_the_bank_when_remitted(
    session: Session, company: object, tmp_path: Path
) -> None:
    client = make_client(session)
    issue_invoice(session, client, "1440.00", D(2025, 12, 1))
    form = PaymentForm(
        client_id=client.id, date=D(2025, 12, 28), means="cheque", amount="1440.00",
        cheque_bank="LCL", cheque_number="1234567", bank_account="511200",
    )  # fmt: skip
    payment = record_payment(session, form)
    create_remittance(session, [payment.id], D(2026, 1, 5))
    rows_2025 = fec_rows(session, 2025, tmp_path)
    assert ("511200", "1440,00", "0,00") in [
        (r["CompteNum"], r["Debit"], r["Credit"]) for r in rows_2025
    ]
    rows = fec_rows(session, 2026, tmp_path)
    assert_sound(rows)
    # Cheques received in 2025 and not yet remitted are carried forward on 5112 …
    opening = [(r["CompteNum"], r["Debit"], r["Credit"]) for r in rows if r["JournalCode"] == "AN"]
    assert ("511200", "1440,00", "0,00") in opening
    # … and the remittance slip moves them to the bank.
    slip = [
        (r["CompteNum"], r["Debit"], r["Credit"], r["PieceRef"])
        for r in rows
        if r["JournalCode"] == "BQ"
    ]
    assert slip == [
        ("512000", "1440,00", "0,00", "RC2026-0001"),
        ("511200", "0,00", "1440,00", "RC2026-0001"),
    ]


def test_generated_codes_count_down_from_zzz() -> None:
    assert [generated_code(i) for i in (0, 1, 25, 26)] == ["ZZZ", "ZZY", "ZZA", "ZYZ"]
    assert generated_code(26**3 - 1) == "AAA"
    assert generated_code(26**3) == "ZZZZ"


def test_demo_firm_fec_2026_opens_with_the_2025_closing_balances(
    demo_db: Database, tmp_path: Path
) -> None:
    with demo_db.read() as session:
        rows_2025 = fec_rows(session, 2025, tmp_path)
        rows = fec_rows(session, 2026, tmp_path)
        notes = session.scalars(
            select(Invoice).where(Invoice.kind == "credit_note", Invoice.status == "issued")
        ).all()
        cited = {n.number: session.get(Invoice, n.origin_invoice_id).number for n in notes}
    assert_sound(rows_2025)
    assert_sound(rows)
    assert not [r for r in rows_2025 if r["JournalCode"] == "AN"]  # the demo's first year
    opening = [r for r in rows if r["JournalCode"] == "AN"]
    assert opening and rows[0]["EcritureNum"] == "AN000001"
    # Per client sub-account and per carried account, the opening equals the 2025 closing.
    closing: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows_2025:
        if r["CompteNum"] in ("411000", "445740", "419100", "511200"):
            closing[(r["CompteNum"], r["CompAuxNum"])] += money(r["Debit"]) - money(r["Credit"])
    carried: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in opening:
        if r["CompteNum"] != "890000":
            carried[(r["CompteNum"], r["CompAuxNum"])] += money(r["Debit"]) - money(r["Credit"])
    assert {k: v for k, v in closing.items() if v} == dict(carried)
    # 2025 invoices settled in 2026: lettered on both sides of the 2026 file.
    letters_2026 = {(r["CompAuxNum"], r["EcritureLet"]) for r in rows if r["JournalCode"] == "BQ"}
    lettered = [r for r in opening if r["EcritureLet"]]
    assert len(lettered) > 10
    assert all((r["CompAuxNum"], r["EcritureLet"]) in letters_2026 for r in lettered)
    # The 2025 file shows each group as it stood on 31/12/2025: no letter dated later.
    assert all(r["DateLet"] <= "20251231" for r in rows_2025)
    # Each credit note is lettered with the invoice it cites.
    letter_of = {r["PieceRef"]: r["EcritureLet"] for r in rows if r["CompteNum"] == "411000"}
    assert cited
    for note, invoice in cited.items():
        assert letter_of[note] and letter_of[note] == letter_of[invoice], note


def test_returned_payment_keeps_its_entry_and_reopens_the_invoice(
    session: Session, company: object, tmp_path: Path
) -> None:
    client = make_client(session)
    invoice = issue_invoice(session, client, "1440.00", D(2025, 12, 1))  # 240 VAT
    pay(session, client.id, D(2025, 12, 28), "1440.00", invoice.id)
    returned = session.scalars(select(Payment)).one()
    # What app.payments.sepa does when the bank returns a direct debit (R-transaction).
    undo_allocation(session, returned.allocations[0].id, "Rejet du prélèvement : AM04")
    returned.status, returned.rejected_on, returned.reject_reason = (
        "rejected",
        D(2026, 1, 6),
        "AM04",
    )
    pay(session, client.id, D(2026, 1, 20), "1440.00", invoice.id)

    # 2025, as booked then: the invoice was settled and its VAT due.
    rows_2025 = fec_rows(session, 2025, tmp_path)
    assert_sound(rows_2025)
    assert client_lines(rows_2025) == [
        ("VT", invoice.number, "1440,00", "0,00", "A", "20251228"),
        ("BQ", returned.number, "0,00", "1440,00", "A", "20251228"),
    ]
    assert ("445710", "0,00", "240,00") in [
        (r["CompteNum"], r["Debit"], r["Credit"]) for r in rows_2025
    ]
    # 2026: nothing to carry on 411; the reject reopens the invoice, the new payment settles it.
    rows = fec_rows(session, 2026, tmp_path)
    assert_sound(rows)
    assert not [r for r in rows if r["JournalCode"] == "AN"]
    assert client_lines(rows) == [
        ("BQ", returned.number, "1440,00", "0,00", "A", "20260120"),
        ("BQ", "RG2026-00001", "0,00", "1440,00", "A", "20260120"),
    ]
    od = [
        (r["EcritureDate"], r["CompteNum"], r["Debit"], r["Credit"])
        for r in rows
        if r["JournalCode"] == "OD"
    ]
    assert od == [
        ("20260106", "445710", "240,00", "0,00"), ("20260106", "445740", "0,00", "240,00"),
        ("20260120", "445740", "240,00", "0,00"), ("20260120", "445710", "0,00", "240,00"),
    ]  # fmt: skip
    bank = [
        (r["EcritureDate"], r["Debit"], r["Credit"]) for r in rows if r["CompteNum"] == "512000"
    ]
    assert bank == [("20260106", "0,00", "1440,00"), ("20260120", "1440,00", "0,00")]


def test_down_payment_carried_on_4191_until_deducted(
    session: Session, company: object, tmp_path: Path
) -> None:
    from app.billing.invoices import DraftLine, create_draft_invoice
    from app.billing.issuing import issue_invoices
    from app.payments.down_payments import create_down_payment_invoice, deduct
    from models.quotes import Quote

    client = make_client(session)
    quote = Quote(
        client_id=client.id, number="DE2025-00009", quote_date=D(2025, 11, 2),
        validity_date=D(2026, 2, 1), total_ht=E("1000.00"), status="accepted",
    )  # fmt: skip
    session.add(quote)
    session.flush()
    down = create_down_payment_invoice(
        session, quote_id=quote.id, amount_ht="200", issue_date=D(2025, 11, 10)
    )
    issue_invoices(session, [down.id])
    pay(session, client.id, D(2025, 11, 20), "240.00", down.id)
    final = create_draft_invoice(
        session, client.id, [DraftLine(description="Travaux", quantity="1", unit_price="1000")],
        issue_date=D(2026, 3, 31),
    )  # fmt: skip
    deduct(session, final.id, [down.id])
    issue_invoices(session, [final.id])

    def down_payment_lines(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
        return [
            (r["JournalCode"], r["PieceRef"], r["Debit"], r["Credit"], r["EcritureLet"])
            for r in rows
            if r["CompteNum"] == "419100"
        ]

    rows_2025 = fec_rows(session, 2025, tmp_path)
    assert_sound(rows_2025)
    assert down_payment_lines(rows_2025) == [("VT", down.number, "0,00", "200,00", "")]
    rows = fec_rows(session, 2026, tmp_path)
    assert_sound(rows)
    code = generated_code(0)
    assert down_payment_lines(rows) == [
        ("AN", "AN2026", "0,00", "200,00", code),  # received in 2025, not yet deducted
        ("VT", final.number, "200,00", "0,00", code),  # deducted on the final invoice
    ]
    assert down.number in next(r for r in rows if r["JournalCode"] == "AN")["EcritureLib"]
    # The sales journal takes the down-payment back on the final invoice: its TTC column
    # sums to the 411 debits of the FEC's sales journal, its VAT column to the VAT owed.
    csv_path = export_sales_journal(session, D(2025, 1, 1), D(2026, 12, 31), tmp_path / "v.csv")
    lines = csv_path.read_bytes().decode("utf-8-sig").splitlines()[1:]
    final_rows = [x.split(";") for x in lines if f";{final.number};" in x]
    assert [(r[2], r[6], r[7], r[8], r[9], r[11]) for r in final_rows] == [
        ("Facture", "20", "1000,00", "200,00", "1200,00", ""),
        ("Acompte déduit", "20", "-200,00", "-40,00", "-240,00", down.number),
    ]
    ttc = sum((money(x.split(";")[9]) for x in lines), E(0))
    vat = sum((money(x.split(";")[8]) for x in lines), E(0))
    vt_411 = sum(
        (
            money(r["Debit"]) - money(r["Credit"])
            for r in rows_2025 + rows
            if r["JournalCode"] == "VT" and r["CompteNum"] == "411000"
        ),
        E(0),
    )
    assert (ttc, vat) == (vt_411, E("200.00")) == (E("1200.00"), E("200.00"))
