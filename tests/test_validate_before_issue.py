"""Issue N §1: nothing is numbered that cannot be produced as a valid Factur-X.

Reproduces what the review saw (a run's credit note citing no invoice, invoices to private
persons and EU companies without e-mail refused on BR-FR-12), then checks that a draft is
validated before it is numbered, with the rule sets of its buyer's category.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select

from app.billing.checked_issue import issue_checked
from app.billing.contracts import ContractForm, LineForm, activate, create_contract, terminate
from app.billing.draft_checks import DraftsRefused, check_drafts, fingerprints
from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.issuing import issue_invoices
from app.billing.runs import issue_period, run_month
from app.cli import main
from app.db import Database
from app.documents import render
from app.documents.render import render_batch
from app.errors import ValidationError
from models.catalog import Article
from models.clients import Client
from models.company import CompanySettings
from models.contracts import Contract
from models.invoices import DraftCheck, Invoice, InvoiceKind, InvoiceStatus
from models.payments import SepaMandate
from reports.facturx import NS, extract_xml
from reports.validation import validate_xml
from tests import billing_fixtures as bf
from tests.pg import target_of
from tests.write_spy import validations_while_writing

D = dt.date


def _xml_of(db: Database, invoice_id: int) -> bytes:
    with db.read() as s:
        result = render_batch(s, [invoice_id])
    doc = result.documents[0]
    assert doc.ok, doc.error
    return extract_xml(doc.pdf)


def _text(xml: bytes, path: str) -> list[str]:
    return [e.text for e in etree.fromstring(xml).iterfind(path, NS)]


def test_run_credit_note_after_an_end_cites_the_november_invoice(demo_db: Database) -> None:
    for period in ("2026-09", "2026-10", "2026-11"):
        with demo_db.write() as s:
            run_month(s, period)
        with demo_db.write() as s:
            issue_period(s, period, include_blocked=True)
    with demo_db.write() as s:
        contract = s.scalar(select(Contract).where(Contract.code == "CT00003"))
        terminate(s, contract.id, D(2026, 7, 1), D(2026, 11, 15))
        contract_id = contract.id
        november = s.scalar(
            select(Invoice).where(
                Invoice.contract_id == contract_id,
                Invoice.kind == InvoiceKind.INVOICE,
                Invoice.period_start == D(2026, 11, 1),
            )
        )
        november_number, november_date = november.number, november.issue_date
    with demo_db.write() as s:
        run = run_month(s, "2026-12", issue_date=D(2026, 12, 7))
    with demo_db.read() as s:
        notes = [
            s.get(Invoice, i)
            for i in run.invoice_ids
            if s.get(Invoice, i).kind == InvoiceKind.CREDIT_NOTE
            and s.get(Invoice, i).contract_id == contract_id
        ]
        assert len(notes) == 1
        note_id = notes[0].id
        assert notes[0].origin.number == november_number
    with demo_db.write() as s:
        issued = issue_period(s, "2026-12", include_blocked=True)
    assert issued
    xml = _xml_of(demo_db, note_id)
    assert _text(xml, ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [november_number]
    assert _text(
        xml, ".//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString"
    ) == [november_date.strftime("%Y%m%d")]
    assert [f for f in validate_xml(xml) if f.fatal] == []


def _paper_client(s, **kw: object) -> Client:  # type: ignore[no-untyped-def]
    return bf.client(s, email="", invoice_email="", **kw)


def test_private_person_and_eu_company_without_email_get_valid_invoices(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        person = _paper_client(s, code="DUPO001", kind="person", siren="", name="Mme Dupont")
        german = _paper_client(
            s,
            code="MULL001",
            kind="company",
            siren="",
            name="Müller GmbH",
            country="DE",
            postcode="10115",
            city="Berlin",
            street="Invalidenstraße 1",
            vat_number="DE811907980",
        )
        ids = [
            create_draft_invoice(
                s,
                c.id,
                [DraftLine("Nettoyage vitres", 2, Decimal("40"))],
                issue_date=D(2026, 11, 5),
            ).id
            for c in (person, german)
        ]
        issue_invoices(s, ids)
    for invoice_id in ids:
        xml = _xml_of(db, invoice_id)  # rendered: it passed the rule sets of its buyer
        # Out of the French B2B exchange: the European standard, not BR-FR (BR-FR-12).
        assert [f for f in validate_xml(xml, ("EN 16931",)) if f.fatal] == []
        assert _text(xml, ".//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID") == []


def _draft(s, client: Client, text: str = "Remise en état") -> int:  # type: ignore[no-untyped-def]
    return create_draft_invoice(
        s, client.id, [DraftLine(text, 1, Decimal("100"))], issue_date=D(2026, 11, 5)
    ).id


def test_refused_draft_stays_a_draft_with_rule_and_what_to_change(db: Database) -> None:
    with db.write() as s:
        bf.firm(s)
        good = bf.client(s, code="BONN001")
        # A French company without SIREN: the CTC rules apply to it and cannot be met.
        bad = bf.client(s, code="DUPO001", siren="", email="", invoice_email="")
        first, refused_id, last = _draft(s, good), _draft(s, bad), _draft(s, good, "Vitres")
    outcome = issue_checked(db, [first, refused_id, last])
    assert outcome.numbers == ["FA2026-00001", "FA2026-00002"]  # no gap
    assert [r.invoice_id for r in outcome.refused] == [refused_id]
    message = outcome.refused[0].message
    assert f"Brouillon n° {refused_id}" in message
    assert "règle MENTION-SIREN-CLIENT" in message
    assert "le client DUPO001 n'a pas de SIREN : renseignez-le sur sa fiche" in message
    assert "BR-FR-12_BT-49" in message  # the other failed rule is named too
    with db.read() as s:
        assert s.get(Invoice, refused_id).status == InvoiceStatus.DRAFT
        assert s.get(Invoice, refused_id).number is None
        assert s.get(DraftCheck, refused_id).error == message
    # Corrected, it passes and takes the next number.
    with db.write() as s:
        s.get(Client, s.get(Invoice, refused_id).client_id).siren = "552100554"
    assert issue_checked(db, [refused_id]).numbers == ["FA2026-00003"]


def test_numbering_only_confirms_a_draft_unchanged_since_its_check(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        draft_id = _draft(s, client)
    assert check_drafts(db, [draft_id]) == {draft_id: ""}
    with db.read() as s:
        checked = s.get(DraftCheck, draft_id).fingerprint
        assert fingerprints(s, [draft_id]) == {draft_id: checked}

    def no_validation(_docs: object, _total: int) -> None:
        raise AssertionError("validated again inside the numbering transaction")

    monkeypatch.setattr(render, "validate_stream", no_validation)
    with db.write() as s:
        assert issue_invoices(s, [draft_id]) == ["FA2026-00001"]


def test_issuing_one_new_draft_validates_it_outside_the_numbering_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workstation saves a draft and issues it at once (4 workstations × 500 of them in
    tests/test_concurrency.py): the validation, 15-60 ms a document, must not run while
    the write lock is held, or the other workstations wait for it until their 30 s run
    out (« La base est occupée par un autre poste … »)."""
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        draft_id = _draft(s, client)
    validated_while_writing = validations_while_writing(monkeypatch)
    outcome = issue_checked(db, [draft_id])
    assert outcome.numbers == ["FA2026-00001"] and outcome.refused == []
    assert validated_while_writing == [False]


def test_a_draft_changed_after_its_check_is_checked_again_before_its_number(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s, code="DUPO001")
        draft_id = _draft(s, client)
    assert check_drafts(db, [draft_id]) == {draft_id: ""}
    with db.write() as s:
        s.get(CompanySettings, 1).siren = ""  # the firm's identity changed after the check
        assert fingerprints(s, [draft_id])[draft_id] != s.get(DraftCheck, draft_id).fingerprint
    checked: list[int] = []
    real = render.validate_stream

    def counting(docs, total):  # type: ignore[no-untyped-def]
        checked.append(total)
        return real(docs, total)

    monkeypatch.setattr(render, "validate_stream", counting)
    with pytest.raises(DraftsRefused, match="Paramètres › Société"), db.write() as s:
        issue_invoices(s, [draft_id])
    assert checked == [1]
    with db.read() as s:
        assert s.get(Invoice, draft_id).number is None


def test_a_direct_debit_draft_is_checked_again_when_its_mandate_changes(db: Database) -> None:
    """The document of a direct-debit draft announces the client's active mandate (RUM,
    IBAN): revoking it, or signing another, makes the check stale (the fingerprint once
    dropped the mandates' status before filtering on it, so it never saw them)."""
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s, code="DUPO001", payment_means="direct_debit")
        s.add(
            SepaMandate(
                client_id=client.id, rum="RUM-1", iban="FR7630006000011234567890189",
                signature_date=D(2026, 1, 5), status="active",
            )
        )  # fmt: skip
        draft_id = _draft(s, client)
    with db.read() as s:
        checked = fingerprints(s, [draft_id])[draft_id]
    with db.write() as s:
        mandate = s.scalar(select(SepaMandate).where(SepaMandate.rum == "RUM-1"))
        mandate.iban = "FR7610107001011234567890129"
        after_iban = fingerprints(s, [draft_id])[draft_id]
        mandate.status, mandate.revoked_on = "revoked", D(2026, 11, 6)
        after_revoke = fingerprints(s, [draft_id])[draft_id]
    assert len({checked, after_iban, after_revoke}) == 3


def test_cli_run_lists_refused_drafts_and_exits_non_zero(db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    with db.write() as s:
        bf.firm(s)
        bad = bf.client(s, code="DUPO001", siren="", email="", invoice_email="")
        bf.three_line_contract(s, bad)
        good = bf.client(s, code="BONN001")
        article = s.scalar(select(Article).where(Article.code == "ENT-BUR"))
        form = ContractForm(client_id=good.id, start_date=D(2026, 1, 15), title="Bureaux")
        line = LineForm("Entretien", Decimal(1), Decimal(900), "monthly", "arrears", article.id)
        activate(s, create_contract(s, form, [line], today=D(2026, 1, 10)).id)
    code = main(["--db", target_of(db), "billing", "run", "--period", "2026-01", "--validate"])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 facture(s) émise(s) : FA2026-00001 à FA2026-00001." in out
    assert "Refusé : Brouillon n°" in out and "le client DUPO001 n'a pas de SIREN" in out


def test_cli_run_checks_each_draft_once_before_numbering_it(  # type: ignore[no-untyped-def]
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """`billing run --validate`: each draft is built and validated once, and its fingerprint
    read twice: to check it, then in the numbering transaction, where the same pass records
    the check and confirms it before the number — not checked first as a provisional run
    and then looked up again to issue it."""
    from app.billing import draft_checks

    with db.write() as s:
        bf.firm(s)
        bf.three_line_contract(s, bf.client(s, code="BONN001"))
        article = s.scalar(select(Article).where(Article.code == "ENT-BUR"))
        for code in ("MART001", "PETI001"):
            form = ContractForm(client_id=bf.client(s, code=code).id, start_date=D(2026, 1, 1))
            line = LineForm("Entretien", Decimal(1), Decimal(900), "monthly", "arrears", article.id)
            activate(s, create_contract(s, form, [line], today=D(2026, 1, 10)).id)
    passes: list[int] = []
    built: list[int] = []
    real_prints, real_build = draft_checks.fingerprints, draft_checks._provisional_document

    def prints(session, ids):  # type: ignore[no-untyped-def]
        ids = list(ids)
        if ids:
            passes.append(len(ids))
        return real_prints(session, ids)

    def build(session, invoice, company):  # type: ignore[no-untyped-def]
        built.append(invoice.id)
        return real_build(session, invoice, company)

    monkeypatch.setattr(draft_checks, "fingerprints", prints)
    monkeypatch.setattr(draft_checks, "_provisional_document", build)
    code = main(["--db", target_of(db), "billing", "run", "--period", "2026-01", "--validate"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 facture(s) émise(s) : FA2026-00001 à FA2026-00003." in out
    assert sorted(built) == sorted(set(built)) and len(built) == 3
    assert passes == [3, 3]


def test_a_refused_numbering_keeps_the_checks_it_recorded(db: Database) -> None:
    """The checks are recorded in the numbering transaction: when the numbering is refused
    (here the client was blocked), nothing is numbered but the checks stay, so the next
    attempt does not validate the same drafts again."""
    with db.write() as s:
        bf.firm(s)
        client = bf.client(s, code="DUPO001", blocked=True)
        draft_id = _draft(s, client)
    with pytest.raises(ValidationError, match="est bloqué"):
        issue_checked(db, [draft_id])
    with db.read() as s:
        assert s.get(Invoice, draft_id).number is None
        assert s.get(DraftCheck, draft_id).fingerprint == fingerprints(s, [draft_id])[draft_id]
        assert s.get(DraftCheck, draft_id).error == ""


def test_check_finds_an_issued_document_that_cannot_be_produced(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from app.billing import issuing

    with db.write() as s:
        bf.firm(s)
        client = bf.client(s)
        good = _draft(s, client)
        orphan = create_draft_invoice(
            s,
            client.id,
            [DraftLine("Régularisation", 1, Decimal("50"))],
            issue_date=D(2026, 11, 6),
            kind=InvoiceKind.CREDIT_NOTE,
        ).id
    # As the landed product did: numbered without any check.
    monkeypatch.setattr(issuing, "confirm_checked", lambda *_: None)
    with db.write() as s:
        issue_invoices(s, [good, orphan])
    monkeypatch.undo()
    assert main(["--db", target_of(db), "check"]) == 1
    out = capsys.readouterr().out
    assert "Avoirs : AV2026-00001 ne cite aucune facture d'origine (BT-25)" in out
    assert main(["--db", target_of(db), "check", "--documents"]) == 1
    out = capsys.readouterr().out
    assert "AV2026-00001 ne peut pas être produit : règle MENTION-AVOIR-BT-25" in out
    assert "FA2026-00001 ne peut" not in out
    # export refuses it and says so by its exit code
    assert (
        main(
            [
                "--db",
                target_of(db),
                "documents",
                "export",
                "--period",
                "2026-11",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 1
    )
    assert "REFUSÉ AV2026-00001" in capsys.readouterr().err
