"""Gap-free numbering per series (Tryton's strict sequences, Odoo's no-gap sequence).

A number is taken only inside the write transaction that issues the document: the
counter row is read and incremented there (``BEGIN IMMEDIATE`` on SQLite, ``SELECT …
FOR UPDATE`` elsewhere), so a rollback gives the number back and two workstations
can never get the same one. A date earlier than the series' last issued date is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import insert_rows
from app.errors import NotFoundError, NumberingError, ValidationError
from models.company import IssuedNumber, NumberCounter, NumberSeries

_PLACEHOLDER = re.compile(r"\{(YYYY|YY|MM|seq(?::0?\d+)?)\}")

DEFAULT_SERIES: list[tuple[str, str, str, bool]] = [
    ("invoice", "Factures", "FA{YYYY}-{seq:05}", True),
    ("credit_note", "Avoirs", "AV{YYYY}-{seq:05}", True),
    ("quote", "Devis", "DE{YYYY}-{seq:05}", True),
    ("payment", "Règlements", "RG{YYYY}-{seq:05}", True),
    ("contract", "Contrats", "CT{seq:05}", False),
    ("notice", "Avis", "AVIS{YYYY}-{seq:04}", True),
]


@dataclass(frozen=True)
class Number:
    series: str
    seq: int
    text: str


def validate_pattern(pattern: str, yearly_reset: bool) -> None:
    field = "Modèle de numérotation"
    if "{seq" not in pattern:
        raise ValidationError(
            field, "Le modèle « {pattern} » doit contenir {{seq}}.", pattern=pattern
        )
    rest = _PLACEHOLDER.sub("", pattern)
    if "{" in rest or "}" in rest:
        raise ValidationError(
            field, "Le modèle « {pattern} » contient un champ inconnu.", pattern=pattern
        )
    if yearly_reset and "{YY" not in pattern:
        raise ValidationError(
            field,
            "Une série remise à zéro chaque année doit contenir l'année ({{YYYY}}) : « {pattern} ».",
            pattern=pattern,
        )
    if not re.fullmatch(r"[A-Za-z0-9{}:\-_/.]+", pattern):
        raise ValidationError(
            field, "Le modèle « {pattern} » contient des caractères interdits.", pattern=pattern
        )


def format_number(pattern: str, seq: int, day: dt.date) -> str:
    def repl(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "YYYY":
            return f"{day.year:04d}"
        if token == "YY":
            return f"{day.year % 100:02d}"
        if token == "MM":
            return f"{day.month:02d}"
        width = token.split(":")[1] if ":" in token else "0"
        return f"{seq:{width}d}" if width != "0" else str(seq)

    return _PLACEHOLDER.sub(repl, pattern)


def ensure_default_series(session: Session) -> None:
    existing = set(session.scalars(select(NumberSeries.code)))
    for code, label, pattern, yearly in DEFAULT_SERIES:
        if code not in existing:
            session.add(NumberSeries(code=code, label=label, pattern=pattern, yearly_reset=yearly))
    session.flush()


def get_series(session: Session, code: str) -> NumberSeries:
    series = session.scalar(select(NumberSeries).where(NumberSeries.code == code))
    if series is None:
        raise NotFoundError("Série de numérotation « {code} » introuvable.", code=code)
    return series


def next_number(
    session: Session,
    series_code: str,
    doc_date: dt.date,
    *,
    doc_type: str = "",
    doc_id: int | None = None,
) -> Number:
    """Take the next number of a series for a document dated ``doc_date``.

    Must run inside the write transaction that issues the document.
    """
    if not session.in_transaction():
        raise NumberingError(
            "Un numéro ne peut être attribué qu'au sein d'une transaction d'écriture."
        )
    series = get_series(session, series_code)
    key = f"{doc_date.year:04d}" if series.yearly_reset else ""
    counter = session.scalar(
        select(NumberCounter)
        .where(NumberCounter.series_id == series.id, NumberCounter.period_key == key)
        .with_for_update()
    )
    if counter is None:
        counter = NumberCounter(series_id=series.id, period_key=key, last_value=0)
        session.add(counter)
    last_date = _series_last_date(session, series.id)
    if last_date is not None and doc_date < last_date:
        raise NumberingError(
            "Date du {date} antérieure au dernier document de la série « {series} » "
            "(du {last}) : la numérotation doit rester chronologique.",
            date=doc_date.strftime("%d/%m/%Y"),
            series=series.label,
            last=last_date.strftime("%d/%m/%Y"),
        )
    counter.last_value += 1
    counter.last_date = doc_date
    text = format_number(series.pattern, counter.last_value, doc_date)
    session.add(
        IssuedNumber(
            series_id=series.id,
            period_key=key,
            seq=counter.last_value,
            number=text,
            doc_date=doc_date,
            doc_type=doc_type or series_code,
            doc_id=doc_id,
        )
    )
    session.flush()
    return Number(series=series_code, seq=counter.last_value, text=text)


def next_numbers(
    session: Session,
    series_code: str,
    doc_date: dt.date,
    doc_ids: list[int],
    *,
    doc_type: str = "",
) -> list[Number]:
    """Numbers for several documents of one series and date, in ``doc_ids`` order.

    Same rules as :func:`next_number` (inside the write transaction, chronology, register
    of issued numbers), with one counter update and one bulk insert: month-end runs.
    """
    if not doc_ids:
        return []
    first = next_number(session, series_code, doc_date, doc_type=doc_type, doc_id=doc_ids[0])
    if len(doc_ids) == 1:
        return [first]
    series = get_series(session, series_code)
    key = f"{doc_date.year:04d}" if series.yearly_reset else ""
    counter = session.scalar(
        select(NumberCounter).where(
            NumberCounter.series_id == series.id, NumberCounter.period_key == key
        )
    )
    if counter is None or counter.last_value != first.seq:
        raise NumberingError(
            "Le compteur de la série {series} ne suit pas le numéro {number} qui vient "
            "d'être attribué : numérotation arrêtée.",
            series=series_code,
            number=first.text,
        )
    numbers = [first]
    rows = []
    for offset, doc_id in enumerate(doc_ids[1:], 1):
        seq = first.seq + offset
        text = format_number(series.pattern, seq, doc_date)
        numbers.append(Number(series=series_code, seq=seq, text=text))
        rows.append(
            {
                "series_id": series.id,
                "period_key": key,
                "seq": seq,
                "number": text,
                "doc_date": doc_date,
                "doc_type": doc_type or series_code,
                "doc_id": doc_id,
            }
        )
    counter.last_value = numbers[-1].seq
    insert_rows(session, IssuedNumber.__table__, rows)
    session.flush()
    return numbers


def attach_document(session: Session, number: str, doc_id: int) -> None:
    """Record the id of the document that received ``number`` (once it has an id)."""
    row = session.scalar(select(IssuedNumber).where(IssuedNumber.number == number))
    if row is not None:
        row.doc_id = doc_id


def _series_last_date(session: Session, series_id: int) -> dt.date | None:
    return session.scalar(
        select(func.max(NumberCounter.last_date)).where(NumberCounter.series_id == series_id)
    )


@dataclass
class SeriesReport:
    code: str
    count: int
    first: str | None
    last: str | None
    problems: list[str]


def check_continuity(session: Session) -> list[SeriesReport]:
    """Numbers 1..N per series and year, no gap, no duplicate, agreeing with the counters."""
    reports = []
    for series in session.scalars(select(NumberSeries).order_by(NumberSeries.id)):
        problems: list[str] = []
        rows = session.execute(
            select(
                IssuedNumber.period_key,
                IssuedNumber.seq,
                IssuedNumber.number,
                IssuedNumber.doc_date,
            )
            .where(IssuedNumber.series_id == series.id)
            .order_by(IssuedNumber.period_key, IssuedNumber.seq)
        ).all()
        counters = {
            c.period_key: c.last_value
            for c in session.scalars(
                select(NumberCounter).where(NumberCounter.series_id == series.id)
            )
        }
        by_key: dict[str, list[int]] = {}
        for key, seq, _number, _date in rows:
            by_key.setdefault(key, []).append(seq)
        for key, seqs in by_key.items():
            expected = list(range(1, len(seqs) + 1))
            if seqs != expected:
                missing = sorted(set(range(1, max(seqs) + 1)) - set(seqs))
                problems.append(f"Série « {series.label} » {key}: numéros manquants {missing[:10]}")
            if counters.get(key, 0) != len(seqs):
                problems.append(
                    f"Série « {series.label} » {key}: compteur {counters.get(key, 0)} "
                    f"pour {len(seqs)} numéros attribués"
                )
        previous = None
        for _key, _seq, number, day in rows:
            if previous is not None and day < previous[1] and not series.yearly_reset:
                problems.append(f"{number} daté avant {previous[0]}")
            previous = (number, day)
        reports.append(
            SeriesReport(
                code=series.code,
                count=len(rows),
                first=rows[0][2] if rows else None,
                last=rows[-1][2] if rows else None,
                problems=problems,
            )
        )
    return reports


class NumberPeek:
    """The numbers documents would take if numbered now, in the order asked, without taking
    any (for the confirmation shown before numbering; another user may number first)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._next: dict[tuple[str, str], int] = {}

    def take(self, series_code: str, doc_date: dt.date) -> tuple[NumberSeries, str]:
        series = get_series(self.session, series_code)
        key = f"{doc_date.year:04d}" if series.yearly_reset else ""
        if (series_code, key) not in self._next:
            last = self.session.scalar(
                select(NumberCounter.last_value).where(
                    NumberCounter.series_id == series.id, NumberCounter.period_key == key
                )
            )
            self._next[series_code, key] = (last or 0) + 1
        seq = self._next[series_code, key]
        self._next[series_code, key] = seq + 1
        return series, format_number(series.pattern, seq, doc_date)
