"""The lean schematron stylesheets (reports.validation) find exactly what the official ones
find: same failed assertions and reports, same flags and locations, on broken documents."""

from __future__ import annotations

import re

import pytest

from reports.facturx import build_cii_xml
from reports.validation import (
    MANY_ALTERNATIVES,
    SCHEMATRONS,
    lean_stylesheet,
    run_schematron,
    targeted_walks,
)
from tests import documents_samples as samples

BREAKS = {
    "wrong grand total (BR-CO-15)": (b">3057.85<", b">3057.86<"),
    "short seller SIREN (BR-FR)": (b'schemeID="0002">812345674<', b'schemeID="0002">81234<'),
    "note subject outside the code list": (b">PMD<", b">ZZZ<"),
    "currency outside the code list": (
        b"<ram:InvoiceCurrencyCode>EUR<",
        b"<ram:InvoiceCurrencyCode>EUX<",
    ),
    "unit outside the code list": (b'unitCode="', b'unitCode="X'),
    "tax currency attribute wrong": (b'currencyID="EUR"', b'currencyID="EUX"'),
    "VAT registration scheme attribute wrong": (b'schemeID="VA"', b'schemeID="ZZ"'),
    "SIREN scheme attribute wrong": (b'schemeID="0002"', b'schemeID="9999"'),
    "VAT category outside the code list": (
        b"<ram:CategoryCode>S<",
        b"<ram:CategoryCode>Q<",
    ),
    # Rules on a line and on nested line elements (each pattern now visits only the
    # nodes its rules can match: the same nodes must fire the same rules).
    "line net amount wrong (BR-CO-10, BR-LIN)": (
        b"<ram:LineTotalAmount>480.71<",
        b"<ram:LineTotalAmount>480.70<",
    ),
    "document type outside the code list": (b"<ram:TypeCode>380<", b"<ram:TypeCode>999<"),
    "line VAT rate differs from its category": (
        b"<ram:RateApplicablePercent>20.00<",
        b"<ram:RateApplicablePercent>21.00<",
    ),
    # Code values are looked up in an index of the code lists: a value of another list
    # (EUR is a currency, not a unit; FR a country, not a currency) must still fail, an
    # empty one pass as the official test (« string-length = 0 or … ») lets it through.
    "unit that is a code of another list": (b'unitCode="C62"', b'unitCode="EUR"'),
    "currency that is a code of another list": (
        b"<ram:InvoiceCurrencyCode>EUR<",
        b"<ram:InvoiceCurrencyCode>FR<",
    ),
    "empty unit": (b'unitCode="MTK"', b'unitCode=""'),
    "country outside the code list": (b"<ram:CountryID>FR<", b"<ram:CountryID>XX<"),
    "code with spaces around it": (b"<ram:CountryID>FR<", b"<ram:CountryID> FR <"),
}
PASSING = {"empty unit"}  # changed, but no rule refuses it (the official one neither)


def _key(findings: list) -> list[tuple[str, str, str, str]]:
    return sorted((f.source, f.rule, f.flag, f.location) for f in findings)


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_lean_and_official_stylesheets_agree_on_broken_documents(case: str) -> None:
    old, new = BREAKS[case]
    xml = build_cii_xml(samples.invoice())
    assert old in xml
    broken = xml.replace(old, new)
    findings = {name: run_schematron(name, broken) for name in SCHEMATRONS}
    fatal = any(f.fatal for found in findings.values() for f in found)
    assert fatal == (case not in PASSING), case
    for name in SCHEMATRONS:
        assert _key(findings[name]) == _key(run_schematron(name, broken, lean=False)), name


def test_valid_documents_agree_too() -> None:
    for make in (samples.invoice, samples.reverse_charge, samples.credit_note):
        xml = build_cii_xml(make())
        for name in SCHEMATRONS:
            lean = run_schematron(name, xml)
            assert _key(lean) == _key(run_schematron(name, xml, lean=False))
            assert not [f for f in lean if f.fatal]


def test_lean_stylesheet_keeps_every_rule() -> None:
    from reports.validation import _package_dir

    for name, path in SCHEMATRONS.items():
        text = (_package_dir() / path).read_text(encoding="utf-8")
        lean, files = lean_stylesheet(text)
        for marker in ("<svrl:failed-assert", "<svrl:successful-report", "<xsl:template"):
            assert lean.count(marker) == text.count(marker), (name, marker)
        assert "document(" not in lean
        assert "<svrl:fired-rule" not in lean and "<svrl:active-pattern" not in lean
        assert files == (["FACTUR-X_EN16931_codedb.xml"] if name == "EN 16931" else [])
        assert not re.search(r'mode="M\d+" select="@\*\|\*"', lean)  # attributes not walked


def test_attribute_walk_is_kept_when_a_rule_is_about_an_attribute() -> None:
    text = (
        '<xsl:template match="//ram:ID/@schemeID" mode="M9" priority="10"/>'
        '<xsl:apply-templates mode="M9" select="@*|*"/>'
    )
    assert 'select="@*|*"' in lean_stylesheet(text)[0]
    without = text.replace("//ram:ID/@schemeID", "//ram:ID[@schemeID]")
    assert 'select="*"' in lean_stylesheet(without)[0]


def test_each_pattern_visits_only_what_its_rules_can_match() -> None:
    """No pattern walks the whole document any more (EN 16931: 66 walks of every element a
    document, BR-FR: 58, most of whose rules are about the root element only)."""
    from reports.validation import _package_dir

    for name, path in SCHEMATRONS.items():
        text = (_package_dir() / path).read_text(encoding="utf-8")
        walks = len(re.findall(r'select="/" mode="M\d+"|mode="M\d+" select="/"', text))
        lean, _files = lean_stylesheet(text)
        assert walks in (58, 66), name
        assert not re.search(r'select="/" mode="M\d+"|mode="M\d+" select="/"', lean), name
        assert not re.search(r'select="(\*|@\*\|\*)" mode="M\d+"', lean), name
        assert not re.search(r'mode="M\d+" select="(\*|@\*\|\*)"', lean), name
        assert len(re.findall(r'<xsl:apply-templates mode="M\d+" select="', lean)) == walks


def _targeted_walks_pattern_by_pattern(text: str) -> str:
    """The rewrite as first written (one search of the whole text per pattern, ≈ 0.6 s of
    every worker's start): the one-pass rewrite must give exactly the same text."""
    from reports.validation import (
        _DEFAULT_RULES,
        _MATCH_ATTR,
        _MODE_ATTR,
        _SELECT_ATTR,
        _TEMPLATE_ATTRS,
        _candidates,
    )

    rules: dict[str, list[str]] = {}
    for tag in _TEMPLATE_ATTRS.finditer(text):
        mode, match = _MODE_ATTR.search(tag.group(1)), _MATCH_ATTR.search(tag.group(1))
        if mode and match and " ".join(match.group(1).split()) not in _DEFAULT_RULES:
            rules.setdefault(mode.group(1), []).append(" ".join(match.group(1).split()))
    for mode, patterns in rules.items():
        walks = re.compile(r'<xsl:apply-templates\b(?=[^>]*\bmode="' + mode + r'")[^>]*/>')
        found = [(m, _SELECT_ATTR.search(m.group(0))) for m in walks.finditer(text)]
        selects = [sel.group(1) if sel else "" for _m, sel in found]
        roots = [m for m, sel in found if sel and sel.group(1) == "/"]
        if len(roots) != 1 or not set(selects) <= {"/", "*", "@*|*"}:
            continue
        marker = f"<!--propreo-{mode}-->"
        text = text[: roots[0].start()] + marker + text[roots[0].end() :]
        text = walks.sub("", text)
        new = f'<xsl:apply-templates mode="{mode}" select="{_candidates(patterns)}"/>'
        text = text.replace(marker, new)
    return text


def test_one_pass_rewrite_gives_the_pattern_by_pattern_text() -> None:
    from reports.validation import _package_dir

    for name, path in SCHEMATRONS.items():
        text = (_package_dir() / path).read_text(encoding="utf-8")
        assert targeted_walks(text) == _targeted_walks_pattern_by_pattern(text), name
    # A pattern walked otherwise (no root walk, another select, two root walks) is kept.
    odd = (
        '<xsl:template match="ram:A" priority="9" mode="M1"/>'
        '<xsl:template match="ram:B" priority="9" mode="M2"/>'
        '<xsl:template match="ram:C" priority="9" mode="M3"/>'
        '<xsl:apply-templates select="ram:X" mode="M1"/><xsl:apply-templates select="/" mode="M1"/>'
        '<xsl:apply-templates select="/" mode="M2"/><xsl:apply-templates select="/" mode="M2"/>'
        '<xsl:apply-templates mode="M3" select="/"/><xsl:apply-templates mode="M3" select="*"/>'
    )
    rewritten = targeted_walks(odd)
    assert rewritten == _targeted_walks_pattern_by_pattern(odd)
    assert rewritten.count('mode="M1"') == 3 and rewritten.count('mode="M2"') == 3
    assert '<xsl:apply-templates mode="M3" select="//ram:C"/>' in rewritten


def test_candidates_of_a_pattern_keep_its_alternatives_and_predicates() -> None:
    text = (
        '<xsl:template match="/">'
        '<xsl:apply-templates select="/" mode="M3"/><xsl:apply-templates select="/" mode="M4"/>'
        "</xsl:template>"
        '<xsl:template match="ram:A[ram:B = \'x|y\'] | //ram:C" priority="1000" mode="M3">'
        '<xsl:apply-templates select="*" mode="M3"/></xsl:template>'
        '<xsl:template match="/rsm:Root/ram:D" priority="999" mode="M3">'
        '<xsl:apply-templates select="*" mode="M3"/></xsl:template>'
        '<xsl:template match="text()" priority="-1" mode="M3"/>'
        '<xsl:template match="@*|node()" priority="-2" mode="M3">'
        '<xsl:apply-templates select="*" mode="M3"/></xsl:template>'
        # a walk that is not the generated one: M4 is left as it was
        '<xsl:template match="ram:E" priority="1000" mode="M4">'
        '<xsl:apply-templates select="ram:F" mode="M4"/></xsl:template>'
    )
    out = targeted_walks(text)
    assert (
        '<xsl:apply-templates mode="M3" select="//ram:A[ram:B = \'x|y\'] | //ram:C | '
        '/rsm:Root/ram:D"/>'
    ) in out
    assert 'select="*" mode="M3"' not in out
    assert '<xsl:apply-templates select="/" mode="M4"/>' in out
    assert '<xsl:apply-templates select="ram:F" mode="M4"/>' in out


def test_code_values_are_looked_up_in_an_index_of_their_list() -> None:
    from reports.validation import _package_dir

    text = (_package_dir() / SCHEMATRONS["EN 16931"]).read_text(encoding="utf-8")
    lookups = text.count("document('FACTUR-X_EN16931_codedb.xml')/codedb/cl[@id=")
    lean, _files = lean_stylesheet(text)
    assert lookups == 118
    assert "/codedb/cl[@id=" not in lean
    assert lean.count("key('propreo-code-value', $codeValue") == lookups
    assert lean.count('<xsl:key name="propreo-code-value"') == 1
    assert "[../@id=4]" in lean  # the value must still be one of *this* list


def test_a_pattern_with_many_element_rules_dispatches_every_element() -> None:
    """308 absolute paths (EN 16931's cardinality pattern) are not evaluated one by one:
    every element is dispatched once, in document order, to the first rule it matches."""
    rules = [f"/rsm:Root/ram:E{n}[ram:X]" for n in range(MANY_ALTERNATIVES - 1)]

    def stylesheet(patterns: list[str]) -> str:
        return (
            '<xsl:template match="/"><xsl:apply-templates select="/" mode="M3"/></xsl:template>'
            + "".join(
                f'<xsl:template match="{p}" priority="{1000 - n}" mode="M3">'
                '<xsl:apply-templates select="*" mode="M3"/></xsl:template>'
                for n, p in enumerate(patterns)
            )
            + '<xsl:template match="@*|node()" priority="-2" mode="M3">'
            '<xsl:apply-templates select="*" mode="M3"/></xsl:template>'
        )

    assert 'mode="M3" select="/rsm:Root/ram:E0[ram:X] | ' in targeted_walks(stylesheet(rules))
    assert 'mode="M3" select="//*"/>' in targeted_walks(stylesheet([*rules, "ram:F"]))
    # an alternative that may match an attribute or text: each alternative is selected
    for other in ("ram:F/@schemeID", "ram:F/text()", "/"):
        assert 'select="//*"' not in targeted_walks(stylesheet([*rules, other])), other
