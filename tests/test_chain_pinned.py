"""The canonical text of an issued document, hence its content hash, never changes: the
hash chains of files already in use must keep verifying (``propreo check``)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from types import SimpleNamespace

from app.billing.chain import canonical, content_hash

# Computed by the original implementation of app.billing.chain (before the fast path).
PINNED = "eb0c8d40c2098b0be9e0fabef0ed6326722175390665816686bfa6bc12cf49d8"


# A str-mixin enum on purpose: str() of it is "Kind.INVOICE", the canonical text uses
# the value, as it always did.
class Kind(str, enum.Enum):  # noqa: UP042
    INVOICE = "invoice"


INVOICE = SimpleNamespace(
    kind=Kind.INVOICE,
    series_code="invoice",
    number="FA2026-0042",
    issue_date=dt.date(2026, 9, 30),
    due_date=dt.date(2026, 11, 14),
    period_start=dt.date(2026, 9, 1),
    period_end=dt.date(2026, 9, 30),
    client_id=7,
    site_id=None,
    contract_id=12,
    purchase_order="BC « n°3 »",
    origin_invoice_id=None,
    total_ht=Decimal("1200.00"),
    total_vat=Decimal("240.00"),
    total_ttc=Decimal("1440.00"),
    prepaid_total=Decimal("0.00"),
    amount_due=Decimal("1440.00"),
    client_snapshot='{"name":"Résidence Les Tilleuls"}',
    seller_snapshot="{}",
    payment_terms="45 jours fin de mois",
    payment_means="transfer",
    previous_hash="ab" * 32,
    chain_index=3,
)
LINES = [
    SimpleNamespace(
        position=2,
        kind="prorata",
        article_id=None,
        revenue_account="706100",
        description="Vitrerie — du 15/09/2026 au 30/09/2026 (prorata 16/30 jours)",
        quantity=Decimal("1.000"),
        unit="forfait",
        unit_code="C62",
        unit_price=Decimal("200.0000"),
        discount=Decimal("0.00"),
        vat_rate=Decimal("20.000000"),
        vat_category="S",
        vat_exemption="",
        total_ht=Decimal("200.00"),
        contract_line_id=31,
        period_start=dt.date(2026, 9, 15),
        period_end=dt.date(2026, 9, 30),
    ),
    SimpleNamespace(
        position=1,
        kind="normal",
        article_id=4,
        revenue_account="706000",
        description="Entretien des parties communes — septembre 2026",
        quantity=Decimal("2.500"),
        unit="heure",
        unit_code="HUR",
        unit_price=Decimal("400.0000"),
        discount=Decimal("-0.00"),
        vat_rate=Decimal("20"),
        vat_category="S",
        vat_exemption="",
        total_ht=Decimal("1000.00"),
        contract_line_id=30,
        period_start=dt.date(2026, 9, 1),
        period_end=dt.date(2026, 9, 30),
    ),
]


def test_the_content_hash_of_a_known_document_is_pinned() -> None:
    assert content_hash(INVOICE, LINES) == PINNED
    text = canonical(INVOICE, LINES).decode()
    # sorted keys, no spaces, UTF-8 as is, Decimals normalised, lines by position
    assert text.startswith('{"amount_due":"1440","chain_index":3,"client_id":7,')
    assert '"discount":"-0","kind":"normal"' in text
    assert '"vat_rate":"20"' in text and '"quantity":"2.5"' in text
    assert text.index('"position":1') < text.index('"position":2')
    assert "Résidence" in text and '"site_id":null' in text


def test_rows_orm_like_objects_and_plain_records_hash_alike() -> None:
    class Row:
        def __init__(self, ns: SimpleNamespace) -> None:
            self.__dict__.update(vars(ns))

    assert content_hash(Row(INVOICE), [Row(line) for line in LINES]) == PINNED
    changed = SimpleNamespace(**{**vars(INVOICE), "total_ht": Decimal("1200.01")})
    assert content_hash(changed, LINES) != PINNED


def test_the_values_path_of_issuing_gives_the_same_hash() -> None:
    from app.billing.chain import INVOICE_FIELDS, LINE_FIELDS, content_hash_values

    by_position = sorted(LINES, key=lambda line: line.position)
    assert (
        content_hash_values(
            [getattr(INVOICE, f) for f in INVOICE_FIELDS],
            [tuple(getattr(line, f) for f in LINE_FIELDS) for line in by_position],
        )
        == PINNED
    )


# Version 2 (issue T §5) seals what version 1 left out; its text is pinned as well.
INVOICE_V2 = SimpleNamespace(
    **vars(INVOICE),
    title="Contrat CT00012 — septembre 2026",
    notes="Merci de rappeler le n° de facture.",
    issued_at=dt.datetime(2026, 9, 30, 18, 5, 7, 123456, tzinfo=dt.UTC),
    issued_by_id=2,
)
LINES_V2 = [
    SimpleNamespace(
        **vars(line),
        vat_exemption_code="",
        goods=False,
        sap=line.position == 1,
        family_id=None,
        origin_line_id=None,
    )
    for line in LINES
]
PINNED_V2 = "603ebae88b3481eae536952310c17840716aa2bd7f8902189244932ebf657b62"


def test_version_1_is_unchanged_and_version_2_is_pinned_too() -> None:
    assert content_hash(INVOICE_V2, LINES_V2) == PINNED  # version 1 ignores the new fields
    text = canonical(INVOICE_V2, LINES_V2, 2).decode()
    assert '"issued_at":"2026-09-30 18:05:07.123456"' in text
    assert '"notes":"Merci de rappeler le n° de facture."' in text
    assert '"sap":true' in text and '"vat_exemption_code":""' in text
    assert content_hash(INVOICE_V2, LINES_V2, 2) == PINNED_V2


def test_a_version_2_document_is_not_taken_for_a_version_1_one() -> None:
    from app.billing.chain import hash_version

    issued = SimpleNamespace(**{**vars(INVOICE_V2), "content_hash": PINNED_V2})
    assert hash_version(issued, LINES_V2) == 2
    assert hash_version(issued, LINES_V2, since=2) == 2
    forged = SimpleNamespace(**{**vars(issued), "notes": "Nouvel IBAN : FR76 3000 6000 01"})
    assert hash_version(forged, LINES_V2) is None
    old = SimpleNamespace(**{**vars(INVOICE_V2), "content_hash": PINNED})
    assert hash_version(old, LINES_V2) == 1
    assert hash_version(old, LINES_V2, since=2) is None  # no version 1 after a version 2
