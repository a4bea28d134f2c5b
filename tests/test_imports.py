"""Switching from another software (issue P §2): the shipped templates import into an
empty firm with the expected rows; a broken file is refused row by row in French and
nothing is written; every dialect of .csv and an .xlsx give the same rows; imported open
items are owed, aged and allocatable; imported contracts bill only after the switch."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app import clock
from app.billing.runs import run_month
from app.cli import main
from app.collections.aging import aged_balance
from app.db import Database
from app.errors import ValidationError
from app.imports.fields import KINDS, guess_mapping, remember, remembered
from app.imports.reader import read_table
from app.imports.run import import_file, prepare, run_import
from app.imports.templates import template_path
from app.imports.values import date, number
from app.ledger import outstanding
from app.payments.entry import PaymentForm, record_payment
from app.payments.sepa_rules import sequence_type
from app.receivables import open_items
from models.audit import AuditEvent as AuditLog
from models.catalog import Article, ArticleFamily
from models.clients import Client, Contact, Site
from models.contracts import Contract, ContractStatus
from models.invoices import Invoice, InvoiceLine
from models.payments import SepaMandate
from tests.pg import target_of
from tests.test_collections import overdue

D = dt.date
SWITCH = D(2026, 12, 7)
ORDER = ("clients", "sites", "contacts", "articles", "contracts", "open-items")


@pytest.fixture
def switched(db: Database) -> Database:
    """An empty firm that imported the six shipped templates, in the guide's order."""
    with clock.pinned(SWITCH):
        for kind in ORDER:
            report = import_file(db, kind, template_path(kind))
            assert report.written and not report.refused, (kind, report.as_json())
    return db


def test_shipped_templates_give_the_expected_rows(switched: Database) -> None:
    with switched.read() as s:
        kinds = dict(s.execute(select(Client.code, Client.kind)).all())
        assert kinds == {
            "RESI001": "condominium",
            "GEST001": "manager",
            "BOUL001": "company",
            "DUBO001": "person",
            "MAIR001": "public",
        }
        resi = s.scalar(select(Client).where(Client.code == "RESI001"))
        assert resi.manager.code == "GEST001"  # the syndic comes after it in the file
        boul = s.scalar(select(Client).where(Client.code == "BOUL001"))
        assert (boul.payment_means, boul.iban, boul.siren) == (
            "direct_debit",
            "FR7630006000011234567890189",
            "529876542",
        )
        (mandate,) = s.scalars(select(SepaMandate))
        assert (mandate.client_id, mandate.rum, mandate.signature_date) == (
            boul.id, "RUM-BOUL-0001", D(2022, 9, 15),
        )  # fmt: skip
        # Already used by the previous software: its next debit is recurrent.
        assert sequence_type(mandate.kind, mandate.collections_done) == "RCUR"
        assert mandate.last_collection == D(2026, 11, 5)
        gest = s.scalar(select(Client).where(Client.code == "GEST001"))
        assert (gest.payment_term_kind, gest.payment_term_days, gest.sending_mode) == (
            "days_eom",
            45,
            "email",
        )
        site = s.scalar(select(Site).where(Site.code == "BOUL-MAG"))
        assert json.loads(site.surfaces) == {"Magasin": "80", "Fournil": "45.5"}
        assert s.scalar(select(func.count(Contact.id))) == 4
        invoice_contacts = s.scalars(select(Contact.name).where(Contact.is_invoice_contact))
        assert sorted(invoice_contacts) == ["Jean Martin", "Service comptabilité"]
        families = dict(s.execute(select(ArticleFamily.code, ArticleFamily.label)).all())
        assert families["VIT"] == "Vitrerie" and len(families) == 4
        vitre = s.scalar(select(Article).where(Article.code == "VITRE"))
        assert (vitre.unit, vitre.unit_price, vitre.vat_rate.rate) == ("m²", Decimal("1.2"), 20)
        sac = s.scalar(select(Article).where(Article.code == "SAC-100"))
        assert not sac.is_service and sac.revenue_account.number == "707000"
        contracts = {c.reference: c for c in s.scalars(select(Contract))}
        tilleuls = contracts["CT-2019-014"]
        assert tilleuls.status == ContractStatus.ACTIVE
        assert tilleuls.start_date == D(2019, 3, 1)
        versions = [cl.versions[0] for cl in tilleuls.lines]
        assert [(v.quantity, v.unit_price, v.frequency, v.start_date) for v in versions] == [
            (Decimal("8.667"), Decimal("85"), "monthly", D(2027, 1, 1)),
            (Decimal("120"), Decimal("1.2"), "quarterly", D(2027, 1, 1)),
        ]
        bakery = contracts["CT-2022-031"]
        assert bakery.purchase_order == "BC-7781" and bakery.notice_months == 1
        assert bakery.lines[0].versions[0].term == "arrears"
        items = {
            i.number: (i.status, i.total_ttc, i.amount_due, i.due_date)
            for i in s.scalars(select(Invoice))
        }
        assert items == {
            "FA-2026-0412": ("opening", Decimal("1020.00"), Decimal("1020.00"), D(2026, 11, 30)),
            "FA-2026-0398": ("opening", Decimal("588.00"), Decimal("288.00"), D(2026, 10, 30)),
            "FA-2026-0420": ("opening", Decimal("2400.00"), Decimal("2400.00"), D(2026, 12, 30)),
        }


def test_importing_the_same_files_twice_doubles_nothing(switched: Database, tmp_path: Path) -> None:
    def counts() -> list[int]:
        with switched.read() as s:
            return [
                int(s.scalar(select(func.count(m.id))) or 0)
                for m in (Client, Site, Contact, Article, Contract, Invoice)
            ]

    before = counts()
    with clock.pinned(SWITCH):
        for kind in ORDER:
            report = import_file(switched, kind, template_path(kind))
            assert not report.written and len(report.refused) == len(report.rows), kind
        contacts = import_file(switched, "contacts", template_path("contacts"))
    assert contacts.refused[0].problems == ["« Sophie Bernard » existe déjà dans Propreo."]
    # Rows without a code of their own are recognised by their name.
    path = tmp_path / "sans-code.csv"
    path.write_text(
        "Nom;Adresse;CP;Ville;Type\nM. Paul Roux;1 rue Basse;44000;Nantes;Particulier\n"
    )
    assert import_file(switched, "clients", path).written
    again = import_file(switched, "clients", path)
    assert again.refused[0].problems == ["« M. Paul Roux » existe déjà dans Propreo."]
    assert counts() == [before[0] + 1, *before[1:]]


def test_open_items_are_owed_aged_and_allocatable(switched: Database) -> None:
    with switched.write() as s:
        boul = s.scalar(select(Client).where(Client.code == "BOUL001"))
        mairie = s.scalar(select(Client).where(Client.code == "MAIR001"))
        assert outstanding(s, boul.id) == Decimal("288.00")
        assert overdue(s, boul.id, SWITCH) == Decimal("288.00")
        assert overdue(s, mairie.id, SWITCH) == Decimal("0.00")  # due on 30/12
        aged = aged_balance(s, SWITCH)
        assert aged.total.buckets["d31_60"] == Decimal("288.00")  # due 30/10: 38 days late
        assert aged.total.buckets["d1_30"] == Decimal("1020.00")  # due 30/11: 7 days late
        assert aged.total.buckets["not_due"] == Decimal("2400.00")
        assert aged.total.total == Decimal("3708.00")
        assert [i.number for i in open_items(s, boul.id)] == ["FA-2026-0398"]
        with clock.pinned(SWITCH):
            payment = record_payment(
                s, PaymentForm(client_id=boul.id, date=SWITCH, amount="288,00")
            )
        assert [a.amount for a in payment.allocations] == [Decimal("288.00")]
        assert outstanding(s, boul.id) == Decimal("0.00")
        assert open_items(s, boul.id) == []


def test_open_items_stay_out_of_the_sales_journal_and_the_chain(
    switched: Database, tmp_path: Path
) -> None:
    from app.billing.chain import verify_chain
    from app.demo import DemoContext
    from app.demo import company as demo_company
    from app.documents.accounting import export_fec

    with clock.pinned(SWITCH), switched.write() as s:
        demo_company.load(s, DemoContext())
        boul = s.scalar(select(Client).where(Client.code == "BOUL001"))
        record_payment(s, PaymentForm(client_id=boul.id, date=SWITCH, amount="288,00"))
    with clock.pinned(SWITCH), switched.read() as s:
        fec = export_fec(s, 2026, tmp_path)
        assert verify_chain(s) == []
    # Only the payment is booked: the opening items' sales are in the old software's books.
    # Only the payment is booked: the opening items' sales are in the old software's books;
    # the VAT on payment moved is that of the 288,00 € still owed (98,00 × 288 / 588).
    assert [
        (e.journal, [(line.account, line.debit, line.credit) for line in e.lines])
        for e in fec.entries
    ] == [
        ("BQ", [("512000", Decimal("288.00"), 0), ("411000", 0, Decimal("288.00"))]),
        ("OD", [("445740", Decimal("48.00"), 0), ("445710", 0, Decimal("48.00"))]),
    ]


def test_imported_contracts_bill_from_the_day_after_the_switch(switched: Database) -> None:
    with clock.pinned(D(2026, 12, 31)), switched.write() as s:
        result = run_month(s, "2026-12", issue_date=D(2026, 12, 31))
        assert result is not None
        lines = list(
            s.scalars(select(InvoiceLine).where(InvoiceLine.contract_line_id.is_not(None)))
        )
        # Les Tilleuls are billed to 31/12 already; the bakery's December, in arrears: 20 h.
        assert [(line.period_start, line.total_ht) for line in lines] == [
            (D(2026, 12, 1), Decimal("490.00"))
        ]


def test_a_broken_file_is_refused_row_by_row_and_nothing_is_written(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = template_path("clients").read_text("utf-8-sig").splitlines()
    text[2] = text[2].replace("41235678400105", "41235678400106")  # SIRET key wrong
    text[3] = text[3].replace("Entreprise", "Fournisseur")
    broken = tmp_path / "clients.csv"
    broken.write_text("\n".join(text), "utf-8")
    with db.read() as s:
        audit_before = s.scalar(select(func.count(AuditLog.id)))
    code = main(["--db", target_of(db), "import", "clients", str(broken)])
    out = capsys.readouterr().out
    assert code == 1
    assert "Ligne 3 : Le SIRET" in out  # the syndic's own row
    assert "Ligne 4 : « Fournisseur » n'est pas une valeur admise pour « Type »" in out
    assert "Ligne 2 : Syndic" in out or "Ligne 2 : Code syndic" in out  # its syndic refused
    assert "rien n'a été écrit" in out
    with db.read() as s:
        assert s.scalar(select(func.count(Client.id))) == 0
        assert s.scalar(select(func.count(AuditLog.id))) == audit_before
    code = main(["--db", target_of(db), "import", "clients", str(broken), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["ecrit"] is False
    assert [r["ligne"] for r in report["lignes"] if not r["ok"]] == [2, 3, 4]


def test_dry_run_checks_everything_and_writes_nothing(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["--db", target_of(db), "import", "clients", str(template_path("clients")), "--dry-run"]
    )
    assert code == 0
    assert "Simulation : les 5 lignes seraient importées." in capsys.readouterr().out
    with db.read() as s:
        assert s.scalar(select(func.count(Client.id))) == 0


def _rows(kind: str) -> list[list[str]]:
    lines = template_path(kind).read_text("utf-8-sig").splitlines()
    return [line.split(";") for line in lines]


@pytest.mark.parametrize("dialect", ["cp1252-comma", "utf16-tab", "xlsx"])
def test_every_dialect_gives_the_same_rows(db: Database, tmp_path: Path, dialect: str) -> None:
    rows = _rows("articles")
    if dialect == "xlsx":
        path = tmp_path / "articles.xlsx"
        book = Workbook()
        for i, row in enumerate(rows):
            if i:  # what Excel stores: numbers as binary floats
                row = [*row[:4], float(row[4].replace(",", ".")), int(row[5]), *row[6:]]
            book.active.append(row)
        book.save(path)
    elif dialect == "cp1252-comma":
        path = tmp_path / "articles.csv"
        quoted = [
            '"' + '","'.join(c.replace(",", ".") if c[:1].isdigit() else c for c in row) + '"'
            for row in rows
        ]
        path.write_bytes("\r\n".join(quoted).encode("cp1252"))
    else:
        path = tmp_path / "articles.txt"
        path.write_bytes("\n".join("\t".join(row) for row in rows).encode("utf-16"))
    table = read_table(path)
    assert table.headers[:2] == ("Code article", "Libellé")
    assert import_file(db, "articles", path).written
    with db.read() as s:
        prices = dict(s.execute(select(Article.code, Article.unit_price)).all())
        labels = dict(s.execute(select(Article.code, Article.label)).all())
    assert prices == {
        "ENT-BUR": Decimal("24.5"),
        "ENT-PC": Decimal("85"),
        "VITRE": Decimal("1.2"),
        "SAC-100": Decimal("6.9"),
        "MEN-DOM": Decimal("32"),
    }
    assert labels["MEN-DOM"] == "Ménage à domicile"


def test_an_excel_export_with_a_title_and_numbers_for_codes(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["Liste des clients au 30/11/2026"])
    sheet.append([])
    sheet.append(["Code client", "Type", "Nom", "Adresse", "CP", "Ville", "Téléphone"])
    # Excel keeps 01000 and 0612345678 as the numbers 1000 and 612345678.
    sheet.append(["BONN001", "Particulier", "Mme Anne Bonnet", "2 rue Neuve", 1000,
                  "Bourg-en-Bresse", 612345678])  # fmt: skip
    book.save(path)
    table = read_table(path)
    assert table.headers[:3] == ("Code client", "Type", "Nom") and table.rows[0][0] == 4
    assert import_file(db, "clients", path).written
    with db.read() as s:
        client = s.scalar(select(Client))
        assert (client.postcode, client.phone) == ("01000", "0612345678")


def test_column_choice_is_remembered_for_the_next_file(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Réf tiers;Intitulé du tiers;Ville\nPIER001;Pierre Durand;Nantes\n", "utf-8")
    table, mapping = prepare(db.files_dir, "clients", path)
    assert "name" not in mapping and mapping == {"city": 2}
    with db.write() as s, pytest.raises(ValidationError, match="Nom / raison sociale"):
        run_import(s, "clients", table, mapping)
    chosen = {"code": 0, "name": 1, "city": 2}
    remember(db.files_dir, "clients", table.headers, chosen)
    assert remembered(db.files_dir, "clients")["intitule du tiers"] == "name"
    assert prepare(db.files_dir, "clients", path)[1] == chosen
    assert guess_mapping(KINDS["clients"], ("Raison sociale",), {}) == {"name": 0}


def test_contract_problems_name_the_row_of_their_line(db: Database, tmp_path: Path) -> None:
    with clock.pinned(SWITCH):
        for kind in ("clients", "sites", "articles"):
            assert import_file(db, kind, template_path(kind)).written
    rows = _rows("contracts")
    rows[2][12] = "douze"  # the second line of CT-2019-014
    rows[3][14] = "Hebdomadaire"
    path = tmp_path / "contrats.csv"
    path.write_text("\n".join(";".join(r) for r in rows), "utf-8")
    with clock.pinned(SWITCH):
        report = import_file(db, "contracts", path)
    problems = {r.row: r.problems for r in report.rows}
    assert problems[3] == ["« douze » n'est pas un nombre valide pour « Quantité »."]
    assert problems[2] == ["Refusée avec les autres lignes du même contrat."]
    assert problems[4][0].startswith("« Hebdomadaire » n'est pas une valeur admise")
    with db.read() as s:
        assert s.scalar(select(func.count(Contract.id))) == 0


def test_open_item_rules(db: Database, tmp_path: Path) -> None:
    with clock.pinned(SWITCH):
        assert import_file(db, "clients", template_path("clients")).written
    path = tmp_path / "ouverts.csv"
    path.write_text(
        "Client;N° facture;Date;Échéance;TTC;Reste dû\n"
        "BOUL001;A-1;31/12/2026;;100,00;\n"  # after the switch
        "BOUL001;A-2;30/11/2026;;100,00;150,00\n"  # more than the invoice
        "NOPE001;A-3;30/11/2026;;100,00;\n"
        "BOUL001;A-4;30/11/26;;1.234,56;\n",
        "cp1252",
    )
    with clock.pinned(SWITCH):
        report = import_file(db, "open-items", path)
    problems = [[p.replace("\xa0", " ") for p in r.problems] for r in report.refused]
    assert problems == [
        ["« Date de facture » (31/12/2026) est postérieure à la date de reprise."],
        ["Le Reste dû (150,00 €) doit être positif et au plus égal au montant TTC."],
        [
            "Code client « NOPE001 » : aucun client n'a ce code (ni dans Propreo, ni parmi les "
            "lignes acceptées de ce fichier)."
        ],
    ]
    assert report.rows[3].ok and "1 234,56" in report.rows[3].summary.replace("\u202f", " ")


def test_a_separator_inside_a_cell_is_refused_not_cut(db: Database, tmp_path: Path) -> None:
    with clock.pinned(SWITCH):
        assert import_file(db, "clients", template_path("clients")).written
    text = template_path("sites").read_text("utf-8-sig").replace('"', "")
    path = tmp_path / "chantiers.csv"
    path.write_text(text, "utf-8")
    report = import_file(db, "sites", path)
    assert [r.row for r in report.refused] == [2, 3]
    assert report.refused[0].problems == [
        "La ligne 2 a plus de cellules que l'en-tête n'a de colonnes : un séparateur est sans "
        "doute tapé dans une cellule (mettez-la entre guillemets)."
    ]
    with db.read() as s:
        assert s.scalar(select(func.count(Site.id))) == 0


def test_a_file_that_cannot_be_read_is_said_in_french(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", target_of(db), "import", "clients", str(tmp_path / "absent.csv")]) == 2
    assert capsys.readouterr().err == (
        "Erreur : Le fichier « absent.csv » ne peut pas être lu (fichier introuvable).\n"
    )
    assert main(["--db", target_of(db), "import", "sites", str(tmp_path)]) == 2
    assert "ne peut pas être lu (c'est un dossier)" in capsys.readouterr().err
    assert main(["--db", target_of(db), "import", "modeles", str(tmp_path / "modeles")]) == 0
    assert sorted(p.name for p in (tmp_path / "modeles").iterdir()) == [
        "articles.csv", "chantiers.csv", "clients.csv", "contacts.csv", "contrats.csv",
        "factures-non-reglees.csv",
    ]  # fmt: skip


def test_french_numbers_and_dates() -> None:
    assert number("1 234,56", "Prix") == Decimal("1234.56")
    assert number("1.234,56 €", "Prix") == Decimal("1234.56")
    assert number("1,234.5", "Prix") == Decimal("1234.5")
    assert number("5,5 %", "TVA", 6) == Decimal("5.5")
    assert date("07/12/2026", "Date") == date("2026-12-07", "Date") == D(2026, 12, 7)
    assert date("7.12.26", "Date") == D(2026, 12, 7)
    with pytest.raises(ValidationError, match="« 31/02/2026 » n'est pas une date valide"):
        date("31/02/2026", "Date de facture")
    with pytest.raises(ValidationError, match="« 12abc » n'est pas un nombre valide"):
        number("12abc", "Quantité")


def test_contracts_come_with_their_state(db: Database, tmp_path: Path) -> None:
    """« État » of the old software: a suspended contract is suspended over its dates (not
    billed then), a terminated one ends where its notice lets it; a state missing its dates,
    or an end the notice does not allow, is refused naming the field."""
    with clock.pinned(SWITCH):
        for kind in ("clients", "sites", "articles"):
            assert import_file(db, kind, template_path(kind)).written
    rows = _rows("contracts")
    # The bakery suspended for January; Les Tilleuls terminated on notice of 15 October.
    rows[3][18:22] = ["suspendu", "", "01/01/2027", "31/01/2027"]
    for row in rows[1:3]:
        row[5] = "31/01/2027"
        row[18:22] = ["Résilié", "15/10/2026", "", ""]
    path = tmp_path / "contrats.csv"
    path.write_text("\n".join(";".join(r) for r in rows), "utf-8")
    with clock.pinned(SWITCH):
        report = import_file(db, "contracts", path)
    assert report.written and not report.refused, report.as_json()
    with db.read() as s:
        tilleuls = s.scalar(select(Contract).where(Contract.reference == "CT-2019-014"))
        bakery = s.scalar(select(Contract).where(Contract.reference == "CT-2022-031"))
        assert tilleuls.status == ContractStatus.TERMINATED
        assert (tilleuls.notice_date, tilleuls.end_date) == (D(2026, 10, 15), D(2027, 1, 31))
        assert not tilleuls.tacit_renewal
        assert bakery.status == ContractStatus.SUSPENDED
        assert [(x.start_date, x.end_date, x.billed) for x in bakery.suspensions] == [
            (D(2027, 1, 1), D(2027, 1, 31), False)
        ]
    # January: Les Tilleuls' last month is billed (billed to 31/12 by the old software).
    with clock.pinned(D(2027, 1, 31)), db.write() as s:
        run_month(s, "2027-01", issue_date=D(2027, 1, 31))
        billed = set(
            s.execute(
                select(Client.code, InvoiceLine.period_start)
                .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
                .join(Client, Client.id == Invoice.client_id)
                .where(InvoiceLine.contract_line_id.is_not(None))
            ).all()
        )
        assert ("RESI001", D(2027, 1, 1)) in billed

    # Refused: a suspension without its end; an end the notice does not allow.
    rows = _rows("contracts")
    rows[3][0] = "CT-2022-031B"
    rows[3][18:22] = ["Suspendu", "", "01/01/2027", ""]
    for row in rows[1:3]:
        row[0] = "CT-2019-014B"
        row[5] = "31/10/2026"
        row[18:22] = ["Résilié", "15/10/2026", "", ""]
    path.write_text("\n".join(";".join(r) for r in rows), "utf-8")
    with clock.pinned(SWITCH):
        report = import_file(db, "contracts", path)
    problems = {r.row: r.problems for r in report.rows}
    assert problems[2] == [
        "Avec un préavis de 3 mois, la résiliation ne peut prendre effet avant le 31/01/2027."
    ]
    assert problems[4] == [
        "Un contrat « Suspendu » demande « Suspendu du » et « Suspendu jusqu'au »."
    ]
    with db.read() as s:
        assert s.scalar(select(func.count(Contract.id))) == 2  # the first import only


def test_open_items_of_direct_debit_clients_are_offered_to_a_batch(switched: Database) -> None:
    """The bakery pays by direct debit: its open item (288,00 still owed) is offered to a
    SEPA batch like an invoice of Propreo — past its announced date, after a new
    pre-notification — and the collection confirmed by the bank settles it."""
    from app.payments.sepa import candidates, create_batches
    from app.payments.sepa_bank import confirm_batch
    from app.payments.sepa_prenotify import renotify
    from tests.billing_fixtures import firm

    day = D(2026, 12, 22)
    with clock.pinned(SWITCH), switched.write() as s:
        firm(s)  # the firm's identity: its creditor identifier and bank account
        found = [c for c in candidates(s, day) if c.invoice_number == "FA-2026-0398"]
        assert len(found) == 1 and found[0].amount == Decimal("288.00")
        assert found[0].rum == "RUM-BOUL-0001"
        assert found[0].problem  # the date the old software announced has passed
        texts = renotify(s, [found[0].invoice_id], day)
        assert texts[0].startswith("FA-2026-0398 : ") and "288,00" in texts[0]
        (again,) = [c for c in candidates(s, day) if c.invoice_number == "FA-2026-0398"]
        assert (again.problem, again.sequence) == ("", "RCUR")
        batches = create_batches(s, day, created_on=SWITCH, invoice_ids=[again.invoice_id])
        client_id = again.client_id
    with clock.pinned(day), switched.write() as s:
        confirm_batch(s, batches[0].id, day)
    with clock.pinned(day), switched.read() as s:
        assert outstanding(s, client_id) == Decimal("0.00")
