"""Rules on the code itself: no ``assert`` in production code (a check that vanishes under
``python -O`` and shows a bare AssertionError: raise a typed error from app.errors), and
no top-level function or class that nothing refers to (dead code is read, trusted and
kept in step for nothing)."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("app", "models", "reports")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_no_assert_in_production_code() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _files(*PRODUCTION)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assert)
    ]
    assert offenders == []


def test_every_function_is_referenced_somewhere() -> None:
    """A top-level function or class of app/, models/, reports/ whose name appears nowhere
    else (code, tests, benchmarks) is dead. Decorated ones register themselves."""
    words: Counter[str] = Counter()
    for path in _files("app", "models", "reports", "ui", "tests", "benchmarks"):
        words.update(WORD.findall(path.read_text(encoding="utf-8")))
    dead = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in _files(*PRODUCTION)
        if "migrations" not in path.parts
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
        and not node.decorator_list
        and words[node.name] <= 1
    ]
    assert dead == []


def test_domain_citations_point_to_a_section_of_docs_domain() -> None:
    """Code cites a section by the first words of its title, as docs/DOMAIN.md « Money »,
    never a « DOMAIN §n » of a document that is not in the repository."""
    titles = [
        line.lstrip("#").strip()
        for line in (ROOT / "docs" / "DOMAIN.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("##")
    ]
    cited, numbered = set(), []
    for path in _files("app", "models", "reports", "ui", "tests"):
        text = path.read_text(encoding="utf-8")
        # A citation may break its line after « docs/DOMAIN.md ».
        cited |= set(re.findall(r"docs/DOMAIN\.md\s+«\s*([^»]+?)\s*»", text))
        if path.name != "test_code_rules.py":
            numbered += [str(path.relative_to(ROOT))] * len(re.findall(r"DOMAIN §", text))
    assert numbered == []
    assert cited and [c for c in sorted(cited) if not any(t.startswith(c) for t in titles)] == []


MAX_MODULE_LINES = 600
# Modules allowed over the limit, each with why it cannot be split. The migrations are not
# listed: a migration is history, written once and never edited (models/migrations/).
LONG_MODULES: dict[str, str] = {}


def test_no_module_is_longer_than_600_lines() -> None:
    """A module of app/, models/, reports/ or ui/ past 600 lines holds more than one thing:
    split it along its seam (see docs/ARCHITECTURE.md) rather than raise the limit."""
    long = {
        str(path.relative_to(ROOT)): count
        for path in _files("app", "models", "reports", "ui")
        if "migrations" not in path.parts
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert {name: count for name, count in long.items() if name not in LONG_MODULES} == {}
    assert sorted(set(LONG_MODULES) - set(long)) == []  # an exception no longer needed goes
