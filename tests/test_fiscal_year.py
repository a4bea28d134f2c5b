"""Fiscal years not ending on 31 December: the closing setting, the exercise of a date, and
the FEC / sales journal of a 1 July – 30 June exercise (file name, AN entry, lettering)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app.cli import main
from app.company import form_from_company, save_company
from app.db import Database
from app.documents.accounting import export_fec, fiscal_year, sales_rows
from app.errors import NotFoundError, ValidationErrors
from app.fiscal import Exercise, FiscalCalendar
from models.company import CompanySettings
from tests.pg import target_of
from tests.test_company import _form
from tests.test_fec_opening import assert_sound, client_lines, fec_rows, pay
from tests.test_payments import issue_invoice, make_client

D = dt.date
E = Decimal


# --- the calendar (pure) ---------------------------------------------------------------


def test_calendar_year_is_the_default() -> None:
    cal = FiscalCalendar()
    assert cal.exercise_of(D(2026, 6, 30)) == Exercise(D(2026, 1, 1), D(2026, 12, 31))
    assert cal.exercise_closing_in(2026) == Exercise(D(2026, 1, 1), D(2026, 12, 31))
    assert cal.exercise_closing_in(2026).slug == "2026"


def test_closing_on_30_june() -> None:
    cal = FiscalCalendar(close_month=6, close_day=30)
    june = Exercise(D(2025, 7, 1), D(2026, 6, 30))
    assert cal.exercise_of(D(2025, 7, 1)) == june
    assert cal.exercise_of(D(2026, 6, 30)) == june
    assert cal.exercise_of(D(2026, 7, 1)) == Exercise(D(2026, 7, 1), D(2027, 6, 30))
    assert cal.exercise_closing_in(2026) == june
    assert june.label == "Exercice du 01/07/2025 au 30/06/2026"
    assert june.slug == "2025-07_2026-06"
    assert [e.end for e in cal.recent(D(2026, 11, 28), 3)] == [
        D(2027, 6, 30),
        D(2026, 6, 30),
        D(2025, 6, 30),
    ]


def test_end_of_february_closing_follows_leap_years() -> None:
    cal = FiscalCalendar(close_month=2, close_day=29)
    assert cal.exercise_closing_in(2027) == Exercise(D(2026, 3, 1), D(2027, 2, 28))
    assert cal.exercise_closing_in(2028) == Exercise(D(2027, 3, 1), D(2028, 2, 29))


def test_long_first_exercise_then_regular_years() -> None:
    cal = FiscalCalendar(9, 30, first_start=D(2024, 3, 15), first_end=D(2025, 9, 30))
    first = Exercise(D(2024, 3, 15), D(2025, 9, 30))
    assert cal.exercise_of(D(2024, 10, 1)) == first  # 30/09/2024 is not a closing yet
    assert cal.exercise_closing_in(2025) == first
    assert cal.exercise_of(D(2025, 10, 1)) == Exercise(D(2025, 10, 1), D(2026, 9, 30))
    assert cal.recent(D(2026, 1, 10), 6) == [Exercise(D(2025, 10, 1), D(2026, 9, 30)), first]
    with pytest.raises(NotFoundError, match="premier exercice se clôt le 30/09/2025"):
        cal.exercise_closing_in(2024)


@given(
    st.integers(1, 12),
    st.integers(1, 31),
    st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)),
)
def test_every_day_in_exactly_one_exercise(month: int, day: int, when: dt.date) -> None:
    cal = FiscalCalendar(month, day)
    ex = cal.exercise_of(when)
    assert ex.start <= when <= ex.end
    assert ex.end == cal.closing_in(ex.end.year)
    # Contiguous: the next exercise starts the day after the closing, and lasts a year.
    following = cal.exercise_of(ex.end + dt.timedelta(days=1))
    assert following.start == ex.end + dt.timedelta(days=1)
    assert 365 <= (following.end - following.start).days + 1 <= 366
    assert cal.exercise_closing_in(ex.end.year) == ex


# --- the company setting ------------------------------------------------------------------


def test_closing_setting_saved_and_shown_again(session: Session) -> None:
    company = save_company(session, _form(fiscal_closing="30/06"))
    assert (company.fiscal_close_day, company.fiscal_close_month) == (30, 6)
    assert company.fiscal_first_start is None
    form = form_from_company(company)
    assert (form.fiscal_closing, form.fiscal_first_start, form.fiscal_first_end) == (
        "30/06",
        "",
        "",
    )
    save_company(
        session,
        _form(
            fiscal_closing="30/09", fiscal_first_start="15/03/2024", fiscal_first_end="30/09/2025"
        ),
    )
    assert form_from_company(company).fiscal_first_end == "30/09/2025"
    assert fiscal_year(session, D(2024, 12, 1)) == Exercise(D(2024, 3, 15), D(2025, 9, 30))


def test_calendar_year_when_nothing_set(session: Session) -> None:
    company = save_company(session, _form())
    assert (company.fiscal_close_day, company.fiscal_close_month) == (31, 12)
    assert form_from_company(company).fiscal_closing == "31/12"


@pytest.mark.parametrize(
    ("over", "field", "text"),
    [
        ({"fiscal_closing": "31/06"}, "Clôture de l'exercice", "n'existe pas"),
        ({"fiscal_closing": "juin"}, "Clôture de l'exercice", "JJ/MM"),
        (
            {"fiscal_closing": "30/06", "fiscal_first_start": "01/02/2025"},
            "Clôture du premier exercice",
            "obligatoire",
        ),
        (
            {
                "fiscal_closing": "30/06",
                "fiscal_first_start": "01/02/2025",
                "fiscal_first_end": "31/12/2025",
            },
            "Clôture du premier exercice",
            "ne tombe pas le jour de clôture (30/06)",
        ),
        (
            {
                "fiscal_closing": "30/06",
                "fiscal_first_start": "01/02/2024",
                "fiscal_first_end": "30/06/2026",
            },
            "Clôture du premier exercice",
            "au plus 24 mois",
        ),
        (
            {"fiscal_first_start": "32/01/2025", "fiscal_first_end": "31/12/2025"},
            "Début du premier exercice",
            "JJ/MM/AAAA",
        ),
    ],
)
def test_bad_fiscal_settings_refused_naming_the_field(
    session: Session, over: dict[str, str], field: str, text: str
) -> None:
    with pytest.raises(ValidationErrors) as info:
        save_company(session, _form(**over))
    assert field in info.value.fields
    assert text in str(info.value)
    assert session.get(CompanySettings, 1) is None  # nothing written


# --- FEC of a 1 July – 30 June exercise -----------------------------------------------------


def close_on_30_june(session: Session) -> CompanySettings:
    company = session.get(CompanySettings, 1)
    assert company is not None
    company.fiscal_close_month, company.fiscal_close_day = 6, 30
    session.flush()
    return company


def test_june_invoice_paid_in_july_across_two_exercises(
    session: Session, company: CompanySettings, tmp_path: Path
) -> None:
    close_on_30_june(session)
    client = make_client(session)
    before = issue_invoice(session, client, "120.00", D(2025, 6, 30))  # previous exercise
    first = issue_invoice(session, client, "240.00", D(2025, 7, 1))  # first day
    pay(session, client.id, D(2025, 7, 20), "240.00", first.id)
    june = issue_invoice(session, client, "1440.00", D(2026, 6, 30))  # last day
    pay(session, client.id, D(2026, 7, 15), "1440.00", june.id)  # paid the next exercise
    july = issue_invoice(session, client, "600.00", D(2026, 7, 31))

    fec = export_fec(session, 2026, tmp_path / "a")
    assert fec.path.name == f"{company.siren}FEC20260630.txt"
    rows = fec_rows(session, 2026, tmp_path)
    assert_sound(rows)
    assert {r["EcritureDate"] for r in rows} <= {f"{d:%Y%m%d}" for d in _days(2025, 2026)}
    assert client_lines(rows) == [
        ("AN", "AN2025", "120,00", "0,00", "", ""),  # the 30/06/2025 invoice, still open
        ("VT", first.number, "240,00", "0,00", "A", "20250720"),
        ("BQ", "RG2025-00001", "0,00", "240,00", "A", "20250720"),
        ("VT", june.number, "1440,00", "0,00", "", ""),  # open at the closing
    ]
    opening = [r for r in rows if r["JournalCode"] == "AN"]
    assert {(r["EcritureNum"], r["EcritureDate"], r["PieceRef"]) for r in opening} == {
        ("AN000001", "20250701", "AN2025")
    }
    assert before.number in opening[0]["EcritureLib"]
    assert july.number not in {r["PieceRef"] for r in rows}

    # The same exercise chosen by any of its days.
    assert export_fec(session, D(2025, 12, 1), tmp_path / "b").path.read_bytes() == (
        fec.path.read_bytes()
    )

    following = fec_rows(session, 2027, tmp_path)
    assert_sound(following)
    assert client_lines(following) == [
        ("AN", "AN2026", "120,00", "0,00", "", ""),
        ("AN", "AN2026", "1440,00", "0,00", "B", "20260715"),  # lettered with its payment
        ("BQ", "RG2026-00001", "0,00", "1440,00", "B", "20260715"),
        ("VT", july.number, "600,00", "0,00", "", ""),
    ]
    assert {r["EcritureDate"] for r in following if r["JournalCode"] == "AN"} == {"20260701"}
    assert (tmp_path / "2027" / f"{company.siren}FEC20270630.txt").exists()

    # Sales journal of the exercise: its invoices only.
    period = fiscal_year(session, 2026)
    numbers = [r.number for r in sales_rows(session, period.start, period.end)]
    assert numbers == [first.number, june.number]


def _days(first_year: int, closing_year: int) -> list[dt.date]:
    start, end = D(first_year, 7, 1), D(closing_year, 6, 30)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def test_calendar_year_firm_unchanged(
    session: Session, company: CompanySettings, tmp_path: Path
) -> None:
    client = make_client(session)
    issue_invoice(session, client, "120.00", D(2025, 12, 31))
    issue_invoice(session, client, "240.00", D(2026, 1, 1))
    rows = fec_rows(session, 2026, tmp_path)
    assert (tmp_path / "2026" / f"{company.siren}FEC20261231.txt").exists()
    first = rows[0]
    assert (first["JournalCode"], first["EcritureDate"], first["PieceRef"]) == (
        "AN",
        "20260101",
        "AN2026",
    )


def test_cli_exports_the_exercise_of_a_date(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.demo import DemoContext
    from app.demo import company as demo_company

    with db.write() as session:
        demo_company.load(session, DemoContext())
        session.flush()
        siren = close_on_30_june(session).siren
        client = make_client(session)
        issue_invoice(session, client, "1440.00", D(2026, 6, 30))
        issue_invoice(session, client, "600.00", D(2026, 7, 31))
    path = target_of(db)
    db.dispose()
    out = tmp_path / "out"
    args = ["--db", path, "accounting", "fec", "--out", str(out), "--sales-csv"]
    assert main([*args, "--date", "2026-03-01"]) == 0
    printed = capsys.readouterr().out
    assert "Exercice du 01/07/2025 au 30/06/2026" in printed
    assert (out / f"{siren}FEC20260630.txt").exists()
    csv_rows = (out / "ventes-2025-07_2026-06.csv").read_text("utf-8-sig").splitlines()
    assert len(csv_rows) == 2 and csv_rows[1].startswith("30/06/2026;")
    assert main([*args, "--year", "2027"]) == 0
    assert (out / f"{siren}FEC20270630.txt").exists()
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--date", "2026-13-01"])
    assert exit_info.value.code == 2
    assert "date AAAA-MM-JJ attendue" in capsys.readouterr().err
