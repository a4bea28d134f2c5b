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
