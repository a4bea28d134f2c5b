"""Drafts are checked many at a time (reports.validation.validate_documents, stage by stage:
every XSD, then every parse, then each rule set on every document). A broken document in
a batch must still get exactly its own findings, and a valid one none: the batch gives, for
each document, what checking it alone gives — same findings, flags, locations, order."""

from __future__ import annotations

import dataclasses

import pytest

from reports import validation
from reports.facturx import build_cii_xml, check_chunk
from reports.rule_sets import schematrons_for
from reports.validation import validate_document, validate_documents
from tests import documents_samples as samples
from tests.test_validation_speed import BREAKS


def _broken(case: str) -> tuple[object, bytes]:
    doc = samples.invoice()
    old, new = BREAKS[case]
    xml = build_cii_xml(doc)
    assert old in xml
    return doc, xml.replace(old, new)


def _mixed_batch() -> list[tuple[object, bytes]]:
    return [(doc, xml) for doc, xml, _broken in _mixed()]


def _mixed() -> list[tuple[object, bytes, bool]]:
    """Valid documents of every buyer category between documents broken on each rule set
    (XSD, EN 16931, BR-FR, the mentions), some broken twice."""
    valid = [
        samples.invoice(),
        samples.condominium(),  # private: EN 16931 only
        samples.public_body(),  # public: EN 16931 only
        samples.credit_note(),
        samples.reverse_charge(),
        samples.multi_rate(),
    ]
    no_original = dataclasses.replace(samples.credit_note(), original_number="")
    no_siren = samples.invoice(buyer=dataclasses.replace(samples.COMPANY_BUYER, siren=""))
    pairs: list[tuple[object, bytes]] = [(doc, build_cii_xml(doc)) for doc in valid]
    broken = [
        _broken("wrong grand total (BR-CO-15)"),
        _broken("short seller SIREN (BR-FR)"),
        _broken("unit outside the code list"),
        _broken("line VAT rate differs from its category"),
        (no_original, build_cii_xml(no_original)),
        (no_siren, build_cii_xml(no_siren)),
    ]
    doc = samples.invoice()
    xsd_broken = build_cii_xml(doc).replace(b"<ram:TypeCode>380<", b"<ram:TypeKode>380<", 1)
    xsd_broken = xsd_broken.replace(b"</ram:TypeCode>", b"</ram:TypeKode>", 1)
    broken.append((doc, xsd_broken))
    private = samples.condominium()
    private_xml = build_cii_xml(private).replace(b">3057.85<", b">3057.86<")
    broken.append((private, private_xml))
    mixed: list[tuple[object, bytes, bool]] = []
    for index in range(max(len(valid), len(broken))):
        mixed += [(doc, xml, False) for doc, xml in pairs[index : index + 1]]
        mixed += [(doc, xml, True) for doc, xml in broken[index : index + 1]]
    return mixed


def test_a_batch_gives_each_document_exactly_its_own_findings() -> None:
    mixed = _mixed()
    pairs = [(doc, xml) for doc, xml, _broken in mixed]
    alone = [validate_document(doc, xml) for doc, xml in pairs]
    assert validate_documents(pairs) == alone
    # The batch is not vacuous: every rule set refuses something, valid documents pass.
    sources = {f.source for found in alone for f in found if f.fatal}
    assert sources == {"XSD", "EN 16931", "BR-FR", "Mentions"}
    fatal = [any(f.fatal for f in found) for found in alone]
    assert fatal == [broken for _doc, _xml, broken in mixed]
    assert {schematrons_for(doc) for doc, _xml in pairs} == {("EN 16931",), ("EN 16931", "BR-FR")}


def test_groups_of_the_batch_do_not_mix(monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = _mixed_batch()
    alone = [validate_document(doc, xml) for doc, xml in pairs]
    for group in (1, 3, 5):  # groups ending on valid and on broken documents
        monkeypatch.setattr(validation, "STAGE_GROUP", group)
        assert validate_documents(pairs) == alone, group


def test_the_worker_chunk_reports_each_draft_as_checked_alone() -> None:
    docs = [doc for doc, _xml in _mixed_batch()]
    expected = [
        [(f.rule, f.field, f.text) for f in validate_document(doc, build_cii_xml(doc)) if f.fatal]
        for doc in docs
    ]
    assert check_chunk(docs) == expected
    refused = {rule for found in expected for rule, _field, _text in found}
    assert {"MENTION-AVOIR-BT-25", "MENTION-SIREN-CLIENT"} <= refused


def test_a_month_end_run_is_checked_in_chunks_a_worker_stages_whole() -> None:
    from app.documents import render

    assert render.check_chunk_size(3996) == validation.STAGE_GROUP
    assert render.check_chunk_size(100) == render.CHUNK  # small batches: still several tasks
    assert render.check_chunk_size(100_000) == render.CHECK_CHUNK_MAX
