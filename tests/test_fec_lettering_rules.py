"""Pure rules of the FEC lettering and opening entry, property-tested: whatever the invoices,
credit notes and payments, a total letter always balances, partial letters are lowercase,
codes never collide, and the opening entry carries exactly the earlier balances."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.documents.accounting import opening_entries
from app.payments.accounting import letter_groups
from reports.fec import FecEntry, FecLine, check_entries, write_fec

START = dt.date(2026, 1, 1)


def client_line(aux: str, item: str, debit: int = 0, credit: int = 0) -> FecLine:
    return FecLine(
        "411000",
        "Clients",
        debit=Decimal(debit) / 100,
        credit=Decimal(credit) / 100,
        aux_account=aux,
        aux_label=aux,
        item=item,
    )


def entry(journal: str, day: dt.date, ref: str, line: FecLine, other: str) -> FecEntry:
    """A balanced entry: the client line and its counterpart (revenue or bank)."""
    counter = FecLine(other, other, debit=line.credit, credit=line.debit)
    return FecEntry(journal, journal, day, ref, day, ref, (line, counter))


documents = st.lists(
    st.tuples(
        st.sampled_from(["411A", "411B"]),
        st.integers(1, 100_000),  # invoice TTC in cents
        st.integers(0, 100),  # percentage credited by a credit note (0: none)
        st.lists(st.integers(1, 100), max_size=3),  # payments, in % of the invoice
        st.integers(0, 700),  # day offset from 2025-01-01
    ),
    min_size=1,
    max_size=12,
)


def build(docs: list[tuple[str, int, int, list[int], int]]) -> list[FecEntry]:
    entries = []
    for n, (aux, ttc, credited, payments, offset) in enumerate(docs):
        item = f"FA{n:05d}"
        day = dt.date(2025, 1, 1) + dt.timedelta(days=offset)
        entries.append(entry("VT", day, item, client_line(aux, item, debit=ttc), "706100"))
        if credited:
            note = client_line(aux, item, credit=ttc * credited // 100)
            if note.credit:
                entries.append(
                    entry("VT", day + dt.timedelta(days=3), f"AV{n:05d}", note, "706100")
                )
        for k, share in enumerate(payments):
            paid = client_line(aux, item, credit=ttc * share // 100)
            if paid.credit:
                later = day + dt.timedelta(days=10 * (k + 1))
                entries.append(entry("BQ", later, f"RG{n:05d}{k}", paid, "512000"))
    return entries


@settings(max_examples=150, deadline=None)
@given(documents)
def test_letters_balance_and_never_collide(
    docs: list[tuple[str, int, int, list[int], int]],
) -> None:
    lettered = letter_groups(build(docs), stored={})
    groups: dict[tuple[str, str], list[FecLine]] = defaultdict(list)
    items: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in lettered:
        for line in e.lines:
            if line.letter:
                assert line.account == "411000" and line.letter_date is not None
                groups[(line.aux_account, line.letter)].append(line)
                items[(line.aux_account, line.letter.upper())].add(line.item)
    for (_aux, letter), lines in groups.items():
        value = sum((ln.debit - ln.credit for ln in lines), Decimal(0))
        assert letter.isupper() == (value == 0), (letter, value)
        assert any(ln.debit for ln in lines) and any(ln.credit for ln in lines)
    assert all(len(v) == 1 for v in items.values())  # one code, one invoice per client
    # Every balanced invoice group of at least two lines is lettered in full.
    by_item: dict[tuple[str, str], list[FecLine]] = defaultdict(list)
    for e in lettered:
        for line in e.lines:
            if line.account == "411000":
                by_item[(line.aux_account, line.item)].append(line)
    for lines in by_item.values():
        if len(lines) >= 2 and sum((ln.debit - ln.credit for ln in lines), Decimal(0)) == 0:
            assert {ln.letter for ln in lines} != {""} and all(ln.letter.isupper() for ln in lines)


@settings(max_examples=150, deadline=None)
@given(documents)
def test_opening_entry_carries_the_earlier_balances(
    docs: list[tuple[str, int, int, list[int], int]],
) -> None:
    history = letter_groups(build(docs), stored={})
    before = [e for e in history if e.date < START]
    after = [e for e in history if e.date >= START]
    opening = opening_entries(before, START, {})
    check_entries(opening)  # balanced, no negative amount
    if not any(ln.debit - ln.credit for e in before for ln in e.lines if ln.account == "411000"):
        assert not [ln for e in opening for ln in e.lines if ln.account == "411000"]
    for aux in ("411A", "411B"):
        earlier = sum(
            (ln.debit - ln.credit for e in before for ln in e.lines if ln.aux_account == aux),
            Decimal(0),
        )
        carried = sum(
            (ln.debit - ln.credit for e in opening for ln in e.lines if ln.aux_account == aux),
            Decimal(0),
        )
        assert carried == earlier
    # In the new year's file (opening + entries of the year) total letters still balance.
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in opening + after:
        for ln in e.lines:
            if ln.letter.isupper() and ln.letter:
                totals[(ln.aux_account, ln.letter)] += ln.debit - ln.credit
    assert all(v == 0 for v in totals.values()), totals
    if not before:
        assert opening == []


def test_lines_without_amount_are_not_written(tmp_path: Path) -> None:
    day = dt.date(2026, 4, 30)
    lines = (
        FecLine("411000", "Clients", aux_account="411A", aux_label="A"),  # 0 / 0
        FecLine("419100", "Acomptes", debit=Decimal("200.00")),
        FecLine("706100", "Prestations", credit=Decimal("200.00")),
    )
    fec = write_fec(
        [FecEntry("VT", "Ventes", day, "FA1", day, "Facture FA1", lines)],
        "812345674",
        dt.date(2026, 12, 31),
        tmp_path,
    )
    rows = [r.split("\t") for r in fec.path.read_text("iso-8859-15").splitlines()[1:]]
    assert [(r[4], r[11], r[12]) for r in rows] == [
        ("419100", "200,00", "0,00"),
        ("706100", "0,00", "200,00"),
    ]
