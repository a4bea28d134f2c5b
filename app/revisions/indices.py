"""Price index series and their dated values: entry by hand and CSV import.

A value belongs to a month (stored as its first day). A quarterly series (the sector's
Index Propreté) stores each quarter's value on the quarter's first month, and a lookup for
any month of that quarter returns it.

CSV import accepts what users download or type: separator ``;``, ``,`` or tab, decimal
comma or point, months written ``2026-06``, ``06/2026``, ``2026-06-01``, ``01/06/2026`` or
quarters ``2026-T2`` / ``2026-Q2`` / ``T2 2026``. Leading lines without any digit in the
first column (INSEE's "Libellé", "idBank", "Période"… headers) are skipped. Every bad line
is reported with its number and nothing is written unless the whole file is valid.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFoundError, ValidationError, ValidationErrors
from app.i18n import _, ngettext
from app.money import to_decimal
from models.revisions import IndexValue, Periodicity, PriceIndex

PERIODICITY_LABELS = {Periodicity.MONTHLY: "Mensuel", Periodicity.QUARTERLY: "Trimestriel"}


@dataclass
class IndexForm:
    name: str = ""
    source: str = ""
    base: str = ""
    periodicity: str = Periodicity.MONTHLY
    notes: str = ""


@dataclass(frozen=True)
class IndexRow:
    id: int
    name: str
    source: str
    base: str
    periodicity: str
    values: int
    last_month: dt.date | None
    last_value: Decimal | None


@dataclass(frozen=True)
class ValueRow:
    id: int
    month: dt.date
    value: Decimal
    origin: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    @property
    def summary(self) -> str:
        return _("{created}, {updated}, {unchanged}.").format(
            created=ngettext("{n} valeur ajoutée", "{n} valeurs ajoutées", self.created).format(
                n=self.created
            ),
            updated=ngettext("{n} modifiée", "{n} modifiées", self.updated).format(n=self.updated),
            unchanged=ngettext("{n} inchangée", "{n} inchangées", self.unchanged).format(
                n=self.unchanged
            ),
        )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """First day of the month ``months`` away from ``day``'s month."""
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def period_of(periodicity: str, month: dt.date) -> dt.date:
    """The month under which a series stores the value covering ``month``."""
    if periodicity == Periodicity.QUARTERLY:
        return quarter_start(month)
    return month_start(month)


# --- form validation and CRUD ---------------------------------------------------------


def _validate(session: Session, form: IndexForm, current_id: int | None) -> dict[str, str]:
    errors: list[ValidationError] = []
    name = form.name.strip()
    if not name:
        errors.append(ValidationError("Nom", "Le nom de l'indice est obligatoire."))
    else:
        other = session.scalar(select(PriceIndex.id).where(PriceIndex.name == name))
        if other is not None and other != current_id:
            errors.append(
                ValidationError("Nom", "Un indice nommé « {name} » existe déjà.", name=name)
            )
    if form.periodicity not in Periodicity.ALL:
        errors.append(ValidationError("Périodicité", "Périodicité inconnue."))
    if errors:
        raise ValidationErrors(errors)
    return {
        "name": name,
        "source": form.source.strip(),
        "base": form.base.strip(),
        "periodicity": form.periodicity,
        "notes": form.notes.strip(),
    }


def create_index(session: Session, form: IndexForm) -> PriceIndex:
    values = _validate(session, form, None)
    index = PriceIndex(**values)
    session.add(index)
    session.flush()
    audit.record(session, "price_index", index.id, "create", f"Indice « {index.name} » créé")
    return index


def update_index(session: Session, index_id: int, form: IndexForm) -> PriceIndex:
    index = get_index(session, index_id)
    changes = audit.diff(index, _validate(session, form, index_id))
    if changes:
        audit.record(
            session,
            "price_index",
            index.id,
            "update",
            f"Indice « {index.name} » modifié",
            changes=changes,
        )
    return index


def get_index(session: Session, index_id: int) -> PriceIndex:
    index = session.get(PriceIndex, index_id)
    if index is None:
        raise NotFoundError("Indice introuvable (n° {id}).", id=index_id)
    return index


def index_by_name(session: Session, name: str) -> PriceIndex:
    index = session.scalar(select(PriceIndex).where(PriceIndex.name == name))
    if index is None:
        raise NotFoundError("Indice « {name} » introuvable.", name=name)
    return index


def list_indices(session: Session) -> list[IndexRow]:
    counts = dict(
        session.execute(
            select(IndexValue.index_id, func.count(IndexValue.id)).group_by(IndexValue.index_id)
        ).all()
    )
    rows = []
    for index in session.scalars(select(PriceIndex).order_by(PriceIndex.name)):
        last = session.scalar(
            select(IndexValue)
            .where(IndexValue.index_id == index.id)
            .order_by(IndexValue.month.desc())
            .limit(1)
        )
        rows.append(
            IndexRow(
                index.id,
                index.name,
                index.source,
                index.base,
                index.periodicity,
                counts.get(index.id, 0),
                last.month if last else None,
                last.value if last else None,
            )
        )
    return rows


def list_values(session: Session, index_id: int) -> list[ValueRow]:
    stmt = (
        select(IndexValue).where(IndexValue.index_id == index_id).order_by(IndexValue.month.desc())
    )
    return [ValueRow(v.id, v.month, v.value, v.origin) for v in session.scalars(stmt)]


def _check_value(value: Decimal, field: str = "Valeur") -> Decimal:
    if value <= 0:
        raise ValidationError(field, "La valeur d'un indice doit être positive.")
    if value != value.quantize(Decimal("0.000001")):
        raise ValidationError(field, "Une valeur d'indice a au plus 6 décimales.")
    return value


def set_value(
    session: Session, index_id: int, month: dt.date, value: Decimal | str, *, origin: str = "manual"
) -> IndexValue:
    """Enter (or correct) the value of a month; the change is kept in the history."""
    index = get_index(session, index_id)
    amount = _check_value(to_decimal(value, field="Valeur"))
    key = period_of(index.periodicity, month)
    row = session.scalar(
        select(IndexValue).where(IndexValue.index_id == index_id, IndexValue.month == key)
    )
    label = f"{key.month:02d}/{key.year}"
    if row is None:
        row = IndexValue(index_id=index_id, month=key, value=amount, origin=origin)
        session.add(row)
        session.flush()
        audit.record(
            session, "price_index", index_id, "value", f"« {index.name} » {label} = {amount}"
        )
    elif row.value != amount:
        changes = audit.diff(row, {"value": amount, "origin": origin})
        audit.record(
            session,
            "price_index",
            index_id,
            "value",
            f"« {index.name} » {label} corrigé",
            changes=changes,
        )
    return row


def delete_value(session: Session, value_id: int) -> None:
    row = session.get(IndexValue, value_id)
    if row is None:
        raise NotFoundError("Valeur d'indice introuvable.")
    audit.record(
        session,
        "price_index",
        row.index_id,
        "value_delete",
        f"Valeur {row.month.month:02d}/{row.month.year} ({row.value}) supprimée",
    )
    session.delete(row)


def value_at(session: Session, index_id: int, month: dt.date) -> Decimal | None:
    """The value covering ``month`` (quarterly series: the quarter's value), or None."""
    index = get_index(session, index_id)
    return session.scalar(
        select(IndexValue.value).where(
            IndexValue.index_id == index_id,
            IndexValue.month == period_of(index.periodicity, month),
        )
    )


# --- CSV ------------------------------------------------------------------------------

_QUARTER = re.compile(r"^(?:(\d{4})\s*[-/ ]?\s*[TQ]([1-4])|[TQ]([1-4])\s*[-/ ]?\s*(\d{4}))$", re.I)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
_FR = re.compile(r"^(?:(\d{1,2})/)?(\d{1,2})/(\d{4})$")


def parse_month(text: str) -> dt.date:
    """``2026-06``, ``06/2026``, ``2026-06-01``, ``01/06/2026``, ``2026-T2`` → first day."""
    raw = text.strip()
    year: int | None = None
    month: int | None = None
    if m := _QUARTER.match(raw):
        quarter = int(m.group(2) or m.group(3))
        return dt.date(int(m.group(1) or m.group(4)), 3 * quarter - 2, 1)
    if m := _ISO.match(raw):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _FR.match(raw):
        year, month = int(m.group(3)), int(m.group(2))
    if year is None or month is None or not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise ValueError(raw)
    return dt.date(year, month, 1)


def _sniff(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    counts = {sep: sample.count(sep) for sep in (";", "\t", ",")}
    if counts[";"]:
        return ";"
    if counts["\t"]:
        return "\t"
    return ","


def parse_csv(text: str) -> tuple[list[tuple[dt.date, Decimal]], list[ValidationError]]:
    """Pure parsing: (month, value) pairs and one error per bad line."""
    text = text.lstrip("\ufeff")
    sep = _sniff(text)
    rows: list[tuple[dt.date, Decimal]] = []
    errors: list[ValidationError] = []
    seen: dict[dt.date, int] = {}
    started = False
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=sep), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        first = cells[0]
        if not started and not any(ch.isdigit() for ch in first):
            continue  # header line
        started = True
        field = f"Ligne {number}"
        if len(cells) < 2 or not cells[1]:
            errors.append(
                ValidationError(field, "Ligne {line} : il manque la valeur.", line=number)
            )
            continue
        try:
            month = parse_month(first)
        except ValueError:
            errors.append(
                ValidationError(
                    field,
                    "Ligne {line} : « {text} » n'est pas un mois (attendu 2026-06, 06/2026 "
                    "ou 2026-T2).",
                    line=number,
                    text=first,
                )
            )
            continue
        value_text = cells[1]
        if sep == "," and len(cells) > 2 and cells[2].isdigit() and len(cells[2]) <= 6:
            # "2026-06,130,5": a decimal comma split by the separator.
            value_text = f"{cells[1]}.{cells[2]}"
        try:
            value = to_decimal(value_text, field=field)
            _check_value(value, field)
        except ValidationError:
            errors.append(
                ValidationError(
                    field,
                    "Ligne {line} : « {text} » n'est pas une valeur d'indice valide "
                    "(nombre positif, 6 décimales au plus).",
                    line=number,
                    text=value_text,
                )
            )
            continue
        if month in seen:
            errors.append(
                ValidationError(
                    field,
                    "Ligne {line} : le mois {month} figure déjà ligne {first}.",
                    line=number,
                    month=f"{month.month:02d}/{month.year}",
                    first=seen[month],
                )
            )
            continue
        seen[month] = number
        rows.append((month, value))
    if not rows and not errors:
        errors.append(ValidationError("Fichier", "Le fichier ne contient aucune valeur."))
    return rows, errors


def import_csv(session: Session, index_id: int, text: str) -> ImportResult:
    """Import a CSV of values into a series: all lines valid, or nothing written."""
    index = get_index(session, index_id)
    rows, errors = parse_csv(text)
    if index.periodicity == Periodicity.QUARTERLY:
        for month, _value in rows:
            if month != quarter_start(month):
                errors.append(
                    ValidationError(
                        "Fichier",
                        "« {index} » est trimestriel : {month} n'est pas un début de trimestre.",
                        index=index.name,
                        month=f"{month.month:02d}/{month.year}",
                    )
                )
    if errors:
        raise ValidationErrors(errors)
    existing = {
        v.month: v
        for v in session.scalars(select(IndexValue).where(IndexValue.index_id == index_id))
    }
    created = updated = unchanged = 0
    for month, value in rows:
        row = existing.get(month)
        if row is None:
            session.add(IndexValue(index_id=index_id, month=month, value=value, origin="csv"))
            created += 1
        elif row.value != value:
            row.value, row.origin = value, "csv"
            updated += 1
        else:
            unchanged += 1
    session.flush()
    result = ImportResult(created, updated, unchanged)
    audit.record(
        session,
        "price_index",
        index_id,
        "import",
        f"Import CSV « {index.name} » : {result.summary}",
    )
    return result
