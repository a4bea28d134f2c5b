"""Run an import: every row through its use case inside one transaction, all or nothing.

Each row (each contract: its group of rows) is written in a savepoint; a refused row is
rolled back alone so that the next rows are still checked and the report lists every
problem of the file at once. At the end the whole import is rolled back when any row was
refused or when it was a preview (``dry_run``): nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import PropreoError, ValidationError, ValidationErrors
from app.i18n import _, ngettext
from app.imports import contracts, open_items, rows
from app.imports.fields import (
    Mapping,
    get_kind,
    guess_mapping,
    missing_required,
    remember,
    remembered,
)
from app.imports.reader import Table, read_table
from app.imports.values import fold

Unit = list[tuple[int, rows.Cells]]
IMPORTERS: dict[str, Callable[..., str]] = {
    **rows.IMPORTERS,
    "open-items": open_items.import_open_item,
}


@dataclass
class RowResult:
    row: int  # the row number in the file (header = 1)
    summary: str = ""  # what was created
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ImportReport:
    kind: str
    rows: list[RowResult]
    dry_run: bool
    written: bool = False

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "simulation": self.dry_run,
            "ecrit": self.written,
            "lignes_acceptees": self.accepted,
            "lignes_refusees": len(self.refused),
            "lignes": [
                {"ligne": r.row, "ok": r.ok, "cree": r.summary, "problemes": r.problems}
                for r in self.rows
            ],
        }

    def conclusion(self) -> str:
        n = len(self.rows)
        if self.refused:
            refused = len(self.refused)
            return ngettext(
                "{refused} ligne refusée sur {n} : rien n'a été écrit. Corrigez le fichier "
                "puis relancez l'import.",
                "{refused} lignes refusées sur {n} : rien n'a été écrit. Corrigez le fichier "
                "puis relancez l'import.",
                refused,
            ).format(refused=refused, n=n)
        if not self.written:
            return ngettext(
                "Simulation : la ligne serait importée.",
                "Simulation : les {n} lignes seraient importées.",
                n,
            ).format(n=n)
        return ngettext("{n} ligne importée.", "{n} lignes importées.", n).format(n=n)


def cells_of(table: Table, mapping: Mapping) -> Unit:
    """Each data row as ``field key → cell text`` (unmapped fields are absent)."""
    return [(n, {key: cells[i] for key, i in mapping.items()}) for n, cells in table.rows]


def _units(kind: str, data: Unit) -> list[Unit]:
    """What is written at once: a row, or the rows of one contract."""
    if kind == "contracts":
        groups: dict[str, Unit] = {}
        for row, cells in data:
            groups.setdefault(contracts.contract_key(cells) or f"#{row}", []).append((row, cells))
        return list(groups.values())
    if kind == "clients":  # syndics before the copropriétés that name them
        managers = [(r, c) for r, c in data if _is_manager(c)]
        return [[u] for u in managers] + [[u] for u in data if u not in managers]
    return [[u] for u in data]


def _refuse_overflow(table: Table, unit: Unit) -> None:
    for row, _cells in unit:
        if row in table.overflow:
            raise ValidationError(
                "Ligne",
                "La ligne {row} a plus de cellules que l'en-tête n'a de colonnes : un "
                "séparateur est sans doute tapé dans une cellule (mettez-la entre guillemets).",
                row=row,
            )


def _is_manager(cells: rows.Cells) -> bool:
    try:
        return rows.client_kind(cells.get("kind", "")) == "manager"
    except ValidationError:  # said on the row itself when it is written
        return False


def _write(session: Session, kind: str, unit: Unit) -> str:
    if kind == "contracts":
        return contracts.import_contract(session, unit)
    return IMPORTERS[kind](session, unit[0][1])


def _problems(unit: Unit, exc: Exception) -> dict[int, list[str]]:
    """The French messages of ``exc``, each on the file row it concerns."""
    found: dict[int, list[str]] = {}
    if isinstance(exc, contracts.RowErrors):
        for row, error in exc.rows:
            found.setdefault(row, []).append(str(error))
        return found
    problems: list[Exception] = [*exc.errors] if isinstance(exc, ValidationErrors) else [exc]
    for problem in problems:
        row = unit[0][0]
        label = getattr(problem, "field", "")
        if label.startswith("Ligne ") and label[6:].isdigit() and int(label[6:]) <= len(unit):
            row = unit[int(label[6:]) - 1][0]  # « Ligne 2 » of a contract: its 2nd row
        found.setdefault(row, []).append(str(problem))
    return found


def run_import(
    session: Session,
    kind: str,
    table: Table,
    mapping: Mapping,
    *,
    dry_run: bool = False,
    progress: Any = None,
) -> ImportReport:
    """Write the rows of ``table`` through the use cases of ``kind``, all or nothing."""
    spec = get_kind(kind)
    missing = missing_required(spec, mapping)
    if missing:
        raise ValidationError(
            "Colonnes",
            "Colonne(s) obligatoire(s) non associée(s) : {names}.",
            names=", ".join(missing),
        )
    units = _units(kind, cells_of(table, mapping))
    results: dict[int, RowResult] = {}
    outer = session.begin_nested()
    for done, unit in enumerate(units):
        if progress is not None:
            progress.step(done, len(units), f"Ligne {unit[0][0]}")
        savepoint = session.begin_nested()
        try:
            _refuse_overflow(table, unit)
            summary = _write(session, kind, unit)
            savepoint.commit()
            for row, _cells in unit:
                results[row] = RowResult(row, summary)
        except (PropreoError, IntegrityError) as exc:
            savepoint.rollback()
            if isinstance(exc, IntegrityError):
                exc = ValidationError("Ligne", "La base refuse cette ligne (doublon).")
            problems = _problems(unit, exc)
            for row, _cells in unit:
                results[row] = RowResult(
                    row,
                    "",
                    problems.get(row) or [_("Refusée avec les autres lignes du même contrat.")],
                )
    report = ImportReport(kind, [results[r] for r in sorted(results)], dry_run)
    if dry_run or report.refused:
        outer.rollback()
    else:
        outer.commit()
        report.written = True
    return report


def prepare(files_dir: Path, kind: str, path: str | Path) -> tuple[Table, Mapping]:
    """The file's table and the columns matched to the fields (remembered choices first)."""
    spec = get_kind(kind)
    table = read_table(path)
    return table, guess_mapping(spec, table.headers, remembered(files_dir, kind))


def import_file(db: Any, kind: str, path: str | Path, *, dry_run: bool = False) -> ImportReport:
    """The command line's import: read, match the columns, write all or nothing."""
    table, mapping = prepare(db.files_dir, kind, path)
    with db.write() as session:
        report = run_import(session, kind, table, mapping, dry_run=dry_run)
    if report.written:
        remember(db.files_dir, kind, table.headers, mapping)
    return report


def unmatched_headers(table: Table, mapping: Mapping) -> list[str]:
    used = set(mapping.values())
    return [h for i, h in enumerate(table.headers) if i not in used and fold(h)]
