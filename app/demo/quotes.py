"""Demo step: cadenciers, quotes of both kinds in every status, photos before/after, a
technical sheet, a planned job and a done one waiting to be invoiced."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.quotes import builder, followup, planning, pricing, sheets, transitions
from app.quotes import quotes as uc
from app.quotes.photos import add_photo
from models.company import NumberCounter, NumberSeries
from models.quotes import QuoteKind
from models.schedules import TaskSchedule

D = Decimal
DEMO_TODAY = dt.date(2026, 9, 1)

# site key → cadencier lines: task, zone, frequency, period, minutes, m², m²/h, qualification
CADENCIERS: dict[str, list[tuple[str, str, str, str, str, str, str, str]]] = {
    "OFF1": [
        ("Vidage des corbeilles", "Bureaux", "5", "week", "20", "", "", "AS1"),
        ("Aspiration des sols textiles", "Bureaux", "2", "week", "", "380", "250", "AS1"),
        ("Nettoyage des sanitaires", "Sanitaires", "5", "week", "25", "", "", "AS2"),
        ("Lavage de l'accueil", "Accueil", "5", "week", "", "45", "150", "AS2"),
        ("Contrôle qualité", "Encadrement", "1", "month", "45", "", "", "CE"),
    ],
    "OFF2": [
        ("Entretien du plateau", "Plateau", "5", "week", "", "620", "300", "AS1"),
        ("Sanitaires", "Sanitaires", "5", "week", "30", "", "", "AS2"),
        ("Cuisine / tisanerie", "Cuisine", "5", "week", "20", "", "", "AS2"),
        ("Vitres intérieures", "Vitrerie", "4", "year", "", "90", "40", "AQS"),
    ],
    "REGIE1": [
        ("Balayage et lavage des halls", "Parties communes", "2", "week", "", "180", "150", "AS1"),
        ("Escaliers", "Parties communes", "1", "week", "", "110", "120", "AS1"),
        ("Sortie des conteneurs", "Local poubelles", "2", "week", "10", "", "", "AS1"),
    ],
}


def _site(ctx: Any, key: str) -> Any:
    keys = ctx["site_keys"]
    return keys.get(key) or sorted(keys.values(), key=lambda s: s.code)[0]


def _photo(rng: Any, dirty: bool) -> bytes:
    """A deterministic picture of a tiled hall floor, stained before, clean after."""
    from PIL import Image, ImageDraw

    base = (150, 128, 100) if dirty else (226, 222, 212)
    image = Image.new("RGB", (640, 480), base)
    draw = ImageDraw.Draw(image)
    for x in range(0, 640, 80):
        draw.line([(x, 0), (x, 480)], fill=(110, 100, 90) if dirty else (190, 186, 176), width=2)
    for y in range(0, 480, 80):
        draw.line([(0, y), (640, y)], fill=(110, 100, 90) if dirty else (190, 186, 176), width=2)
    if dirty:
        for _ in range(25):
            x, y, r = rng.randrange(640), rng.randrange(480), rng.randrange(8, 40)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(90, 75, 55))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _sheet_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from reports.fonts import BOLD, REGULAR, register_fonts

    register_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=True)
    c.setFont(BOLD, 16)
    c.drawString(60, 780, "Fiche technique — Décapant sols durs DS 40")
    c.setFont(REGULAR, 10)
    lines = [
        "Usage : décapage des émulsions sur sols thermoplastiques et carrelages.",
        "Dilution : 1 L pour 10 L d'eau (décapage), 1 L pour 20 L (entretien).",
        "pH pur : 13,5 — port de gants et de lunettes obligatoire (EN 374, EN 166).",
        "Conforme au règlement (CE) n° 1272/2008 (CLP). Fiche de données de sécurité sur demande.",
        "Conditionnement : bidon de 5 L.",
    ]
    for i, line in enumerate(lines):
        c.drawString(60, 740 - 18 * i, line)
    c.showPage()
    c.save()
    return out.getvalue()


def _cadenciers(session: Session, ctx: Any) -> None:
    quals = ctx["qualifications"]
    for key, rows in CADENCIERS.items():
        site = _site(ctx, key)
        for position, (task, zone, freq, period, minutes, m2, prod, qual) in enumerate(rows, 1):
            session.add(
                TaskSchedule(
                    site_id=site.id,
                    position=position,
                    task=task,
                    zone=zone,
                    frequency=D(freq),
                    period=period,
                    minutes_per_pass=D(minutes) if minutes else None,
                    surface_m2=D(m2) if m2 else None,
                    productivity_m2_h=D(prod) if prod else None,
                    qualification_id=quals[qual].id,
                )
            )
    session.flush()


def _tc(
    ctx: Any,
    site_key: str,
    title: str,
    day: dt.date,
    lines: list[uc.LineForm],
    cadence: str = "",
    hours: str | None = None,
) -> uc.QuoteForm:
    site = _site(ctx, site_key)
    return uc.QuoteForm(
        client_id=site.client_id,
        site_id=site.id,
        kind=QuoteKind.EXTRA_WORK,
        title=title,
        quote_date=day,
        lines=lines,
        frequency="Intervention unique",
        cadence=cadence,
        duration_hours=hours,
    )


def _line(article: Any, quantity: str, price: str | None = None, **kw: Any) -> uc.LineForm:
    return uc.LineForm(
        label=article.label,
        article_id=article.id,
        quantity=quantity,
        unit=article.unit,
        unit_price=price or article.unit_price,
        vat_code="",
        **kw,
    )


def _contract_date(session: Session) -> dt.date | None:
    """A decision date that keeps the contract series chronological, or None while the
    contracts demo step has not numbered any contract yet (a contract numbered here first
    could make that later step's earlier-dated contracts non-chronological)."""
    last = session.scalar(
        select(func.max(NumberCounter.last_date))
        .join(NumberSeries, NumberSeries.id == NumberCounter.series_id)
        .where(NumberSeries.code == "contract")
    )
    if last is None:
        return None
    return max(DEMO_TODAY - dt.timedelta(days=3), last)


def load(session: Session, ctx: Any) -> None:
    if "site_keys" not in ctx.objects or "qualifications" not in ctx.objects:
        return
    _cadenciers(session, ctx)
    a = ctx["articles"]
    rng = ctx.rng

    def contract_quote(site_key: str, title: str, day: dt.date, margin: str) -> Any:
        site = _site(ctx, site_key)
        form = uc.QuoteForm(
            client_id=site.client_id,
            site_id=site.id,
            kind=QuoteKind.CONTRACT,
            title=title,
            quote_date=day,
            frequency="5 passages par semaine",
            cadence="Du lundi au vendredi, de 18 h à 20 h",
            start_date=dt.date(2026, 10, 1),
            contract_months=12,
            probability="60",
        )
        quote = uc.create_quote(session, form)
        data = pricing.builder_input_for_site(
            session,
            site.id,
            day,
            products=D("45.00"),
            equipment=D("25.00"),
            overheads_percent=D("12"),
            margin_percent=D(margin),
        )
        pricing.apply_builder(session, quote.id, data)
        return quote

    # Contract quotes: priced from the cadencier.
    c_sent = contract_quote("OFF1", "Entretien des bureaux", dt.date(2026, 8, 10), "18")
    c_draft = contract_quote("REGIE1", "Entretien des parties communes", DEMO_TODAY, "18")
    c_won = contract_quote(
        "OFF2", "Entretien du plateau et des sanitaires", dt.date(2026, 8, 3), "18"
    )

    # The showcase TC: hall restoration with before/after photos and a technical sheet.
    showcase = uc.create_quote(
        session,
        _tc(
            ctx,
            "REGIE2",
            "Remise en état du hall après dégât des eaux",
            dt.date(2026, 8, 20),
            [
                _line(a["MULTENC"], "1"),
                uc.LineForm(
                    label="Frais de déplacement", quantity="1", unit_price="35", kind="travel"
                ),
            ],
            cadence="Samedi 7 h – 15 h (hall fermé au public)",
        ),
    )
    add_photo(
        session,
        _photo(rng, True),
        "IMG_2041.JPG",
        quote_id=showcase.id,
        tag="before",
        caption="Hall d'entrée, sol taché",
    )
    add_photo(
        session,
        _photo(rng, False),
        "IMG_2107.JPG",
        quote_id=showcase.id,
        tag="after",
        caption="Même vue après un décapage d'essai",
    )
    sheet = sheets.add_sheet(
        session,
        _sheet_pdf(),
        "FT_DS40.pdf",
        title="Décapant sols durs DS 40",
        kind="product",
        article_id=a["REMSOL"].id,
        norms="CLP (CE) 1272/2008 ; EPI EN 374, EN 166",
    )
    sheets.select_sheets(session, showcase.id, [sheet.id])
    day = showcase.quote_date
    data = builder.BuilderInput(
        tasks=[
            builder.TaskLine("Décapage et mise en cire", "ATQS", D(1), minutes_per_pass=D(450)),
            builder.TaskLine("Enlèvement des gravats", "AS2", D(1), minutes_per_pass=D(60)),
        ],
        hourly_costs={code: _cost(session, code, day) for code in ("ATQS", "AS2")},
        products=D("60"),
        equipment=D("40"),
        overheads_percent=D("10"),
        margin_percent=D("30"),
        one_off=True,
    )
    pricing.apply_builder(session, showcase.id, data)

    expired = uc.create_quote(
        session,
        _tc(
            ctx,
            "OFF3",
            "Shampouinage des moquettes",
            dt.date(2026, 6, 1),
            [_line(a["REMMOQ"], "210")],
        ),
    )
    refused = uc.create_quote(
        session,
        _tc(ctx, "SHOP", "Vitrerie en hauteur", dt.date(2026, 6, 10), [_line(a["VITRNAC"], "1")]),
    )
    revised = uc.create_quote(
        session,
        _tc(
            ctx,
            "HOTL",
            "Décapage de la salle petit-déjeuner",
            dt.date(2026, 7, 20),
            [_line(a["REMSOL"], "90")],
        ),
    )
    remind = uc.create_quote(
        session,
        _tc(
            ctx,
            "SCHO",
            "Nettoyage de rentrée des classes",
            dt.date(2026, 8, 14),
            [_line(a["NETHEURE"], "32"), _line(a["VITRINT"], "260")],
        ),
    )
    done = uc.create_quote(
        session,
        _tc(
            ctx,
            "CLIN",
            "Nettoyage approfondi des salles de soins",
            dt.date(2026, 8, 18),
            [_line(a["NETHEURE"], "12")],
            hours="12",
        ),
    )
    uc.create_quote(
        session,
        _tc(
            ctx,
            "GARA",
            "Enlèvement d'encombrants de l'atelier",
            DEMO_TODAY,
            [_line(a["MULTENC"], "2")],
        ),
    )

    # Send in date order: the quote series stays chronological.
    transitions.send_quote(session, expired.id, dt.date(2026, 6, 1))
    transitions.send_quote(session, refused.id, dt.date(2026, 6, 10))
    transitions.send_quote(session, revised.id, dt.date(2026, 7, 20))
    transitions.send_quote(session, c_won.id, dt.date(2026, 8, 3))
    v2 = transitions.revise_quote(session, revised.id, dt.date(2026, 8, 5))
    form = uc.form_of(v2, session)
    form.lines[0].unit_price = "5.90"
    uc.update_quote(session, v2.id, form)
    transitions.send_quote(session, v2.id, dt.date(2026, 8, 5))
    transitions.send_quote(session, c_sent.id, dt.date(2026, 8, 10))
    transitions.send_quote(session, remind.id, dt.date(2026, 8, 14))
    transitions.send_quote(session, done.id, dt.date(2026, 8, 18))
    transitions.send_quote(session, showcase.id, dt.date(2026, 8, 20))

    transitions.refuse_quote(session, refused.id, dt.date(2026, 6, 25), "Budget reporté à 2027")
    transitions.expire_quotes(session, DEMO_TODAY)
    followup.record_reminder(session, remind.id, dt.date(2026, 8, 24), next_in_days=7)
    transitions.accept_quote(
        session,
        done.id,
        dt.date(2026, 8, 21),
        plan_date=dt.date(2026, 8, 27),
        team="Équipe Nord (K. Benali, L. Moreau)",
    )
    planning.mark_done(session, done.jobs[0].id, dt.date(2026, 8, 27))
    transitions.accept_quote(
        session,
        showcase.id,
        dt.date(2026, 8, 28),
        plan_date=dt.date(2026, 9, 5),
        team="Équipe remise en état (S. Diallo, M. Roux)",
    )
    decision = _contract_date(session)
    if decision is not None:
        transitions.accept_quote(session, c_won.id, decision)
    ctx["quotes"] = {"showcase": showcase, "contract_draft": c_draft, "contract_sent": c_sent}


def _cost(session: Session, code: str, day: dt.date) -> Decimal:
    from app.costs import hourly_cost

    return hourly_cost(session, code, day)
