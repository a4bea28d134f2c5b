"""Issue R §7: every text a user reads in ui/ goes through ``_()`` (counts through ``ngettext``).

The test reads ui/ as source and finds string literals handed to widgets — ``setText``,
``setWindowTitle``, ``QLabel("…")``, ``QPushButton("…")``, ``addAction``, ``setToolTip``,
``QMessageBox.warning(…)``, header labels… — that are not wrapped, and the « (s) » plurals.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app.i18n import ngettext

ROOT = Path(__file__).resolve().parent.parent

# Methods whose every string argument is shown to the user.
TEXT_METHODS = {
    "setText", "setWindowTitle", "setToolTip", "setStatusTip", "setWhatsThis",
    "setPlaceholderText", "setTitle", "setSubTitle", "addAction", "addTab", "insertTab",
    "setTabText", "setTabToolTip", "addRow", "setHorizontalHeaderLabels",
    "setVerticalHeaderLabels", "setHeaderLabels", "showMessage", "setLabelText",
    "setSpecialValueText", "setInformativeText", "setDetailedText", "setButtonText",
    "addItem", "addItems", "insertItem", "setItemText", "addButton", "addMenu", "setSuffix",
    "setPrefix", "setHtml", "setMarkdown", "setAccessibleName", "setCancelButtonText",
    "setOkButtonText", "setOptionText",
}  # fmt: skip
# Widgets whose constructor's string arguments are shown to the user.
TEXT_WIDGETS = {
    "QLabel", "QPushButton", "QCheckBox", "QRadioButton", "QGroupBox", "QAction", "QMenu",
    "QToolButton", "QCommandLinkButton", "QMessageBox", "QProgressDialog", "QTableWidgetItem",
    "QListWidgetItem", "QTreeWidgetItem", "QStandardItem",
}  # fmt: skip
# Static dialogs: title and text (the file dialogs' caption).
DIALOG_FUNCTIONS = {
    "information", "warning", "critical", "question", "about", "getText", "getInt",
    "getDouble", "getItem", "getMultiLineText", "getSaveFileName", "getOpenFileName",
    "getOpenFileNames", "getExistingDirectory",
}  # fmt: skip
# The project's own helpers: which positional arguments and keywords are shown.
HELPERS: dict[str, tuple[tuple[int, ...], set[str]]] = {
    "confirm": ((1, 2, 3, 4), {"title", "text", "action", "details"}),
    "Column": ((0, 1, 3), {"title", "get", "tooltip"}),
    "Field": ((1,), {"label", "tooltip", "placeholder", "choices"}),
    "RecordList": ((), {"filters"}),
    "EditorDialog": ((0, 1), set()),
    "make_table": ((0,), set()),
    "tab": ((0,), set()),
    "_action": ((1,), set()),
    "run": ((1,), set()),
}
# Constants holding what screens show: tab titles, column headers, filters, tooltips, choices.
# Their capitalised strings are labels (lower-case ones are codes: « active », « service »).
TEXT_CONSTANTS = re.compile(
    r"^(title|TAB_TITLE|DAYS|COLUMNS|VIEWS|\w+_(HEADERS|FILTERS|TOOLTIPS|KINDS)|FILTERS)$"
)
# Methods whose first string is data, not text: (position of the text).
TEXT_POSITION = {"addItem": 0, "insertItem": 1}
WRAPPERS = {"_", "ngettext"}
PLURAL = re.compile(r"\w\(e?s\)")


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _is_wrapped(node: ast.expr) -> bool:
    """``_("…")``, ``ngettext(…)``, and ``_("…").format(…)``."""
    if isinstance(node, ast.Call):
        if _callee(node) in WRAPPERS:
            return True
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return _is_wrapped(node.func.value)
    return False


def _words(node: ast.expr) -> str:
    """The literal text of an unwrapped string expression, '' when there is none."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_words(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _words(node.left) + _words(node.right)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"format", "join"}
    ):
        return _words(node.func.value)
    if isinstance(node, ast.IfExp):
        return _words(node.body) + " " + _words(node.orelse)
    if isinstance(node, (ast.List, ast.Tuple)):
        return " ".join(_words(e) for e in node.elts)
    return ""


def _is_prose(text: str) -> bool:
    """A letter: « Date », « 1 à 30 j » — not « — », « : », « % », a placeholder, an HTML tag alone."""
    stripped = re.sub(r"<[^>]*>|&\w+;|\{[^}]*\}|%\w|Propreo", "", text)
    return re.search(r"[A-Za-zÀ-ÿ]", stripped) is not None and "*." not in text


def _shown_arguments(node: ast.Call) -> list[ast.expr]:
    name = _callee(node)
    if name in HELPERS:
        positions, keywords = HELPERS[name]
        return [
            *(a for i, a in enumerate(node.args) if i in positions),
            *(k.value for k in node.keywords if k.arg in keywords),
        ]
    if name in TEXT_POSITION:
        return node.args[TEXT_POSITION[name] : TEXT_POSITION[name] + 1]
    if name in TEXT_METHODS or name in TEXT_WIDGETS:
        return [*node.args, *(k.value for k in node.keywords if k.arg in {"text", "title"})]
    if name in {"getSaveFileName", "getOpenFileName", "getOpenFileNames", "getExistingDirectory"}:
        return node.args[1:2]
    if name in DIALOG_FUNCTIONS and isinstance(node.func, ast.Attribute):
        return node.args[1:3]
    return []


def _leaves(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, (ast.List, ast.Tuple)):
        # (code, label) pairs: the label alone is shown.
        if len(node.elts) == 2 and _is_code(node.elts[0]):
            return _leaves(node.elts[1])
        return [leaf for e in node.elts for leaf in _leaves(e)]
    if isinstance(node, ast.Dict):
        return [leaf for e in [*node.keys, *node.values] if e for leaf in _leaves(e)]
    if isinstance(node, ast.Lambda):
        return _leaves(node.body)
    if isinstance(node, ast.IfExp):
        return [*_leaves(node.body), *_leaves(node.orelse)]
    return [node]


def _is_code(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[a-z0-9_]+", node.value) is not None
    )


def _constant_labels(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return []
    if not any(isinstance(t, ast.Name) and TEXT_CONSTANTS.match(t.id) for t in targets):
        return []
    return [
        leaf
        for leaf in _leaves(value)
        if not (isinstance(leaf, ast.Constant) and not str(leaf.value)[:1].isupper())
    ]


def unwrapped_nodes(tree: ast.AST) -> list[ast.expr]:
    """The string expressions shown to a user and not wrapped with ``_()``."""
    found = []
    for node in ast.walk(tree):
        shown = _shown_arguments(node) if isinstance(node, ast.Call) else []
        leaves = [leaf for arg in shown for leaf in _leaves(arg)] + _constant_labels(node)
        found += [leaf for leaf in leaves if not _is_wrapped(leaf) and _is_prose(_words(leaf))]
    return found


def unwrapped_texts(path: Path) -> list[str]:
    """Every string literal handed to a widget without ``_()``, as « file:line: text »."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.name}:{leaf.lineno}: {_words(leaf)!r}" for leaf in unwrapped_nodes(tree)]


def plural_suffixes(path: Path) -> list[str]:
    """« facture(s) »: a count must choose its form with ngettext."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and PLURAL.search(node.value)
    ]


def _ui_files() -> list[Path]:
    # ui/screenshots.py is a developer's tool: it finds screens by their French titles.
    return sorted(p for p in (ROOT / "ui").rglob("*.py") if p.name != "screenshots.py")


def test_every_text_given_to_a_widget_is_translatable() -> None:
    offenders = [line for p in _ui_files() for line in unwrapped_texts(p)]
    assert offenders == []


def test_counts_choose_their_plural_form() -> None:
    offenders = [line for p in _ui_files() for line in plural_suffixes(p)]
    assert offenders == []


def test_the_scanner_finds_what_it_is_meant_to(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "QLabel('Nom du client')\n"
        "box.setWindowTitle(f'Facture {n}')\n"
        "QMessageBox.warning(self, 'Erreur', text)\n"
        "table.setHorizontalHeaderLabels(['Date', _('Montant')])\n"
        "QLabel(_('Nom du client'))\n"
        "b.setText(_('{n} ligne').format(n=1))\n"
        "b.setText(' — ')\n"
        "b.setText(ngettext('{n} ligne', '{n} lignes', 2).format(n=2))\n"
        "t = _('{n} facture(s)')\n",
        encoding="utf-8",
    )
    assert unwrapped_texts(sample) == [
        "sample.py:1: 'Nom du client'",
        "sample.py:2: 'Facture '",
        "sample.py:3: 'Erreur'",
        "sample.py:4: 'Date'",
    ]
    assert plural_suffixes(sample) == ["sample.py:9: '{n} facture(s)'"]


def test_counts_follow_the_french_rule_without_a_catalogue() -> None:
    forms = [ngettext("{n} facture émise", "{n} factures émises", n).format(n=n) for n in (0, 1, 2)]
    assert forms == ["0 facture émise", "1 facture émise", "2 factures émises"]


# « (s) » still written in app/ and reports/ (command-line reports, messages of use cases).
# This number only goes down: convert them to ngettext as their modules are worked on.
PLURAL_SUFFIXES_LEFT_BELOW_UI = 63


def test_no_new_plural_suffix_below_ui() -> None:
    found = [
        line
        for folder in ("app", "reports")
        for p in sorted((ROOT / folder).rglob("*.py"))
        for line in plural_suffixes(p)
    ]
    assert len(found) <= PLURAL_SUFFIXES_LEFT_BELOW_UI, found
