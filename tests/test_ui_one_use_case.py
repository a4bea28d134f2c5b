"""Issue R §2: one function per user action, in app/, called by the screen and the command.

A screen may ask (queries to fill itself, a confirmation) and then act, but the action is
one call of one use case. Read from ui/ (AST, no Qt), this fails on:
- work handed to ``ctx.run`` (lambda or local function) that calls more than one function
  taken from app/ (the postal batch chained ``paper_documents`` and ``postal_batch``);
- two ``ctx.call`` (two units of work) that can run one after the other in one function —
  the same call in the two branches of an ``if`` is fine (create or update) — (the quote
  editor saved the header, then the sheets);
- a ``ctx.query`` after a ``ctx.call`` in one function: the second half of the action read
  apart (the SEPA batch then its file, the remittance slip then its PDF).
The list of the actions, their function and their command is in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _app_names(tree: ast.Module) -> set[str]:
    """Names the module takes from app/ (modules or functions), text helpers aside."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "app":
            names |= {alias.asname or alias.name for alias in node.names}
    return names - {"_", "ngettext"}


def _app_calls(node: ast.AST, names: set[str]) -> set[str]:
    found = set()
    for n in ast.walk(node):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in names:
            found.add(f"{f.value.id}.{f.attr}")
        elif isinstance(f, ast.Name) and f.id in names:
            found.add(f.id)
    return found


def _ctx_method(call: ast.Call) -> str:
    """``run``/``call``/``query`` for ``ctx.x(…)`` or ``self.ctx.x(…)``, else ''."""
    f = call.func
    if not isinstance(f, ast.Attribute):
        return ""
    owner = f.value
    if (isinstance(owner, ast.Name) and owner.id == "ctx") or (
        isinstance(owner, ast.Attribute) and owner.attr == "ctx"
    ):
        return f.attr
    return ""


Path_ = list[tuple[ast.If, str]]


def _branches(fn: ast.AST) -> dict[ast.AST, Path_]:
    """Each node of ``fn`` → the (if statement, branch) pairs it sits in."""
    out: dict[ast.AST, Path_] = {}

    def visit(node: ast.AST, path: Path_) -> None:
        out[node] = path
        if isinstance(node, ast.If):
            visit(node.test, path)
            for child in node.body:
                visit(child, [*path, (node, "body")])
            for child in node.orelse:
                visit(child, [*path, (node, "orelse")])
            return
        for child in ast.iter_child_nodes(node):
            visit(child, path)

    visit(fn, [])
    return out


def _exclusive(first: Path_, second: Path_) -> bool:
    """Never both run: the two branches of one ``if``, or the first in a branch that
    returns (or raises) and the second outside that ``if``."""
    sides = dict(first)
    if any(node in sides and sides[node] != side for node, side in second):
        return True
    inside = {node for node, _side in second}
    return any(
        node not in inside and isinstance(getattr(node, side)[-1], (ast.Return, ast.Raise))
        for node, side in first
    )


def problems(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    names = _app_names(tree)
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        local = {d.name: d for d in ast.walk(fn) if isinstance(d, ast.FunctionDef) and d is not fn}
        calls = sorted(
            (n for n in ast.walk(fn) if isinstance(n, ast.Call) and _ctx_method(n)),
            key=lambda n: (n.lineno, n.col_offset),
        )
        for call in calls:
            if _ctx_method(call) == "run" and len(call.args) >= 3:
                work = call.args[2]
                body = work if isinstance(work, ast.Lambda) else local.get(getattr(work, "id", ""))
                chained = _app_calls(body, names) if body is not None else set()
                if len(chained) > 1:
                    found.append(
                        f"{name}:{call.lineno} {fn.name}: ctx.run chains {sorted(chained)}"
                    )
        paths = _branches(fn)
        writes = [c for c in calls if _ctx_method(c) == "call"]
        for i, first in enumerate(writes):
            for second in writes[i + 1 :]:
                if not _exclusive(paths[first], paths[second]):
                    found.append(f"{name}:{second.lineno} {fn.name}: second ctx.call in a row")
        if writes:
            after = [c for c in calls if _ctx_method(c) == "query" and c.lineno > writes[0].lineno]
            found += [f"{name}:{c.lineno} {fn.name}: ctx.query after ctx.call" for c in after]
    return found


def test_each_screen_action_is_one_use_case() -> None:
    found = []
    for path in sorted((ROOT / "ui").glob("*.py")):
        found += problems(path.read_text(encoding="utf-8"), path.name)
    assert found == []


SAMPLE = """
from app.documents import printing
from app.quotes import quotes as uc, sheets

class Tab:
    def postal(self):
        def work(session, progress):
            ids = printing.paper_documents(session, "2026-10")
            return printing.postal_batch(session, ids, progress)
        self.ctx.run(self, "Lot", work, write=False)

    def one(self):
        self.ctx.run(self, "Lot", lambda s, p: printing.postal_batch_of_month(s, "x", p))

    def save(self, new):
        if new:
            quote = self.ctx.call(uc.create_quote, 1)
        else:
            quote = self.ctx.call(uc.update_quote, 1)
        self.ctx.call(sheets.select_sheets, quote.id, [])

    def slip(self):
        slip = self.ctx.call(uc.create_quote, 1)
        return self.ctx.query(uc.quote_pdf, slip.id)
"""


def test_the_scanner_finds_the_chains_it_is_written_for() -> None:
    assert problems(SAMPLE, "sample.py") == [
        "sample.py:10 postal: ctx.run chains ['printing.paper_documents', 'printing.postal_batch']",
        "sample.py:20 save: second ctx.call in a row",
        "sample.py:20 save: second ctx.call in a row",
        "sample.py:24 slip: ctx.query after ctx.call",
    ]
