"""Quote life: create, price with the builder, send (number), revise into v2, accept,
plan, progress, invoice from the quote (partial then closing), refuse, expire, remind."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo.identity import make_siren
from app.errors import StateError, ValidationError, ValidationErrors
from app.quotes import followup, forecast, invoicing, planning, pricing, sheets, transitions
from app.quotes import quotes as uc
from app.quotes.photos import add_photo
from models.clients import Client, Site
from models.costs import HourlyCost, Qualification
from models.invoices import Invoice
from models.quotes import JobStatus, Quote, QuoteKind, QuoteStatus
from models.schedules import TaskSchedule

D = Decimal
DAY = dt.date(2026, 9, 1)


@pytest.fixture
def world(session: Session, company):  # type: ignore[no-untyped-def]
    client = Client(
        code="DUPONT",
        name="Dupont Immobilier",
        kind="company",
        street="3 rue Mercière",
        postcode="69002",
        city="Lyon",
        siren=make_siren("52345678"),
    )
    session.add(client)
    session.flush()
    site = Site(code="DUP-01", name="Résidence Les Tilleuls", client_id=client.id, city="Lyon")
    session.add(site)
    q1 = Qualification(code="AS1", label="Agent de service 1")
    q2 = Qualification(code="AS2", label="Agent de service 2")
    session.add_all([q1, q2])
    session.flush()
    # loaded = wage × (1 + charges %): 12.00 × 1.425 = 17.10 ; 13.00 × 1.425 = 18.525
    session.add_all(
        [
            HourlyCost(
                qualification_id=q1.id,
                valid_from=dt.date(2026, 1, 1),
                hourly_wage=D("12.00"),
                charges_rate=D("42.5"),
            ),
            HourlyCost(
                qualification_id=q2.id,
                valid_from=dt.date(2026, 1, 1),
                hourly_wage=D("13.00"),
                charges_rate=D("42.5"),
            ),
            TaskSchedule(
                site_id=site.id,
                position=1,
                task="Hall et escaliers",
                zone="Bât. A",
                frequency=D(2),
                period="week",
                minutes_per_pass=D(45),
                qualification_id=q1.id,
            ),
            TaskSchedule(
                site_id=site.id,
                position=2,
                task="Vitrerie parties communes",
                frequency=D(1),
                period="month",
                surface_m2=D(90),
                productivity_m2_h=D(30),
                qualification_id=q2.id,
            ),
        ]
    )
    session.flush()
    return client, site


def _tc_form(client: Client, site: Site) -> uc.QuoteForm:
    return uc.QuoteForm(
        client_id=client.id,
        site_id=site.id,
        kind=QuoteKind.EXTRA_WORK,
        title="Remise en état après travaux",
        quote_date=DAY,
        lines=[
            uc.LineForm(
                label="Décapage et métallisation du hall",
                quantity="45",
                unit="m²",
                unit_price="12.50",
            ),
            uc.LineForm(label="Produits et évacuation", quantity="1", unit_price="85"),
            uc.LineForm(
                label="Frais de déplacement", quantity="1", unit_price="30,00", kind="travel"
            ),
        ],
    )


def test_create_computes_totals_and_validates(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    client, site = world
    quote = uc.create_quote(session, _tc_form(client, site))
    assert quote.status == QuoteStatus.DRAFT and quote.number is None
    assert [li.total_ht for li in quote.lines] == [D("562.50"), D("85.00"), D("30.00")]
    assert (quote.total_ht, quote.total_vat, quote.total_ttc) == (
        D("677.50"),
        D("135.50"),
        D("813.00"),
    )
    assert quote.validity_date == DAY + dt.timedelta(days=30)
    bad = _tc_form(client, site)
    bad.client_id = None
    bad.lines[0].quantity = "abc"
    with pytest.raises(ValidationErrors) as exc:
        uc.create_quote(session, bad)
    assert "Client" in exc.value.fields
    assert any("n'est pas un nombre valide" in str(e) for e in exc.value.errors)


def test_builder_prices_contract_quote_from_cadencier(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    client, site = world
    form = uc.QuoteForm(
        client_id=client.id,
        site_id=site.id,
        kind=QuoteKind.CONTRACT,
        title="Entretien des parties communes",
        quote_date=DAY,
    )
    quote = uc.create_quote(session, form)
    data = pricing.builder_input_for_site(
        session, site.id, DAY, products=D("20"), overheads_percent=D("8"), margin_percent=D("15")
    )
    assert data.hourly_costs == {"AS1": D("17.1000"), "AS2": D("18.5250")}
    result = pricing.apply_builder(session, quote.id, data)
    # 2 × 52/12 × 0.75 h = 6.500 h ; 90/30 = 3 h
    assert result.hours_by_qualification == {"AS1": D("6.500"), "AS2": D("3.000")}
    assert result.labour == D("166.73")  # 111.15 + 55.58
    assert result.cost_price == D("201.67")  # (166.73 + 20) × 1.08 = 186.73 + 14.94
    assert result.selling_price == D("237.26")
    assert result.selling_price_year == D("2847.12")
    line = quote.lines[0]
    assert (line.unit, line.unit_price, line.billing_frequency) == (
        "mois",
        D("237.2600"),
        "monthly",
    )
    assert quote.total_ht == D("237.26")
    assert '"cost_price": "201.67"' in quote.builder_snapshot


def test_send_numbers_revise_keeps_v1(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    client, site = world
    quote = uc.create_quote(session, _tc_form(client, site))
    transitions.send_quote(session, quote.id, DAY + dt.timedelta(days=2))
    assert quote.number == "DE2026-00001" and quote.status == QuoteStatus.SENT
    assert quote.quote_date == dt.date(2026, 9, 3)
    assert quote.validity_date == dt.date(2026, 10, 3)
    assert quote.next_reminder_date == dt.date(2026, 9, 13)
    with pytest.raises(StateError):
        uc.update_quote(session, quote.id, _tc_form(client, site))
    v2 = transitions.revise_quote(session, quote.id, dt.date(2026, 9, 10))
    assert (v2.number, v2.version, v2.previous_id) == ("DE2026-00001", 2, quote.id)
    assert v2.reference == "DE2026-00001 v2" and v2.status == QuoteStatus.DRAFT
    assert quote.status == QuoteStatus.REVISED
    assert [li.label for li in quote.lines] == [li.label for li in v2.lines]
    form = uc.form_of(v2, session)
    form.lines[0].unit_price = "11.90"
    uc.update_quote(session, v2.id, form)
    assert v2.total_ht == D("650.50") and quote.total_ht == D("677.50")  # v1 untouched
    transitions.send_quote(session, v2.id, dt.date(2026, 9, 11))
    assert v2.number == "DE2026-00001"  # no new number for a revision
    other = uc.create_quote(session, _tc_form(client, site))
    transitions.send_quote(session, other.id, dt.date(2026, 9, 12))
    assert other.number == "DE2026-00002"
    assert [q.version for q in uc.quote_chain(session, v2.id)] == [1, 2]


def test_tc_accept_plan_progress_invoice_partial_then_closing(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    client, site = world
    quote = uc.create_quote(session, _tc_form(client, site))
    transitions.send_quote(session, quote.id, DAY)
    transitions.accept_quote(
        session, quote.id, dt.date(2026, 9, 5), plan_date=dt.date(2026, 9, 14), team="Équipe B"
    )
    assert quote.status == QuoteStatus.ACCEPTED and quote.probability == 100
    [job] = quote.jobs
    assert (job.planned_date, job.team) == (dt.date(2026, 9, 14), "Équipe B")
    week = planning.week_view(session, dt.date(2026, 9, 16))
    assert week.monday == dt.date(2026, 9, 14)
    assert [r.quote_reference for r in week.days[0][1]] == ["DE2026-00001"]
    with pytest.raises(StateError, match="Rien à facturer"):
        invoicing.invoice_job(session, job.id, dt.date(2026, 9, 14))

    planning.record_progress(session, job.id, "40", dt.date(2026, 9, 14))
    assert job.status == JobStatus.IN_PROGRESS
    first = invoicing.invoice_job(session, job.id, dt.date(2026, 9, 15))
    # 40 % of 562.50, 85.00, 30.00 = 225.00 + 34.00 + 12.00
    assert [li.total_ht for li in first.lines] == [D("225.00"), D("34.00"), D("12.00")]
    assert "DE2026-00001" in first.title and "DE2026-00001" in first.notes
    assert "avancement 40 % du devis DE2026-00001" in first.lines[0].description
    with pytest.raises(ValidationError, match="déjà facturés"):
        planning.record_progress(session, job.id, "30", dt.date(2026, 9, 15))

    planning.mark_done(session, job.id, dt.date(2026, 9, 16))
    assert job.status == JobStatus.DONE and job.done_date == dt.date(2026, 9, 16)
    last = invoicing.invoice_job(session, job.id, dt.date(2026, 9, 17))
    assert [li.total_ht for li in last.lines] == [D("337.50"), D("51.00"), D("18.00")]
    assert first.total_ht + last.total_ht == quote.total_ht
    assert job.invoiced_percent == 100 and job.invoice_id == last.id
    assert session.scalar(select(Invoice).where(Invoice.id == last.id)).status == "draft"


def test_odd_shares_add_up_to_the_cent(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    client, site = world
    form = _tc_form(client, site)
    form.lines = [uc.LineForm(label="Nettoyage vitres", quantity="1", unit_price="100.01")]
    quote = uc.create_quote(session, form)
    transitions.send_quote(session, quote.id, DAY)
    transitions.accept_quote(session, quote.id, DAY)
    [job] = quote.jobs
    totals = []
    for pct in ("33.3", "66.6", "100"):
        planning.record_progress(session, job.id, pct, DAY)
        totals.append(invoicing.invoice_job(session, job.id, DAY).total_ht)
    assert totals == [D("33.30"), D("33.30"), D("33.41")]
    assert sum(totals) == D("100.01")


def test_whole_done_job_invoice_carries_quote_lines(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    client, site = world
    quote = uc.create_quote(session, _tc_form(client, site))
    transitions.send_quote(session, quote.id, DAY)
    transitions.accept_quote(session, quote.id, DAY)
    planning.mark_done(session, quote.jobs[0].id, DAY)
    inv = invoicing.invoice_job(session, quote.jobs[0].id, DAY)
    assert [(li.description, li.quantity, li.unit, li.unit_price) for li in inv.lines] == [
        (li.label, li.quantity, li.unit, li.unit_price) for li in quote.lines
    ]
    assert inv.total_ttc == quote.total_ttc == D("813.00")


def test_refuse_expire_and_reminders(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    client, site = world
    a, b, c = (uc.create_quote(session, _tc_form(client, site)) for _ in range(3))
    for q in (a, b, c):
        transitions.send_quote(session, q.id, DAY)
    transitions.refuse_quote(session, a.id, dt.date(2026, 9, 4), "Trop cher")
    assert a.status == QuoteStatus.REFUSED and a.probability == 0
    with pytest.raises(StateError, match="impossible"):
        transitions.accept_quote(session, a.id, dt.date(2026, 9, 5))
    due = followup.reminders_due(session, dt.date(2026, 9, 11))
    assert [r.id for r in due] == [c.id, b.id]
    mail = followup.reminder_text(session, b.id, dt.date(2026, 9, 11))
    assert mail.subject.startswith("Relance : notre devis n° DE2026-00002")
    assert "813,00" in mail.body and "Bon pour accord" in mail.body
    followup.record_reminder(session, b.id, dt.date(2026, 9, 11))
    assert b.reminder_count == 1 and b.next_reminder_date == dt.date(2026, 9, 21)
    assert [r.id for r in followup.reminders_due(session, dt.date(2026, 9, 11))] == [c.id]
    expired = transitions.expire_quotes(session, dt.date(2026, 10, 2))
    assert {q.id for q in expired} == {b.id, c.id}
    assert b.status == QuoteStatus.EXPIRED


def test_pipeline_weighted_and_forecast_tc(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    client, site = world
    a = uc.create_quote(session, _tc_form(client, site))
    form = _tc_form(client, site)
    form.probability = "20"
    b = uc.create_quote(session, form)
    transitions.send_quote(session, b.id, DAY)
    cells = forecast.pipeline(session)
    assert [(c.status, c.month, c.count, c.amount_ht, c.weighted_ht) for c in cells] == [
        ("draft", DAY, 1, D("677.50"), D("338.75")),
        ("sent", DAY, 1, D("677.50"), D("135.50")),
    ]
    transitions.send_quote(session, a.id, DAY)
    transitions.accept_quote(session, a.id, DAY, plan_date=dt.date(2026, 10, 12))
    fc = forecast.billing_forecast(session, DAY)
    assert fc.months[0] == DAY and len(fc.months) == 12
    assert fc.by_source["extra_work"][1] == D("677.50")  # October
    assert fc.grand_total == D("677.50")


def test_photos_and_sheets_attach_to_quote(session: Session, db, world) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image
    from reportlab.pdfgen import canvas

    client, site = world
    quote = uc.create_quote(session, _tc_form(client, site))
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(buf, "JPEG")
    photo = add_photo(
        session, buf.getvalue(), "hall.jpg", quote_id=quote.id, tag="before", caption="Hall avant"
    )
    assert photo.site_id == site.id
    assert (db.files_dir / photo.storage_name).is_file()
    pdf = io.BytesIO()
    c = canvas.Canvas(pdf)
    c.drawString(100, 700, "Fiche")
    c.save()
    sheet = sheets.add_sheet(session, pdf.getvalue(), "fds.pdf", title="Décapant FDS")
    assert sheet.pages == 1
    sheets.select_sheets(session, quote.id, [sheet.id])
    assert [s.sheet.title for s in quote.sheets] == ["Décapant FDS"]
    with pytest.raises(ValidationError, match="n'est pas un document PDF"):
        sheets.add_sheet(session, b"MZ\x90\x00", "virus.pdf", title="x")
    with pytest.raises(ValidationError, match="illisible ou endommagé"):
        sheets.add_sheet(session, b"%PDF-1.4\n garbage", "bad.pdf", title="x")
    assert session.scalar(select(Quote).where(Quote.id == quote.id)) is quote


def test_accepted_contract_quote_becomes_draft_contract(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    from app.billing.contracts import get_contract

    client, site = world
    form = uc.QuoteForm(
        client_id=client.id,
        site_id=site.id,
        kind=QuoteKind.CONTRACT,
        title="Entretien des parties communes",
        quote_date=DAY,
        contract_months=12,
        lines=[
            uc.LineForm(
                label="Entretien hebdomadaire",
                quantity="1",
                unit="mois",
                unit_price="420",
                billing_frequency="monthly",
            ),
            uc.LineForm(
                label="Vitrerie trimestrielle",
                quantity="1",
                unit="forfait",
                unit_price="180",
                billing_frequency="quarterly",
            ),
        ],
    )
    quote = uc.create_quote(session, form)
    transitions.send_quote(session, quote.id, DAY)
    transitions.accept_quote(session, quote.id, dt.date(2026, 9, 20))
    contract = get_contract(session, quote.contract_id)
    assert contract.status == "draft" and contract.client_id == client.id
    assert contract.site_id == site.id
    assert contract.start_date == dt.date(2026, 10, 1)
    assert contract.end_date == dt.date(2027, 9, 30)
    assert contract.reference == "DE2026-00001"
    versions = [line.versions[0] for line in contract.lines]
    assert [(v.description, v.unit_price, v.frequency) for v in versions] == [
        ("Entretien hebdomadaire", D("420.0000"), "monthly"),
        ("Vitrerie trimestrielle", D("180.0000"), "quarterly"),
    ]
    assert quote.jobs == []


def test_quote_pdf_and_docx_content(session: Session, db, world) -> None:  # type: ignore[no-untyped-def]
    from docx import Document
    from PIL import Image
    from pypdf import PdfReader
    from reportlab.pdfgen import canvas

    from app.quotes.documents import quote_docx, quote_pdf

    client, site = world
    form = _tc_form(client, site)
    form.frequency = "Intervention unique"
    form.cadence = "Samedi 7 h – 12 h"
    form.duration_hours = "5"
    quote = uc.create_quote(session, form)
    for tag, color in (("before", (120, 90, 60)), ("after", (235, 235, 230))):
        buf = io.BytesIO()
        Image.new("RGB", (320, 240), color).save(buf, "JPEG")
        add_photo(
            session, buf.getvalue(), f"{tag}.jpg", quote_id=quote.id, tag=tag, caption=f"Hall {tag}"
        )
    annex = io.BytesIO()
    c = canvas.Canvas(annex)
    c.drawString(100, 700, "FICHE-ANNEXE-DECAPANT")
    c.save()
    sheet = sheets.add_sheet(
        session, annex.getvalue(), "fds.pdf", title="Décapant FDS", norms="NF EN 1276"
    )
    sheets.select_sheets(session, quote.id, [sheet.id])
    transitions.send_quote(session, quote.id, DAY)

    reader = PdfReader(io.BytesIO(quote_pdf(session, quote.id)))
    main_text = "\n".join(p.extract_text() for p in reader.pages[:-1])
    for expected in (
        "DEVIS N° DE2026-00001",
        "Date du devis",
        "01/09/2026",
        "Valable jusqu'au",
        "01/10/2026",
        "Lumière Propreté Services",
        "Dupont Immobilier",
        "Lieu d'intervention : Résidence Les Tilleuls",
        "Décapage et métallisation du hall",
        "Frais de déplacement",
        "677,50",
        "135,50",
        "813,00",
        "Devis gratuit.",
        "Bon pour accord",
        "Signature",
        "Cadence / horaires : Samedi 7 h – 12 h",
        "Avant",
        "Après",
        "Annexes : fiches techniques – Décapant FDS (fiche produit ; normes : NF EN 1276).",
    ):
        assert expected in main_text, expected
    assert "FICHE-ANNEXE-DECAPANT" in reader.pages[-1].extract_text()
    # Every font of the quote pages themselves is embedded DejaVu (the annex is the
    # supplier's file and keeps its own fonts).
    main_fonts = set()
    for page in reader.pages[:-1]:
        for font in page["/Resources"]["/Font"].values():
            main_fonts.add(str(font.get_object()["/BaseFont"]))
    assert main_fonts and all("DejaVu" in f for f in main_fonts), main_fonts

    document = Document(io.BytesIO(quote_docx(session, quote.id)))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "Devis n° DE2026-00001" in text and "Bon pour accord" in text
    assert "Décapage et métallisation du hall" in cells and "813,00" in cells


def test_photos_of_a_sent_quote_are_frozen(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    client, site = world
    quote = uc.create_quote(session, _tc_form(client, site))
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 10, 10)).save(buf, "PNG")
    photo = add_photo(session, buf.getvalue(), "a.png", quote_id=quote.id)
    transitions.send_quote(session, quote.id, DAY)
    with pytest.raises(StateError, match="n'est plus un brouillon"):
        add_photo(session, buf.getvalue(), "b.png", quote_id=quote.id)
    from app.quotes.photos import remove_photo

    with pytest.raises(StateError):
        remove_photo(session, photo.id)
    v2 = transitions.revise_quote(session, quote.id, DAY)
    assert [p.storage_name for p in v2.photos] == [photo.storage_name]  # v2 shares the file
    add_photo(session, buf.getvalue(), "b.png", quote_id=v2.id, tag="after")
    assert len(v2.photos) == 2 and len(quote.photos) == 1


def test_check_reports_a_tampered_photo(db, world, session: Session) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from app.quotes.checks import check_quotes

    client, site = world
    quote = uc.create_quote(session, _tc_form(client, site))
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 10, 10)).save(buf, "PNG")
    photo = add_photo(session, buf.getvalue(), "hall.png", quote_id=quote.id)
    assert check_quotes(session) == []
    (db.files_dir / photo.storage_name).write_bytes(b"x")
    assert check_quotes(session) == [f"photo « hall.png » : fichier {photo.storage_name} modifié"]


def test_forecast_from_an_active_contract_billing_plan(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    from app.billing.contracts import ContractForm, activate, create_contract
    from app.billing.contracts import LineForm as ContractLine

    client, site = world
    contract = create_contract(
        session,
        ContractForm(
            client_id=client.id, start_date=dt.date(2026, 10, 1), site_id=site.id, title="Entretien"
        ),
        [
            ContractLine(description="Entretien mensuel", unit_price="420", frequency="monthly"),
            ContractLine(description="Vitrerie", unit_price="180", frequency="quarterly"),
        ],
        today=DAY,
    )
    activate(session, contract.id)
    fc = forecast.billing_forecast(session, DAY)
    monthly = fc.by_source["contract"]
    # 420 each month from October; 180 each quarter in advance: Oct, Jan, Apr, Jul.
    q, m = D("600.00"), D("420.00")
    assert monthly == [D(0), q, m, m, q, m, m, q, m, m, q, m]
    assert fc.grand_total == 11 * m + 4 * D("180.00")
    assert fc.by_family == {"Sans famille": monthly}


def test_save_site_cadencier_replaces_lines_and_validates(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    from app.quotes.schedules import ScheduleRow, save_schedule, schedule_rows

    client, site = world
    with pytest.raises(ValidationErrors) as exc:
        save_schedule(session, site.id, [ScheduleRow(task="Hall"), ScheduleRow(task="")])
    assert [e.field for e in exc.value.errors] == ["Tâche 1", "Tâche 2"]
    assert "surface et la productivité" in str(exc.value.errors[0])
    save_schedule(
        session,
        site.id,
        [ScheduleRow("Hall", "RDC", "3", "week", "40", qualification="AS2")],
    )
    assert [(r.task, r.frequency, r.qualification) for r in schedule_rows(session, site.id)] == [
        ("Hall", D("3.000"), "AS2")
    ]
    kept = session.scalars(select(TaskSchedule).where(TaskSchedule.site_id == site.id)).all()
    assert len(kept) == 3 and sum(t.active for t in kept) == 1  # old lines kept, inactive
    data = pricing.builder_input_for_site(session, site.id, DAY, margin_percent=D(0))
    assert data.hourly_costs == {"AS2": D("18.5250")}
    # 3 × 52 / 12 × 40 min = 8.667 h × 18.525 = 160.56
    assert pricing.apply_builder(
        session, uc.create_quote(session, _tc_form(client, site)).id, data
    ).labour == D("160.56")


def test_down_payment_of_the_quote_is_deducted_when_the_job_is_invoiced(
    session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    from app.billing.issuing import issue_invoices
    from app.payments.down_payments import create_down_payment_invoice

    client, site = world
    quote = uc.create_quote(session, _tc_form(client, site))  # 677.50 HT, 813.00 TTC
    transitions.send_quote(session, quote.id, DAY)
    transitions.accept_quote(session, quote.id, dt.date(2026, 9, 3))
    dp = create_down_payment_invoice(
        session, quote_id=quote.id, percent="30", issue_date=dt.date(2026, 9, 4)
    )
    issue_invoices(session, [dp.id])
    assert dp.total_ttc == D("243.90")
    planning.mark_done(session, quote.jobs[0].id, dt.date(2026, 9, 10))
    final = invoicing.invoice_job(session, quote.jobs[0].id, dt.date(2026, 9, 11))
    assert final.total_ttc == D("813.00")
    assert final.prepaid_total == D("243.90") and final.amount_due == D("569.10")
    assert f"facture d'acompte n° {dp.number}" in final.notes
    assert "DE2026-00001" in final.notes
