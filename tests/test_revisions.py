"""Contract follow-up: indices and CSV import, revision runs, notices, renewals, projection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.db import Database
from app.errors import ValidationErrors
from app.revisions import indices
from app.revisions.indices import IndexForm
from models.revisions import Periodicity
from tests.pg import target_of

INSEE_EXPORT = """\
"Libellé";"Indice du coût horaire du travail révisé - Salaires et charges - Section N"
"idBank";"001565183"
"Dernière mise à jour";"12/06/2026 08:45"
"Période";""
"2025-12";"129,4";"A"
"2026-01";"129,9";"A"
"2026-02";"130,2";"P"
"""


def test_csv_import_insee_export_and_corrections(session: Session) -> None:
    index = indices.create_index(session, IndexForm(name="ICHTrev-TS section N", source="INSEE"))
    result = indices.import_csv(session, index.id, INSEE_EXPORT)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert indices.value_at(session, index.id, dt.date(2026, 2, 17)) == D("130.200000")
    # Second import: one corrected value, one new, one unchanged.
    again = indices.import_csv(session, index.id, "02/2026;130,3\n03/2026;130,8\n2026-01;129.9\n")
    assert (again.created, again.updated, again.unchanged) == (1, 1, 1)
    assert [(r.month, r.value) for r in indices.list_values(session, index.id)][:2] == [
        (dt.date(2026, 3, 1), D("130.800000")),
        (dt.date(2026, 2, 1), D("130.300000")),
    ]
    assert indices.list_indices(session)[0].values == 4


def test_csv_import_reports_every_bad_line_and_writes_nothing(session: Session) -> None:
    index = indices.create_index(session, IndexForm(name="Index Propreté"))
    text = "Mois;Valeur\n2026-01;118,2\n2026-13;119\n2026-03;abc\n2026-04\n2026-01;118,3\n"
    with pytest.raises(ValidationErrors) as err:
        indices.import_csv(session, index.id, text)
    messages = [str(e) for e in err.value.errors]
    assert messages == [
        "Ligne 3 : « 2026-13 » n'est pas un mois (attendu 2026-06, 06/2026 ou 2026-T2).",
        "Ligne 4 : « abc » n'est pas une valeur d'indice valide (nombre positif, 6 décimales au "
        "plus).",
        "Ligne 5 : il manque la valeur.",
        "Ligne 6 : le mois 01/2026 figure déjà ligne 2.",
    ]
    assert indices.list_values(session, index.id) == []


def test_quarterly_series(session: Session) -> None:
    form = IndexForm(name="Index Propreté", periodicity=Periodicity.QUARTERLY)
    index = indices.create_index(session, form)
    result = indices.import_csv(session, index.id, "2026-T1;121,4\nT2 2026;122,0\n")
    assert result.created == 2
    assert indices.value_at(session, index.id, dt.date(2026, 5, 1)) == D("122.000000")
    assert indices.value_at(session, index.id, dt.date(2026, 7, 1)) is None
    with pytest.raises(ValidationErrors, match="n'est pas un début de trimestre"):
        indices.import_csv(session, index.id, "2026-08;123\n")
    with pytest.raises(ValidationErrors, match="existe déjà"):
        indices.create_index(session, IndexForm(name="Index Propreté"))


# --- revision run ---------------------------------------------------------------------


def _contract(session: Session) -> tuple[int, int, int]:
    """A contract billed monthly 1 250,00 € + a quarterly 480,00 € line, from 2025-09-01."""
    from models.clients import Client
    from models.contracts import Contract, ContractLine, ContractLineVersion, ContractStatus

    client = Client(code="CLTEST", name="Cabinet Dupuis")
    session.add(client)
    session.flush()
    contract = Contract(
        code="CT-T1",
        client_id=client.id,
        status=ContractStatus.ACTIVE,
        start_date=dt.date(2025, 9, 1),
    )
    monthly = ContractLine(position=0)
    monthly.versions.append(
        ContractLineVersion(
            valid_from=dt.date(2025, 9, 1),
            description="Entretien des bureaux",
            unit_price=D("1250.00"),
            frequency="monthly",
        )
    )
    windows = ContractLine(position=1)
    windows.versions.append(
        ContractLineVersion(
            valid_from=dt.date(2025, 9, 1),
            description="Vitrerie",
            quantity=D("2"),
            unit_price=D("240.00"),
            frequency="quarterly",
        )
    )
    contract.lines.extend([monthly, windows])
    session.add(contract)
    session.flush()
    return contract.id, monthly.id, windows.id


def _index_with_values(session: Session) -> int:
    index = indices.create_index(session, IndexForm(name="ICHTrev-TS section N", source="INSEE"))
    indices.import_csv(session, index.id, "2025-06;121,2\n2026-06;130,5\n")
    return index.id


def test_due_revision_and_apply_creates_price_version(session: Session) -> None:
    from app.revisions import clauses, runs
    from models.contracts import ContractLine

    contract_id, monthly_id, windows_id = _contract(session)
    index_id = _index_with_values(session)
    form = clauses.ClauseForm(
        fixed_part=D("0.15"),
        terms=[clauses.TermForm(index_id, D("0.85"), reference_month=dt.date(2025, 6, 1))],
        next_revision=dt.date(2026, 9, 1),
        index_lag_months=3,
    )
    clauses.save_clause(session, contract_id, form)
    assert runs.due_revisions(session, dt.date(2026, 8, 31), today=dt.date(2026, 8, 1)) == []
    [due] = runs.due_revisions(session, dt.date(2026, 9, 30), today=dt.date(2026, 11, 2))
    assert due.coefficient == D("1.065223")
    assert due.computation == "0,15 + 0,85 × 130,5 / 121,2 = 1,065223"
    assert [(c.old_price, c.new_price) for c in due.lines] == [
        (D("1250.0000"), D("1331.53")),  # 1 331,52875
        (D("240.0000"), D("255.65")),  # 255,65352
    ]
    assert due.old_annual == D("16920.00")  # 12 × 1250 + 4 × 480
    assert due.new_annual == D("18023.56")  # 12 × 1331.53 + 4 × 511.30
    assert due.gain == D("1103.56")
    assert due.late

    revision = runs.apply_revision(session, contract_id, today=dt.date(2026, 11, 2))
    assert revision.coefficient == D("1.065223")
    line = session.get(ContractLine, monthly_id)
    assert [(v.valid_from, v.unit_price) for v in line.versions] == [
        (dt.date(2025, 9, 1), D("1250.0000")),
        (dt.date(2026, 9, 1), D("1331.5300")),
    ]
    assert line.versions[1].amendment_id == revision.amendment_id
    clause = clauses.get_clause(session, contract_id)
    assert clause.next_revision == dt.date(2027, 9, 1)
    assert clause.terms[0].reference_value == D("130.500000")
    # Applied: no longer due, and next year's revision needs the 06/2027 value.
    assert runs.due_revisions(session, dt.date(2026, 12, 31), today=dt.date(2026, 11, 2)) == []
    [next_year] = runs.due_revisions(session, dt.date(2027, 9, 1), today=dt.date(2026, 11, 2))
    assert next_year.error == (
        "Valeur de l'indice « ICHTrev-TS section N » manquante pour 06/2027."
    )
    assert windows_id in {c.line_id for c in next_year.lines}


# --- renewals -------------------------------------------------------------------------


def test_renewals_deadlines_alerts_and_tacit_renewal(session: Session) -> None:
    from app.billing.contracts import terminate
    from app.revisions import renewals
    from models.contracts import Contract

    contract_id, _m, _w = _contract(session)
    contract = session.get(Contract, contract_id)
    contract.end_date = dt.date(2026, 8, 31)  # first term: 2025-09-01 … 2026-08-31
    contract.notice_months = 3
    session.flush()
    [row] = renewals.upcoming(session, dt.date(2026, 9, 15), alert_days=60)
    # Renewed to 2027-08-31; notice to give by 2027-05-31.
    assert (row.event, row.term_end, row.notice_deadline) == (
        renewals.Event.RENEWAL,
        dt.date(2027, 8, 31),
        dt.date(2027, 5, 31),
    )
    assert (row.days_left, row.alert) == (258, False)
    [row] = renewals.upcoming(session, dt.date(2027, 4, 15), alert_days=60)
    assert (row.days_left, row.alert) == (46, True)
    assert "au plus tard le 31/05/2027" in row.message
    assert renewals.upcoming(session, dt.date(2026, 9, 15), horizon_days=200) == []

    assert renewals.apply_tacit_renewals(session, dt.date(2026, 9, 15)) == [contract_id]
    assert contract.end_date == dt.date(2027, 8, 31)
    assert renewals.apply_tacit_renewals(session, dt.date(2026, 9, 16)) == []

    terminate(session, contract_id, dt.date(2026, 10, 5), reason="Changement de prestataire")
    [row] = renewals.upcoming(session, dt.date(2026, 10, 6))
    assert (row.event, row.term_end, row.alert) == (
        renewals.Event.TERMINATION,
        dt.date(2027, 1, 31),
        False,
    )
    assert "reprise du personnel" in row.message


# --- notices --------------------------------------------------------------------------


def test_revision_notice_docx_and_pdf_name_old_and_new_prices(
    session: Session, company: object, tmp_path: Path
) -> None:
    from docx import Document
    from pypdf import PdfReader

    from app.revisions import clauses, notices, runs
    from models.audit import AuditEvent
    from models.revisions import NoticeKind

    contract_id, _m, _w = _contract(session)
    index_id = _index_with_values(session)
    clauses.save_clause(
        session,
        contract_id,
        clauses.ClauseForm(
            fixed_part=D("0.15"),
            terms=[clauses.TermForm(index_id, D("0.85"), reference_value=D("121.2"))],
            next_revision=dt.date(2026, 9, 1),
        ),
    )
    revision = runs.apply_revision(session, contract_id, today=dt.date(2026, 11, 2))
    [todo] = notices.notices_to_send(session, dt.date(2026, 11, 2))
    assert (todo.kind, todo.revision_id) == (NoticeKind.REVISION, revision.id)

    files = tmp_path / "files"
    notice = notices.produce_notice(
        session,
        notices.NoticeRequest(NoticeKind.REVISION, contract_id),
        letter_date=dt.date(2026, 11, 2),
        files_dir=files,
    )
    doc = Document(str(files / notice.docx_path))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert cells[1] == ["Entretien des bureaux", "1\u202f250,00\u00a0€", "1\u202f331,53\u00a0€"]
    assert cells[2] == ["Vitrerie", "240,00\u00a0€", "255,65\u00a0€"]
    assert "révisés au 1er septembre 2026" in text
    assert "coefficient de révision s'établit ainsi à 1,065223" in text
    assert "régularisation sur votre prochaine facture" in text
    assert "Cabinet Dupuis" in text
    pdf = PdfReader(str(files / notice.pdf_path))
    page = pdf.pages[0].extract_text()
    assert "1\u202f331,53" in page or "1 331,53" in page
    fonts = {
        str(f["/BaseFont"])
        for p in pdf.pages
        for f in p["/Resources"]["/Font"].get_object().values()
    }
    assert fonts and all("DejaVu" in f for f in fonts)
    assert notices.notices_to_send(session, dt.date(2026, 11, 2)) == []
    history = session.query(AuditEvent).filter(AuditEvent.action == "notice").one()
    assert history.client_id is not None
    assert "Avis de révision n° AVIS2026-0001 du contrat CT-T1" in history.summary
    assert notice.number == "AVIS2026-0001"
    assert "Avis n° AVIS2026-0001" in text


# --- projection -----------------------------------------------------------------------


def test_projection_matches_hand_computation(session: Session, tmp_path: Path) -> None:
    from app.revisions.projection import export_xlsx, project_contracts
    from models.clients import Site
    from models.contracts import Contract
    from models.costs import HourlyCost, Qualification
    from models.revisions import CostAssumption
    from models.schedules import TaskSchedule

    contract_id, _m, _w = _contract(session)
    contract = session.get(Contract, contract_id)
    site = Site(code="CH-T1", name="Bureaux Dupuis", client_id=contract.client_id)
    session.add(site)
    as1 = Qualification(code="AS1T", label="Agent de service 1")
    aqs = Qualification(code="AQST", label="Agent qualifié")
    session.add_all([as1, aqs])
    session.flush()
    contract.site_id = site.id
    session.add_all(
        [
            HourlyCost(
                qualification_id=as1.id,
                valid_from=dt.date(2026, 1, 1),
                hourly_wage=D("12.0000"),
                charges_rate=D("45"),
            ),  # 17,40 €/h
            HourlyCost(
                qualification_id=as1.id,
                valid_from=dt.date(2027, 1, 1),
                hourly_wage=D("12.3000"),
                charges_rate=D("45"),
            ),  # 17,835 €/h
            HourlyCost(
                qualification_id=aqs.id,
                valid_from=dt.date(2026, 1, 1),
                hourly_wage=D("13.5000"),
                charges_rate=D("45"),
            ),  # 19,575 €/h
            # 5 × 60 min a week: 5 × 52 / 12 passes = 21,667 h a month
            TaskSchedule(
                site_id=site.id,
                task="Bureaux",
                frequency=D("5"),
                period="week",
                minutes_per_pass=D("60"),
                qualification_id=as1.id,
            ),
            # 120 min once a month: 2 h
            TaskSchedule(
                site_id=site.id,
                task="Vitres",
                frequency=D("1"),
                period="month",
                minutes_per_pass=D("120"),
                qualification_id=aqs.id,
            ),
            CostAssumption(
                contract_id=contract_id, other_monthly=D("150.00"), other_percent=D("5")
            ),
        ]
    )
    session.flush()
    [item] = project_contracts(session, dt.date(2026, 10, 1), proposals={})
    p = item.projection
    assert item.hours_per_month == D("23.667")
    oct_ = p.months[0]
    # 1 250 + 480 × 31/92 of the 4th quarter; 21,667 × 17,40 + 2 × 19,575; 150 + 5 %
    assert (oct_.month, oct_.revenue, oct_.labour, oct_.other) == (
        dt.date(2026, 10, 1),
        D("1411.74"),
        D("416.16"),
        D("220.59"),
    )
    jan = p.months[3]  # 1 250 + 480 × 31/90; new AS1 cost 21,667 × 17,835 + 39,15
    assert (jan.revenue, jan.labour) == (D("1415.33"), D("425.58"))
    assert p.revenue == D("16920.00")  # 12 × 1 250 + 4 quarters × 480
    assert p.labour == D("5078.70")  # 3 × 416,16 + 9 × 425,58
    assert p.other == D("2646.03")  # 12 × 150 + 5 % of each month, rounded per month
    assert p.margin == D("9195.27")
    assert p.margin_percent == D("54.35")
    assert not p.losing

    # Proposed revision +2 % from 2027-01-01: 9 × 25,00 + 3 quarters × 2 × 4,80
    [item] = project_contracts(
        session, dt.date(2026, 10, 1), proposals={contract_id: (dt.date(2027, 1, 1), D("1.02"))}
    )
    assert item.revision_effect == D("253.80")
    assert item.proposed is not None and item.proposed.revenue == D("17173.80")

    # A contract priced under its cost is flagged.
    assumption = session.query(CostAssumption).one()
    assumption.other_monthly = D("1200.00")
    session.flush()
    [item] = project_contracts(session, dt.date(2026, 10, 1), proposals={})
    assert item.projection.losing

    from openpyxl import load_workbook

    path = export_xlsx([item], str(tmp_path / "projection.xlsx"))
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]][:4] == [
        "Contrat",
        "Client",
        "Heures / mois",
        "Chiffre d'affaires 12 mois",
    ]
    assert ws["A2"].value == "CT-T1" and ws["J2"].value == "Contrat déficitaire"
    assert ws["D2"].value == 16920


# --- scenario: retroactive revision → regularisation on the next run -------------------


def test_late_revision_regularised_on_next_run(session: Session, company: object) -> None:
    from app.billing.runs import run_month
    from app.revisions import clauses, runs
    from models.invoices import Invoice, InvoiceLine, LineKind

    contract_id, monthly_id, windows_id = _contract(session)
    index_id = _index_with_values(session)
    clauses.save_clause(
        session,
        contract_id,
        clauses.ClauseForm(
            fixed_part=D("0.15"),
            terms=[clauses.TermForm(index_id, D("0.85"), reference_value=D("121.2"))],
            next_revision=dt.date(2026, 9, 1),
        ),
    )
    # Billed up to October 2026 at the old prices (the September revision was forgotten).
    for period in ("2025-09", "2025-10", "2025-11", "2025-12"):
        run_month(session, period)
    for month in range(1, 11):
        run_month(session, f"2026-{month:02d}")
    runs.apply_revision(session, contract_id, today=dt.date(2026, 11, 2))
    result = run_month(session, "2026-11")
    lines = session.query(InvoiceLine).join(Invoice).filter(Invoice.id.in_(result.invoice_ids))
    regularisations = sorted(
        (line.period_start, line.contract_line_id, line.total_ht)
        for line in lines
        if line.kind == LineKind.REGULARISATION
    )
    # Monthly line: 1 331,53 − 1 250,00 = 81,53 for September and October.
    # Quarterly windows (2 × 240,00, advance): Q4 billed on 1 October → 2 × (255,65 − 240,00)
    # = 31,30; Q3 (billed 1 July) is cut on 1 September: July–August keep the old price
    # (480 × 62/92 = 323,48, so 480,00 − 323,48 = 156,52 is credited) and September is
    # billed at the new price, 511,30 × 30/92 = 166,73.
    assert regularisations == [
        (dt.date(2026, 7, 1), windows_id, D("-156.52")),
        (dt.date(2026, 9, 1), monthly_id, D("81.53")),
        (dt.date(2026, 10, 1), monthly_id, D("81.53")),
        (dt.date(2026, 10, 1), windows_id, D("31.30")),
    ]
    september_windows = [
        line.total_ht
        for line in lines
        if line.kind == LineKind.PRORATA and line.contract_line_id == windows_id
    ]
    assert september_windows == [D("166.73")]
    november = [
        line.total_ht
        for line in lines
        if line.kind != LineKind.REGULARISATION and line.period_start == dt.date(2026, 11, 1)
    ]
    assert november == [D("1331.53")]
    # A rerun of November regularises nothing twice.
    assert run_month(session, "2026-11").invoice_ids == []


# --- the demo firm --------------------------------------------------------------------


def _demo_due_contract(session: Session):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from models.contracts import Contract
    from models.revisions import RevisionClause

    return session.scalar(
        select(Contract)
        .join(RevisionClause, RevisionClause.contract_id == Contract.id)
        .where(RevisionClause.next_revision == dt.date(2026, 9, 1))
    )


def test_demo_contract_revised_late_regularised_on_november_run(
    demo_db: Database, tmp_path: Path
) -> None:
    from docx import Document

    from app.billing.runs import run_month
    from app.revisions import notices, runs
    from models.invoices import Invoice, InvoiceLine, LineKind
    from models.revisions import NoticeKind

    with demo_db.write() as session:
        contract = _demo_due_contract(session)
        offices, bins = (line.id for line in contract.lines)
        assert [(v.quantity, v.unit_price) for line in contract.lines for v in line.versions] == [
            (D("8.000"), D("68.0000")),
            (D("13.000"), D("12.0000")),
        ]
        # September and October billed at the old prices: the revision was forgotten.
        run_month(session, "2026-09", contract_ids=[contract.id])
        run_month(session, "2026-10", contract_ids=[contract.id])
        revision = runs.apply_revision(session, contract.id, today=dt.date(2026, 11, 2))
        # ICHTrev-TS N: 06/2026 = 135,5, 06/2025 = 131,9 → 0,15 + 0,85 × 135,5/131,9
        assert revision.coefficient == D("1.023199")
        # 68 × 1,023199 = 69,5775… → 69,58 ; 12 × 1,023199 = 12,2783… → 12,28
        assert [(r.old_price, r.new_price) for r in revision.lines] == [
            (D("68.0000"), D("69.5800")),
            (D("12.0000"), D("12.2800")),
        ]
        result = run_month(session, "2026-11", contract_ids=[contract.id])
        lines = session.query(InvoiceLine).join(Invoice).filter(Invoice.id.in_(result.invoice_ids))
        regularisations = sorted(
            (line.period_start, line.contract_line_id, line.total_ht)
            for line in lines
            if line.kind == LineKind.REGULARISATION
        )
        # 8 × (69,58 − 68,00) = 12,64 and 13 × (12,28 − 12,00) = 3,64, for Sept. and Oct.
        assert regularisations == [
            (dt.date(2026, 9, 1), offices, D("12.64")),
            (dt.date(2026, 9, 1), bins, D("3.64")),
            (dt.date(2026, 10, 1), offices, D("12.64")),
            (dt.date(2026, 10, 1), bins, D("3.64")),
        ]
        november = sorted(line.total_ht for line in lines if line.kind != LineKind.REGULARISATION)
        assert november == [D("159.64"), D("556.64")]  # 13 × 12,28 ; 8 × 69,58

        notice = notices.produce_notice(
            session,
            notices.NoticeRequest(NoticeKind.REVISION, contract.id),
            letter_date=dt.date(2026, 11, 2),
            files_dir=tmp_path,
        )
    doc = Document(str(tmp_path / notice.docx_path))
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert [row[1:] for row in cells[1:]] == [
        ["68,00\u00a0€", "69,58\u00a0€"],
        ["12,00\u00a0€", "12,28\u00a0€"],
    ]


def test_demo_contract_projection_matches_hand_computation(demo_db: Database) -> None:
    from app.revisions.projection import project_contracts

    with demo_db.read() as session:
        contract = _demo_due_contract(session)
        [item] = project_contracts(
            session, dt.date(2026, 9, 1), contract_ids=[contract.id], today=dt.date(2026, 9, 1)
        )
    # Cadencier of its site (AS1): halls 2×/week, 180 m² at 150 m²/h = 72 min → 10,400 h;
    # stairs 1×/week, 110 m² at 120 m²/h = 55 min → 3,972 h; bins 2×/week 10 min → 1,444 h.
    assert item.hours_per_month == D("15.816")
    p = item.projection
    # AS1 in 2026: 12,10 €/h + 38,5 % = 16,7585 €/h → 15,816 × 16,7585 = 265,05 a month.
    assert {m.labour for m in p.months} == {D("265.05")}
    assert p.revenue == D("8400.00")  # 12 × (8 × 68,00 + 13 × 12,00)
    assert p.labour == D("3180.60")
    assert p.other == D("1428.00")  # 12 × (70,00 products/equipment + 7 % of 700,00)
    assert p.margin == D("3791.40")
    assert p.margin_percent == D("45.14")
    # The revision due on 1 September 2026: 12 × (556,64 + 159,64 − 700,00)
    assert item.revision_effect == D("195.36")


def test_cli_due_apply_and_import(db: Database, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from app.cli import main
    from app.revisions import clauses

    with db.write() as session:
        contract_id, _m, _w = _contract(session)
        index_id = _index_with_values(session)
        clauses.save_clause(
            session,
            contract_id,
            clauses.ClauseForm(
                fixed_part=D("0.15"),
                terms=[clauses.TermForm(index_id, D("0.85"), reference_month=dt.date(2025, 6, 1))],
                next_revision=dt.date(2026, 9, 1),
            ),
        )
    target = target_of(db)
    assert main(["--db", target, "revisions", "due", "--until", "2026-09-30", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["contract"], row["coefficient"], row["gain"]) == ("CT-T1", "1.065223", "1103.56")
    csv_file = tmp_path / "values.csv"
    csv_file.write_text("2026-07;131,1\n", encoding="utf-8")
    args = ["--db", target, "revisions", "import-index", "--index", "ICHTrev-TS section N"]
    assert main([*args, str(csv_file)]) == 0
    assert "1 valeur ajoutée" in capsys.readouterr().out
    assert main(["--db", target, "revisions", "apply", "--until", "2026-09-30"]) == 0
    assert "1 révision(s) appliquée(s)." in capsys.readouterr().out
    assert main(["--db", target, "revisions", "due", "--until", "2026-09-30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_check_names_a_revision_whose_price_version_was_changed(session: Session) -> None:
    from app.revisions import clauses, runs
    from app.revisions.checks import check_revisions
    from models.contracts import ContractLine

    contract_id, monthly_id, _w = _contract(session)
    index_id = _index_with_values(session)
    clauses.save_clause(
        session,
        contract_id,
        clauses.ClauseForm(
            fixed_part=D("0.15"),
            terms=[clauses.TermForm(index_id, D("0.85"), reference_value=D("121.2"))],
            next_revision=dt.date(2026, 9, 1),
        ),
    )
    runs.apply_revision(session, contract_id, today=dt.date(2026, 9, 1))
    assert check_revisions(session) == []
    session.get(ContractLine, monthly_id).versions[-1].unit_price = D("1300.0000")
    session.flush()
    assert check_revisions(session) == [
        "Révision du contrat CT-T1 au 01/09/2026 : la version de prix de la ligne "
        f"{monthly_id} est au prix 1300 (attendu 1331,53)."
    ]


def test_renewal_reminder_and_non_renewal_letters(
    session: Session, company: object, tmp_path: Path
) -> None:
    from docx import Document

    from app.billing.contracts import terminate
    from app.errors import ValidationError
    from app.revisions import notices
    from models.contracts import Contract
    from models.revisions import NoticeKind

    contract_id, _m, _w = _contract(session)
    contract = session.get(Contract, contract_id)
    contract.end_date = dt.date(2026, 12, 31)
    session.flush()
    [todo] = notices.notices_to_send(session, dt.date(2026, 9, 1), alert_days=60)
    assert todo.kind == NoticeKind.RENEWAL_REMINDER

    def text(kind: str, day: dt.date) -> str:
        notice = notices.produce_notice(
            session, notices.NoticeRequest(kind, contract_id), letter_date=day, files_dir=tmp_path
        )
        return "\n".join(p.text for p in Document(str(tmp_path / notice.docx_path)).paragraphs)

    reminder = text(NoticeKind.RENEWAL_REMINDER, dt.date(2026, 9, 1))
    assert "arrive à échéance le 31 décembre 2026" in reminder
    assert "avant le 30 septembre 2026 (préavis de 3 mois)" in reminder
    assert notices.notices_to_send(session, dt.date(2026, 9, 1), alert_days=60) == []
    refusal = text(NoticeKind.TERMINATION, dt.date(2026, 9, 15))
    assert "nous ne reconduirons pas le contrat CT-T1 à son échéance du 31 décembre 2026" in refusal
    with pytest.raises(ValidationError, match=r"préavis de 3 mois n'est plus respecté.*31/12/2026"):
        text(NoticeKind.TERMINATION, dt.date(2026, 10, 2))
    terminate(session, contract_id, dt.date(2026, 10, 2))
    acknowledged = text(NoticeKind.TERMINATION, dt.date(2026, 10, 3))
    assert "résiliant le contrat CT-T1, qui prendra fin le 31 janvier 2027" in acknowledged
    assert "article 7 de la convention collective" in acknowledged
