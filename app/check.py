"""``propreo check``: integrity of the file, foreign keys, numbering, and the checks
that later modules register (hash chain, archived documents...)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import Database
from app.numbering import check_continuity

CheckFn = Callable[[Session], list[str]]
_CHECKS: list[tuple[str, CheckFn]] = []


def register_check(name: str) -> Callable[[CheckFn], CheckFn]:
    """Decorator: add a named check returning a list of French problem descriptions."""

    def deco(fn: CheckFn) -> CheckFn:
        _CHECKS.append((name, fn))
        return fn

    return deco


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": self.problems, "documents": self.documents}


def _load_check_modules() -> None:
    """Import modules that register checks (kept lazy for start-up time)."""
    import importlib

    for name in CHECK_MODULES:
        importlib.import_module(name)


# Modules whose import registers further checks.
CHECK_MODULES: list[str] = [
    "app.billing.chain",
    "app.closings",
    "app.collections.checks",
    "app.documents.archive",
    "app.documents.producible",
    "app.liaison.files",
    "app.master_check",
    "app.payments.checks",
    "app.quotes.checks",
    "app.revisions.checks",
]


def run_checks(
    db: Database, *, quick: bool = False, more: Sequence[tuple[str, CheckFn]] = ()
) -> CheckReport:
    """Integrity, numbering continuity, every registered check, then the named checks of
    ``more`` (``propreo check --documents`` adds that each issued document not archived
    yet renders from its snapshot and validates: the slow, complete check)."""
    report = CheckReport()
    if db.is_sqlite:
        with db.engine.connect() as conn:
            pragma = "quick_check" if quick else "integrity_check"
            try:
                rows = [r[0] for r in conn.exec_driver_sql(f"PRAGMA {pragma}")]
            except Exception as exc:  # a page SQLite cannot even walk
                rows = [f"fichier endommagé ({exc})"]
            if rows != ["ok"]:
                # a damaged file: the other checks would read garbage or stop on it
                report.problems.extend(f"Intégrité SQLite : {r}" for r in rows)
                report.problems.append(
                    "Base endommagée : restaurez la dernière sauvegarde (propreo restore)."
                )
                return report
            for row in conn.exec_driver_sql("PRAGMA foreign_key_check"):
                report.problems.append(
                    f"Clé étrangère rompue : table {row[0]}, ligne {row[1]} → {row[2]}"
                )
            if (
                conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE name='alembic_version'"
                ).scalar()
                == 0
            ):
                report.problems.append("Table alembic_version absente : base non initialisée.")
                return report
    with db.read() as session:
        session.execute(text("SELECT 1"))
        for series in check_continuity(session):
            report.problems.extend(series.problems)
            report.documents[series.code] = {
                "count": series.count,
                "first": series.first,
                "last": series.last,
            }
        _load_check_modules()
        for name, fn in [*_CHECKS, *more]:
            try:
                found = fn(session)
            except Exception as exc:  # a damaged value must not stop the other checks
                session.rollback()
                found = [f"contrôle impossible, données illisibles ({type(exc).__name__} : {exc})"]
            report.problems.extend(f"{name} : {p}" for p in found)
    return report
