"""Printed as frozen (issue N §3): an issued document shows the company settings of the day it
was issued. Seen: switching the VAT option and the bank after issue made a June invoice print
« Option pour le paiement de la taxe d'après les débits » and the new IBAN."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import insert, inspect, select

from app import clock, migrate
from app.billing.runs import issue_period, run_month
from app.company import form_from_company, save_company, set_logo
from app.company_snapshot import SELLER_KEYS, fallbacks, seller_values
from app.db import Database, open_database
from app.documents.build import build_document
from app.documents.render import render_one
from models.clients import Client, ClientKind
from models.company import CompanySettings
from models.contracts import Contract
from models.invoices import Invoice, InvoiceLine, InvoiceStatus
from models.payments import SepaMandate
from reports.facturx import build_cii_xml

D = dt.date
MIGRATION = next(
    (migrate.MIGRATIONS_DIR / "versions").glob("c66adaf0a0eb_*.py")
)  # the revision that froze the settings of older documents


def _png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), color).save(out, "PNG")
    return out.getvalue()


def _produce(db: Database, ids: list[int]) -> list[tuple[object, str, bytes]]:
    """Each document as built, its PDF text and its Factur-X XML (rendered afresh)."""
    out = []
    with db.read() as session:
        for invoice_id in ids:
            doc = build_document(session, invoice_id)
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_one(doc))).pages)
            out.append((doc, text, build_cii_xml(doc)))
    return out


def _change_every_setting(db: Database) -> None:
    with db.write() as session:
        form = form_from_company(session.get(CompanySettings, 1))
        form.name = "Lumière Services Nouvelle"
        form.legal_form = "SA"
        form.share_capital = "90000"
        form.street, form.postcode, form.city = "5 quai Perrache", "69002", "Lyon"
        form.rcs_city = "Villefranche"
        form.naf_code = "81.22Z"
        form.iban = "FR7610107001011234567890129"
        form.bic = "BREDFRPPXXX"
        form.bank_name = "BRED Perrache"
        form.email = "compta@nouvelle.fr"
        form.phone = "04 00 00 00 00"
        form.website = "www.nouvelle.fr"
        form.vat_on_debits = True
        form.late_penalty_rate = "15"
        form.ecb_rate = "3.5"
        form.ecb_rate_date = "01/01/2026"
        form.sepa_creditor_id = "FR99ZZZ999999"
        form.sepa_prenotification_days = 60  # would push the announced debit date
        form.sap_declaration_number = "SAP000000000"
        form.sap_declaration_date = "02/01/2026"
        company = save_company(session, form)
        company.late_penalty_text = "Nouvelles pénalités : {rate} % l'an."
        company.early_payment_text = "Escompte de 1 % pour paiement sous 8 jours."
        company.electronic_address = "999999999"
        set_logo(session, _png("red"))


def _change_the_clients(db: Database, ids: list[int]) -> None:
    """What the buyer side shows and may change after issue: the agreed payment terms, the
    commitment number, the direct-debit mandate (revoked, a new one signed)."""
    with db.write() as session:
        for n, invoice in enumerate(session.scalars(select(Invoice).where(Invoice.id.in_(ids)))):
            client = session.get(Client, invoice.client_id)
            client.payment_term_kind, client.payment_term_days = "days_eom", 45
            client.chorus_commitment = f"EJ-NOUVEAU-{n}"
            for mandate in session.scalars(
                select(SepaMandate).where(
                    SepaMandate.client_id == client.id, SepaMandate.status == "active"
                )
            ):
                mandate.status, mandate.revoked_on = "revoked", D(2026, 12, 7)
                session.add(
                    SepaMandate(
                        client_id=client.id, rum=f"RUM-NOUVEAU-{n}", iban="FR7610107001011234567890129",
                        signature_date=D(2026, 12, 7), status="active",
                    )
                )  # fmt: skip


def _issued_sample(db: Database) -> list[int]:
    """One issued invoice per way the seller shows on it: transfer (bank details), direct
    debit (ICS), public buyer (ECB rate), private person (10 % SAP line), professional."""
    with db.read() as session:
        rows = session.execute(
            select(Invoice.id, Client.kind, Client.payment_means, Invoice.run_id)
            .join(Client, Client.id == Invoice.client_id)
            .where(Invoice.status == InvoiceStatus.ISSUED, Invoice.issue_date == D(2026, 11, 30))
            .order_by(Invoice.id)
        ).all()
        sap = set(session.scalars(select(InvoiceLine.invoice_id).where(InvoiceLine.vat_rate == 10)))
    picks: dict[str, int] = {}
    for invoice_id, kind, means, _run in rows:
        for key, wanted in (
            ("public", kind == ClientKind.PUBLIC),
            ("transfer", means == "transfer"),
            ("direct_debit", means == "direct_debit"),
            ("sap", invoice_id in sap),
            ("professional", kind in ClientKind.PROFESSIONAL),
        ):
            if wanted:
                picks.setdefault(key, invoice_id)
    assert set(picks) == {"public", "transfer", "direct_debit", "sap", "professional"}, picks
    return sorted(set(picks.values()))


def test_issued_documents_print_identically_after_every_company_setting_changes(
    demo_db: Database,
) -> None:
    with demo_db.write() as session:
        set_logo(session, _png("blue"))
    with clock.pinned(D(2026, 12, 7)), demo_db.write() as session:
        run_month(session, "2026-11")
        issue_period(session, "2026-11", include_blocked=True)
    ids = _issued_sample(demo_db)
    before = _produce(demo_db, ids)
    _change_every_setting(demo_db)
    _change_the_clients(demo_db, ids)
    after = _produce(demo_db, ids)
    for (doc, text, xml), (doc2, text2, xml2) in zip(before, after, strict=True):
        assert doc2 == doc, doc.number
        assert text2 == text, doc.number
        assert xml2 == xml, doc.number
    texts = "\n".join(t for _d, t, _x in after)
    assert "d'après les débits" not in texts  # the VAT option of the day of issue
    assert "FR76 3000 4001" in texts.replace("\u00a0", " ") or "FR7630004001" in texts
    assert "BRED" not in texts and "FR99ZZZ999999" not in texts and "Nouvelle" not in texts
    assert all(d.logo_png == _png("blue") for d, _t, _x in after)
    assert any(d.payment.collection_date for d, _t, _x in after)  # a pre-notified debit
    assert any(d.payment.mandate_reference.startswith("RUM-") for d, _t, _x in after)
    assert "RUM-NOUVEAU" not in texts and "EJ-NOUVEAU" not in texts
    # A draft is not frozen: it shows today's settings.
    with demo_db.write() as session:
        draft_id = session.scalar(select(Invoice.id).where(Invoice.status == InvoiceStatus.DRAFT))
    if draft_id is not None:
        with demo_db.read() as session:
            assert build_document(session, draft_id, allow_draft=True).seller.name == (
                "Lumière Services Nouvelle"
            )


def _load_migration() -> object:
    spec = importlib.util.spec_from_file_location("frozen_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_migration_freezes_the_settings_of_the_day_for_older_documents(tmp_path: Path) -> None:
    """Upgrading a firm that already issued documents freezes every snapshot key with the
    company's values of that day, in the form the snapshot itself keeps them."""
    from alembic.script import ScriptDirectory

    previous = (
        ScriptDirectory.from_config(migrate.alembic_config())
        .get_revision(_load_migration().revision)
        .down_revision
    )
    db = open_database(tmp_path / "older.db")
    migrate.upgrade(db, previous, backup=False)
    table = CompanySettings.__table__
    present = {c["name"] for c in inspect(db.engine).get_columns("company_settings")}
    values = {
        "id": 1, "name": "Ancienne SARL", "legal_form": "SARL", "share_capital": "7500.00",
        "street": "1 rue Neuve", "street2": "", "postcode": "69001", "city": "Lyon",
        "country": "FR", "siren": "552100554", "siret": "55210055400013", "rcs_city": "Lyon",
        "vat_number": "FR03552100554", "naf_code": "81.21Z", "iban": "FR7630004001230001234567843",
        "bic": "BNPAFRPPXXX", "bank_name": "BNP", "email": "a@b.fr", "phone": "", "website": "",
        "logo_png": _png("green"), "vat_on_debits": True, "payment_term_kind": "net",
        "payment_term_days": 30, "late_penalty_rate": "12.15", "late_penalty_text": "{rate} %",
        "early_payment_text": "Pas d'escompte.", "ecb_rate": "2.15",
        "ecb_rate_date": D(2026, 7, 1), "sepa_creditor_id": "FR72ZZZ123456",
        "sap_declaration_number": "", "electronic_address": "552100554",
        "electronic_address_scheme": "0225", "client_code_rule": "letters",
        "quote_validity_days": 90,
    }  # fmt: skip
    with db.engine.begin() as conn:
        conn.execute(insert(table).values({k: v for k, v in values.items() if k in present}))
    migrate.upgrade(db, backup=False)
    with db.read() as session:
        frozen = fallbacks(session)
        company = session.get(CompanySettings, 1)
        expected = json.loads(json.dumps(seller_values(company)))
    assert set(frozen) == set(SELLER_KEYS)
    assert frozen == expected
    assert frozen["vat_on_debits"] is True and frozen["share_capital"] == "7500.00"
    db.dispose()


def test_an_older_snapshot_prints_the_values_frozen_by_the_migration(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document issued before its snapshot held the texts, the ICS and the logo."""
    import app.billing.issuing as issuing

    old_keys = [k for k in SELLER_KEYS if k not in {
        "late_penalty_text", "early_payment_text", "sepa_creditor_id", "logo_sha256",
        "sepa_prenotification_days",
    }]  # fmt: skip

    def old_snapshot(company: CompanySettings | None) -> str:
        values = seller_values(company)
        return json.dumps({k: values[k] for k in old_keys}, ensure_ascii=False, sort_keys=True)

    monkeypatch.setattr(issuing, "seller_snapshot", old_snapshot)
    with clock.pinned(D(2026, 12, 7)), demo_db.write() as session:
        run_month(session, "2026-11")
        issue_period(session, "2026-11", include_blocked=True)
    monkeypatch.undo()
    ids = _issued_sample(demo_db)
    with demo_db.write() as session:  # the migration runs on that base
        _load_migration().freeze_current_settings(session.connection())
    before = _produce(demo_db, ids)
    _change_every_setting(demo_db)
    after = _produce(demo_db, ids)
    assert [(d, t, x) for d, t, x in after] == [(d, t, x) for d, t, x in before]
    assert "FR99ZZZ999999" not in "\n".join(t for _d, t, _x in after)


def test_contract_code_and_syndic_address_print_as_frozen(db: Database) -> None:
    """BT-12 (the contract, and the client's own reference) and the syndic's mailing address
    under « c/o » were read live: a renamed reference or a syndic that moved changed the
    reprint of an invoice issued before."""
    from tests import billing_fixtures as bf

    with db.write() as s:
        bf.firm(s)
        syndic = bf.client(
            s, code="FONC001", kind=ClientKind.MANAGER, name="Foncia Lyon",
            street="12 rue de la République", postcode="69002", city="Lyon",
        )  # fmt: skip
        condo = bf.client(
            s, code="SDCLIL", kind=ClientKind.CONDOMINIUM, name="Résidence Les Lilas",
            siren="", street="3 rue des Lilas", postcode="69003", city="Lyon",
            manager_id=syndic.id,
        )  # fmt: skip
        contract = bf.three_line_contract(s, condo)
        contract.reference = "MARCHE-2026-04"
        contract_id, syndic_id = contract.id, syndic.id
    with clock.pinned(D(2026, 12, 7)), db.write() as s:
        run_month(s, "2026-01")
        (number,) = issue_period(s, "2026-01")
        invoice_id = s.scalar(select(Invoice.id).where(Invoice.number == number))
    before = _produce(db, [invoice_id])
    doc = before[0][0]
    assert doc.contract_reference == "CT00001 (MARCHE-2026-04)"
    assert doc.buyer.address_lines == (
        "SDC Résidence Les Lilas, 3 rue des Lilas, 69003 Lyon",
        "c/o Foncia Lyon",
        "12 rue de la République",
        "69002 LYON",
    )
    with db.write() as s:
        s.get(Contract, contract_id).reference = "AVENANT-2027"
        syndic = s.get(Client, syndic_id)
        syndic.street, syndic.postcode, syndic.city = "8 quai Saint-Vincent", "69001", "Lyon"
    after = _produce(db, [invoice_id])
    assert after == before
