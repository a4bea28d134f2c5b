"""SEPA direct debit as an invoicing/banking expert checks it: the collection date (TARGET2,
D-1), the 14-day pre-notification and the due date, mandate counters moved only by the
bank's confirmation (FRST stays FRST after a cancelled or rejected first debit), one-off
mandates, and the printable mandate form."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import StateError, ValidationError, ValidationErrors
from app.payments.sepa import (
    MandateForm,
    batch_xml,
    candidates,
    create_batches,
    list_mandates,
    save_mandate,
)
from app.payments.sepa_bank import cancel_batch, confirm_batch, reject_line
from app.payments.sepa_mandates import mandate_pdf
from app.payments.sepa_rules import (
    DATE_FIELD,
    check_collection_date,
    collection_problem,
    earliest_collection_date,
    is_target_day,
    next_target_day,
)
from models.audit import AuditEvent
from models.clients import Client
from models.invoices import Invoice
from models.payments import SepaMandate
from reports.sepa_xml import NAMESPACE
from tests.pg import target_of
from tests.test_payments import issue_invoice, make_client

D = dt.date
E = Decimal
NS = {"p": NAMESPACE}


# --- TARGET2 calendar and the requested collection date -------------------------------------


def test_target2_closing_days() -> None:
    closed = [D(2026, 1, 1), D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 1), D(2026, 12, 25),
              D(2026, 12, 26), D(2027, 3, 26), D(2027, 3, 29), D(2026, 11, 28), D(2026, 11, 29)]  # fmt: skip
    assert [d for d in closed if is_target_day(d)] == []
    # French bank holidays that are not TARGET2 closing days: debits are settled.
    assert all(is_target_day(d) for d in (D(2026, 5, 8), D(2026, 7, 14), D(2026, 11, 11)))
    assert next_target_day(D(2026, 12, 24)) == D(2026, 12, 28)  # Christmas, 26th, Sunday
    assert next_target_day(D(2026, 4, 2)) == D(2026, 4, 7)  # Good Friday, weekend, Monday
    assert earliest_collection_date(D(2026, 5, 29)) == D(2026, 6, 1)  # Friday → Monday
    assert earliest_collection_date(D(2026, 12, 31)) == D(2027, 1, 4)


def test_collection_date_in_the_past_today_or_closed_is_refused() -> None:
    export = D(2026, 9, 1)  # a Tuesday
    for day in (D(2026, 8, 31), export):
        with pytest.raises(ValidationError) as exc:
            check_collection_date(day, export)
        assert exc.value.field == DATE_FIELD == "Date de prélèvement"
        assert "à partir du 02/09/2026" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        check_collection_date(D(2026, 9, 5), export)  # a Saturday
    assert "n'est pas un jour ouvré TARGET2" in str(exc.value)
    assert "choisissez le 07/09/2026" in str(exc.value)
    assert check_collection_date(D(2026, 9, 2), export) == D(2026, 9, 2)  # D-1: next day


@given(
    st.dates(min_value=D(2025, 1, 1), max_value=D(2030, 12, 31)),
    st.integers(min_value=-5, max_value=20),
)
def test_collection_date_rule_property(export: dt.date, offset: int) -> None:
    day = export + dt.timedelta(days=offset)
    allowed = day > export and is_target_day(day)
    try:
        check_collection_date(day, export)
    except ValidationError:
        assert not allowed
    else:
        assert allowed


def test_prenotification_and_due_date_rule() -> None:
    issued = D(2026, 9, 1)
    assert collection_problem(issued, D(2026, 10, 1), D(2026, 9, 30)) == (
        "échéance du 01/10/2026 non atteinte"
    )
    assert collection_problem(issued, issued, D(2026, 9, 14)) == (
        "préavis insuffisant : facture émise le 01/09/2026, prélevable à partir du "
        "15/09/2026 (14 jours)"
    )
    assert collection_problem(issued, issued, D(2026, 9, 15)) == ""
    assert collection_problem(issued, issued, D(2026, 9, 7), 5) == ""  # agreed shorter delay


# --- batches in the database ------------------------------------------------------------------


def _debit_client(
    session: Session, code: str, *, kind: str = "recurrent", scheme: str = "CORE"
) -> Client:
    client = make_client(session, code, f"Client {code}")
    client.payment_means = "direct_debit"
    save_mandate(
        session,
        None,
        MandateForm(
            client_id=client.id, rum=f"RUM-{code}", signature_date=D(2025, 12, 1),
            signature_place="Lyon", kind=kind, scheme=scheme,
            iban="FR7630006000011234567890189", bic="AGRIFRPPXXX",
        ),
    )  # fmt: skip
    return client


def _mandate(session: Session, client: Client) -> SepaMandate:
    mandate = session.scalar(select(SepaMandate).where(SepaMandate.client_id == client.id))
    assert mandate is not None
    return mandate


def _issue_on_receipt(session: Session, client: Client, ttc: str, day: dt.date) -> Invoice:
    """An invoice payable on receipt: due the day it is issued."""
    from app.billing.invoices import DraftLine, create_draft_invoice
    from app.billing.issuing import issue_invoices

    client.payment_term_kind, client.payment_term_days = "on_receipt", 0
    ht = (E(ttc) / E("1.2")).quantize(E("0.01"))
    invoice = create_draft_invoice(
        session, client.id,
        [DraftLine(description="Remise en état après travaux", quantity="1", unit_price=ht)],
        issue_date=day,
    )  # fmt: skip
    issue_invoices(session, [invoice.id])
    client.payment_term_kind, client.payment_term_days = "net", 30
    assert invoice.due_date == day
    return invoice


def _told(session: Session, day: dt.date, *invoices: Invoice) -> None:
    """The clients were told of this collection date by a new pre-notification (a debit on
    another date than the one the invoice announced needs one), 14 days before."""
    from app.payments.sepa import renotify

    renotify(session, [i.id for i in invoices], day, notified_on=day - dt.timedelta(days=14))


def test_batch_refuses_a_past_date_and_names_the_field(session: Session, company: object) -> None:
    client = _debit_client(session, "PAST")
    _told(session, D(2026, 9, 2), issue_invoice(session, client, "480.00", D(2026, 7, 31)))
    for day in (D(2026, 9, 1), D(2026, 8, 20)):
        with pytest.raises(ValidationError) as exc:
            create_batches(session, day, created_on=D(2026, 9, 1))
        assert exc.value.field == "Date de prélèvement"
        assert "à partir du 02/09/2026" in str(exc.value)
    (batch,) = create_batches(session, D(2026, 9, 2), created_on=D(2026, 9, 1))
    assert batch.count == 1


def test_recent_invoices_wait_for_the_prenotification_delay(
    session: Session, company: object
) -> None:
    client = _debit_client(session, "NOTI")
    old = _issue_on_receipt(session, client, "120.00", D(2026, 8, 20))
    issue_invoice(session, client, "480.00", D(2026, 8, 31))  # due 30/09: never before
    recent = _issue_on_receipt(session, client, "240.00", D(2026, 8, 31))
    _told(session, D(2026, 9, 7), old)  # announced for 03/09 on the invoice
    found = candidates(session, D(2026, 9, 7))
    assert [(c.invoice_number, c.sequence, c.problem) for c in found] == [
        (old.number, "FRST", ""),
        (recent.number, "", "préavis insuffisant : facture émise le 31/08/2026, prélevable "
                            "à partir du 14/09/2026 (14 jours)"),
    ]  # fmt: skip
    (batch,) = create_batches(session, D(2026, 9, 7), created_on=D(2026, 9, 1))
    assert [line.invoice_id for line in batch.lines] == [old.id]
    # Explicitly asking for the recent one is refused with the reason.
    with pytest.raises(ValidationErrors) as exc:
        create_batches(session, D(2026, 9, 7), created_on=D(2026, 9, 1), invoice_ids=[recent.id])
    assert exc.value.fields == ["Factures"]
    assert f"{recent.number} : préavis insuffisant" in str(exc.value)

    # A shorter delay agreed with the clients later (company setting: 5 days) does not move
    # the date the issued invoice announced (its pre-notification, frozen at issue): the
    # recent invoice is still debited from 14/09, not 07/09.
    company.sepa_prenotification_days = 5  # type: ignore[attr-defined]
    assert [c.problem for c in candidates(session, D(2026, 9, 7))] == [
        f"premier prélèvement du mandat en attente de confirmation (lot {batch.reference})"
    ]
    confirm_batch(session, batch.id)
    with pytest.raises(ValidationError):
        create_batches(session, D(2026, 9, 7), created_on=D(2026, 9, 2))
    (second,) = create_batches(session, D(2026, 9, 14), created_on=D(2026, 9, 2))
    assert [(line.invoice_id, line.sequence) for line in second.lines] == [(recent.id, "RCUR")]


def test_counters_move_only_when_the_bank_confirms(session: Session, company: object) -> None:
    client = _debit_client(session, "FRST")
    first = issue_invoice(session, client, "480.00", D(2026, 6, 30))
    second = issue_invoice(session, client, "96.60", D(2026, 7, 31))
    mandate = _mandate(session, client)

    # Exported, never confirmed: nothing counted, the invoice waits in the batch.
    _told(session, D(2026, 8, 10), first)
    (batch,) = create_batches(
        session, D(2026, 8, 10), created_on=D(2026, 8, 5), invoice_ids=[first.id]
    )
    assert [line.sequence for line in batch.lines] == ["FRST"]
    assert (mandate.collections_done, mandate.last_collection) == (0, None)
    assert [m.next_sequence for m in list_mandates(session, client.id)] == ["FRST"]
    # While that first debit is not confirmed, the mandate's other invoices wait.
    assert [c.problem for c in candidates(session, D(2026, 9, 10))] == [
        f"premier prélèvement du mandat en attente de confirmation (lot {batch.reference})"
    ]

    # The bank refused the file: cancelled, the first debit is a FRST again.
    cancel_batch(session, batch.id, "Fichier refusé par la banque (format)")
    assert batch.status == "cancelled" and batch.lines[0].status == "cancelled"
    with pytest.raises(StateError):
        confirm_batch(session, batch.id)
    _told(session, D(2026, 9, 10), first, second)
    (again,) = create_batches(session, D(2026, 9, 10), created_on=D(2026, 9, 4))
    xml = etree.fromstring(batch_xml(session, again.id))
    assert [(e.findtext(".//p:MndtId", namespaces=NS), e.findtext(".//p:EndToEndId",
             namespaces=NS)) for e in xml.iterfind(".//p:DrctDbtTxInf", NS)] == [
        ("RUM-FRST", first.number)]  # fmt: skip
    # Both invoices in the mandate's one first debit: never an RCUR beside its FRST.
    assert [e.text for e in xml.iterfind(".//p:SeqTp", NS)] == ["FRST"]
    assert xml.findtext(".//p:InstdAmt", namespaces=NS) == "576.60"
    assert [line.sequence for line in again.lines] == ["FRST", "FRST"]
    assert mandate.collections_done == 0

    # Confirmed: now it counts, with an audit entry on the client's history.
    confirm_batch(session, again.id)
    assert (mandate.collections_done, mandate.last_collection) == (2, D(2026, 9, 10))
    assert [m.next_sequence for m in list_mandates(session, client.id)] == ["RCUR"]
    entry = session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "sepa_mandate", AuditEvent.action == "collections"
        )
    )
    assert entry is not None and entry.client_id == client.id
    assert "prochain en RCUR" in entry.summary


def test_rejected_first_debit_stays_first(session: Session, company: object) -> None:
    client = _debit_client(session, "REJT")
    invoice = issue_invoice(session, client, "480.00", D(2026, 7, 31))
    mandate = _mandate(session, client)
    _told(session, D(2026, 9, 7), invoice)
    (batch,) = create_batches(session, D(2026, 9, 7), created_on=D(2026, 9, 1))
    confirm_batch(session, batch.id)
    assert mandate.collections_done == 1
    reject_line(session, batch.lines[0].id, "MD01 pas de mandat", D(2026, 9, 9))
    assert (mandate.collections_done, mandate.last_collection) == (0, None)
    _told(session, D(2026, 9, 23), invoice)  # presented again: the client is told when
    (retry,) = create_batches(session, D(2026, 9, 23), created_on=D(2026, 9, 14))
    assert [(line.invoice_id, line.sequence) for line in retry.lines] == [(invoice.id, "FRST")]


def test_one_off_mandate_collects_one_invoice(session: Session, company: object) -> None:
    client = _debit_client(session, "OOFF", kind="one_off")
    a = issue_invoice(session, client, "480.00", D(2026, 6, 30))
    b = issue_invoice(session, client, "96.60", D(2026, 7, 31))
    _told(session, D(2026, 9, 7), a)
    found = candidates(session, D(2026, 9, 7))
    assert [(c.invoice_id, c.sequence, c.problem) for c in found] == [
        (a.id, "OOFF", ""),
        (b.id, "", "mandat ponctuel : un seul prélèvement possible"),
    ]
    (batch,) = create_batches(session, D(2026, 9, 7), created_on=D(2026, 9, 1))
    confirm_batch(session, batch.id)
    assert [c.problem for c in candidates(session, D(2026, 10, 5))] == ["aucun mandat SEPA valide"]


# --- the mandate form -------------------------------------------------------------------------


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\xa0", " ").split())  # one line: wrapping does not matter


def _fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


def test_mandate_form_pdf_core_and_b2b(session: Session, company: object) -> None:
    client = _debit_client(session, "MAND")
    client.name = "Boulangerie Martin & Fils"
    mandate = _mandate(session, client)
    mandate.debtor_name = "Boulangerie Martin & Fils"
    pdf = mandate_pdf(session, mandate.id)
    assert pdf.startswith(b"%PDF") and len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = _text(pdf)
    for expected in (
        "Mandat de prélèvement SEPA",
        "Référence unique du mandat (RUM) : RUM-MAND",
        "Boulangerie Martin & Fils",
        "12 rue des Lilas",
        "69003 Lyon",
        "FR76 3000 6000 0112 3456 7890 189",
        "AGRIFRPPXXX",
        "Identifiant créancier SEPA (ICS)",
        "FR72ZZZ123456",
        "vous autorisez (A)",
        "à débiter votre compte conformément aux instructions",
        "dans les 8 semaines suivant la date de débit",
        "☒ Paiement récurrent / répétitif",
        "☐ Paiement ponctuel",
        "☒ SEPA Core",
        "Signé à",
        "01/12/2025",
        "Signature(s) du débiteur",
    ):
        assert expected in text, expected
    creditor_name = company.name  # type: ignore[attr-defined]
    assert f"vous autorisez (A) {creditor_name}" in " ".join(text.split())
    assert _fonts(pdf) and all(f.startswith("DejaVuSans") for f in _fonts(pdf)), _fonts(pdf)

    mandate.scheme, mandate.kind = "B2B", "one_off"
    b2b = " ".join(_text(mandate_pdf(session, mandate.id)).split())
    assert "uniquement destiné aux paiements interentreprises" in b2b
    assert "8 semaines" not in b2b
    assert "☒ Paiement ponctuel" in b2b and "☒ SEPA interentreprises (B2B)" in b2b

    company.sepa_creditor_id = ""  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as exc:
        mandate_pdf(session, mandate.id)
    assert exc.value.field == "ICS (créancier SEPA)"


def test_company_prenotification_setting(session: Session, company: object) -> None:
    from app.company import form_from_company, save_company

    form = form_from_company(company)  # type: ignore[arg-type]
    assert form.sepa_prenotification_days == 14
    form.sepa_prenotification_days = 0
    with pytest.raises(ValidationErrors) as exc:
        save_company(session, form)
    assert "Préavis de prélèvement" in exc.value.fields
    form.sepa_prenotification_days = 5
    assert save_company(session, form).sepa_prenotification_days == 5


def test_cli_lists_left_out_invoices_and_prints_the_mandate(
    db: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from app.demo import DemoContext
    from app.demo import company as demo_company

    today = dt.date.today()
    with db.write() as session:  # type: ignore[attr-defined]
        demo_company.load(session, DemoContext())
        session.flush()
        client = _debit_client(session, "CLI")
        old = issue_invoice(session, client, "480.00", today - dt.timedelta(days=60))
        recent = _issue_on_receipt(session, client, "120.00", today - dt.timedelta(days=3))
        numbers = old.number, recent.number
        _told(session, earliest_collection_date(today), old)
    path = target_of(db)
    assert main(["--db", path, "sepa", "export", "--date", today.isoformat(),
                 "--out", str(tmp_path / "x.xml")]) != 0  # fmt: skip
    assert "« Date de prélèvement » : le" in capsys.readouterr().err
    day = earliest_collection_date(today)
    assert main(["--db", path, "sepa", "export", "--date", day.isoformat(),
                 "--out", str(tmp_path / "lot.xml")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"Écartée : {numbers[1]} (Client CLI) — préavis insuffisant" in out
    assert "1 prélèvement(s), 480,00" in out.replace("\u202f", " ")
    assert numbers[0] in (tmp_path / "lot.xml").read_text()
    assert main(["--db", path, "sepa", "mandat", "--rum", "RUM-CLI",
                 "--out", str(tmp_path / "m.pdf")]) == 0  # fmt: skip
    assert "RUM-CLI" in _text((tmp_path / "m.pdf").read_bytes())


def test_prenotified_date_respects_the_delay(session: Session, company: object) -> None:
    from app.payments.sepa import planned_collection_date, prenotification

    client = _debit_client(session, "PREN")
    net = issue_invoice(session, client, "480.00", D(2026, 6, 30))  # due Thu 30/07/2026
    on_receipt = _issue_on_receipt(session, client, "120.00", D(2026, 7, 3))
    assert planned_collection_date(session, net) == D(2026, 7, 30)
    assert planned_collection_date(session, on_receipt) == D(2026, 7, 17)  # 3/07 + 14 days
    text = prenotification(session, on_receipt).replace("\xa0", " ").replace("\u202f", " ")
    assert text == (
        "Cette facture sera prélevée le 17/07/2026 pour 120,00 € au titre du mandat SEPA "
        "RUM-PREN (ICS FR72ZZZ123456)."
    )
    # The batch agrees: not before that date.
    assert [c.invoice_id for c in candidates(session, D(2026, 7, 16)) if not c.problem] == []
    assert [c.invoice_id for c in candidates(session, D(2026, 7, 17)) if not c.problem] == [
        on_receipt.id
    ]


def test_cancel_repairs_a_counter_taken_at_export(session: Session, company: object) -> None:
    """A file made before the fix counted the export: cancelling the batch recounts."""
    client = _debit_client(session, "OLDF")
    invoice = issue_invoice(session, client, "480.00", D(2026, 7, 31))
    mandate = _mandate(session, client)
    _told(session, D(2026, 9, 7), invoice)
    (batch,) = create_batches(session, D(2026, 9, 7), created_on=D(2026, 9, 1))
    mandate.collections_done, mandate.last_collection = 1, D(2026, 9, 7)  # the old behaviour
    cancel_batch(session, batch.id, "Lot jamais transmis")
    assert (mandate.collections_done, mandate.last_collection) == (0, None)
    _told(session, D(2026, 9, 8), invoice)
    (again,) = create_batches(session, D(2026, 9, 8), created_on=D(2026, 9, 2))
    assert [line.sequence for line in again.lines] == ["FRST"]


def test_demo_history_collections_follow_the_rules(demo_db: object) -> None:
    """Every debit of the demo firm: on a TARGET2 day, not before the due date, at least 14
    days after the invoice, on the pre-notified date; each mandate starts with a FRST and
    its counters are its confirmed debits."""
    from app.payments.sepa import planned_collection_date
    from models.payments import SepaBatch, SepaBatchLine

    with demo_db.read() as session:  # type: ignore[attr-defined]
        rows = session.execute(
            select(SepaBatchLine, SepaBatch, Invoice)
            .join(SepaBatch, SepaBatch.id == SepaBatchLine.batch_id)
            .join(Invoice, Invoice.id == SepaBatchLine.invoice_id)
            .order_by(SepaBatchLine.id)
        ).all()
        assert len(rows) > 50
        first: dict[int, str] = {}
        paid: dict[int, int] = {}
        for line, batch, invoice in rows:
            day = batch.collection_date
            assert is_target_day(day), (invoice.number, day)
            assert invoice.due_date <= day, invoice.number
            assert (day - invoice.issue_date).days >= 14, invoice.number
            assert day == planned_collection_date(session, invoice), invoice.number
            assert batch.created_on < day
            first.setdefault(line.mandate_id, line.sequence)
            paid[line.mandate_id] = paid.get(line.mandate_id, 0) + (line.status == "paid")
        assert set(first.values()) == {"FRST"}
        for mandate in session.scalars(select(SepaMandate)):
            assert mandate.collections_done == paid.get(mandate.id, 0), mandate.rum
