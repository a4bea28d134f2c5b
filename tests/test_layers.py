"""Layer rules (STYLE §1): no Qt below ui/, no session handling or SQL in ui/ widgets."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The two ui modules that open units of work on behalf of every widget.
UI_SESSION_HELPERS = {"context.py", "operations.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _forbidden_below_ui(path: Path) -> set[str]:
    # The command line starts the window: app/cli.py alone may name ui.app (lazily).
    allowed = {"ui.app"} if path == ROOT / "app" / "cli.py" else set()
    return {
        n for n in _imports(path) if n.split(".")[0] in {"PySide6", "shiboken6", "ui"}
    } - allowed


def test_no_qt_below_ui() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("app", "models", "reports")
        for p in _python_files(folder)
        if _forbidden_below_ui(p)
    ]
    assert offenders == []


def test_reports_do_not_handle_sessions() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _python_files("reports")
        if any(n.startswith("sqlalchemy") or n == "app.db" for n in _imports(p))
    ]
    assert offenders == []


def test_ui_never_opens_a_session_nor_queries() -> None:
    offenders = []
    for p in _python_files("ui"):
        text = p.read_text(encoding="utf-8")
        if any(n.startswith("sqlalchemy") for n in _imports(p)):
            offenders.append(f"{p.name}: imports sqlalchemy")
        if p.name not in UI_SESSION_HELPERS and (
            ".write()" in text or ".read()" in text or "Session(" in text
        ):
            offenders.append(f"{p.name}: opens a session")
    assert offenders == []


def test_models_do_not_import_app_or_reports() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _python_files("models")
        if any(n.split(".")[0] in {"app", "reports", "ui"} for n in _imports(p))
    ]
    assert offenders == []


# What ui/ may take from models/: enums and constant lists it shows or chooses from. Anything
# else (tables, sessions, queries) goes through a use case in app/.
UI_MAY_IMPORT_FROM_MODELS = {
    "models.catalog": {"UNITS"},
    "models.clients": {"ClientKind"},
    "models.collections": {"DunningCode", "ReminderChannel"},
    "models.contracts": {"ContractStatus", "Frequency", "Grouping", "Prorata", "Term"},
    "models.costs": {"FREQUENCIES"},
    "models.einvoicing": {"LifecycleCode", "ReceivedState"},
    "models.invoices": {"InvoiceKind", "InvoiceStatus"},
    "models.payments": {"PaymentMeans", "PaymentStatus"},
    "models.quotes": {"PhotoTag", "QuoteKind", "QuoteStatus"},
    "models.revisions": {"NoticeKind"},
    "models.schedules": {"FrequencyPeriod"},
}


def _models_names(path: Path) -> list[str]:
    """« module.name » for every name ui/ takes from models/ (``import models.x`` → « models.x »)."""
    taken = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            taken += [a.name for a in node.names if a.name.split(".")[0] == "models"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "models":
            taken += [f"{node.module}.{a.name}" for a in node.names]
    return taken


def test_ui_takes_only_listed_enums_from_models() -> None:
    allowed = {f"{m}.{n}" for m, names in UI_MAY_IMPORT_FROM_MODELS.items() for n in names}
    offenders = [
        f"{p.name}: {name}"
        for p in _python_files("ui")
        for name in _models_names(p)
        if name not in allowed
    ]
    assert offenders == []


def test_the_listed_names_are_constants_not_tables() -> None:
    import importlib

    from models.base import Base

    tables = [
        f"{m}.{n}"
        for m, names in UI_MAY_IMPORT_FROM_MODELS.items()
        for n in names
        if isinstance(obj := getattr(importlib.import_module(m), n), type) and issubclass(obj, Base)
    ]
    assert tables == []
