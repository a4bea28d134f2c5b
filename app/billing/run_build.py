"""The month-end run's pure part: typed records in, rows out, no session.

:func:`plan_groups` asks :mod:`app.billing.plan` what each contract owes and groups the
due periods as each contract is configured (per contract, per site, per payer);
:func:`build_drafts` turns each group into one draft invoice: its lines (through the
catalogue's ``RowMaker``), the place-of-supply VAT rule, the totals (VAT once per rate),
a credit note when the month is negative, and the ledger rows that record what was billed.
:func:`app.billing.runs.run_month` loads before and writes after.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import NamedTuple, Protocol, cast

from app import input_rules
from app.billing import vat_rules
from app.billing.contracts import contract_spec
from app.billing.invoices import DraftLine
from app.billing.plan import Billed, DueItem, due_items
from app.billing.run_records import RunContract, RunLine
from app.billing.totals import Totals, compute_totals
from app.errors import PropreoError, StateError
from app.i18n import month_names
from app.money import ZERO, line_total
from app.progress import Progress
from models.contracts import Grouping
from models.invoices import InvoiceKind, InvoiceStatus, LineKind

MONTHS_FR = month_names()

# (grouping, client id, contract id / site id / None for a payer's invoice)
GroupKey = tuple[str, int, int | None]
Row = dict[str, object]
BilledByLine = Mapping[int, Mapping[tuple[int, dt.date], Billed]]


class Entry(NamedTuple):
    """One due period of one contract line, in the group it is invoiced with."""

    contract: RunContract
    line: RunLine
    item: DueItem


class RowMaker(Protocol):
    """The catalogue seen by the build: a DraftLine → its validated invoice_lines row
    (:class:`app.billing.invoices.LineResolver`)."""

    def row(self, line: DraftLine, position: int) -> Row: ...


@dataclass
class RunDraft:
    """One draft invoice of the run: its invoices row, its lines, the ledger rows of its
    lines (same order); ids are given when it is written."""

    invoice: Row
    lines: list[Row]
    ledger: list[Row]
    sign: int  # -1: a credit note, amounts stated positive


@dataclass
class RunBuild:
    drafts: list[RunDraft] = field(default_factory=list)
    total_ht: Decimal = ZERO  # signed: credit notes count negative
    total_ttc: Decimal = ZERO


def month_label(day: dt.date) -> str:
    return f"{MONTHS_FR[day.month - 1]} {day.year}"


def period_text(start: dt.date, end: dt.date) -> str:
    first_of_month = start.day == 1
    if (
        first_of_month
        and end.month == start.month
        and end.year == start.year
        and (end + dt.timedelta(days=1)).day == 1
    ):
        return month_label(start)
    return f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"


def due(
    contract: RunContract, last: dt.date, billed: dict[tuple[int, dt.date], Billed]
) -> list[DueItem]:
    """What ``contract`` owes up to ``last``, after checking what older versions or direct
    writes may have stored (texts, bounds): a contract that cannot be invoiced raises and
    is left out of the run with its reason, the others are invoiced."""
    for line in contract.lines:
        for v in line.versions:
            label = f"ligne {line.position}"
            input_rules.text(v.description, f"{label} — désignation", 1000)
            quantity = input_rules.number(v.quantity, f"{label} — quantité", 3)
            price = input_rules.number(v.unit_price, f"{label} — prix unitaire", 4)
            input_rules.number(quantity * price, f"{label} — montant (quantité × prix)")
            if v.annual_budget is not None:
                input_rules.number(v.annual_budget, f"{label} — budget annuel")
    input_rules.text(contract.purchase_order, "N° de bon de commande", 100, multiline=False)
    items = [i for i in due_items(contract_spec(contract), last, billed) if i.amount != ZERO]
    total = sum((abs(i.amount) for i in items), ZERO)
    input_rules.number(total, f"montant dû du contrat {contract.code}")
    return items


def group_key(contract: RunContract, line: RunLine) -> GroupKey:
    if contract.grouping == Grouping.PAYER:
        return ("payer", contract.client_id, None)
    if contract.grouping == Grouping.SITE:
        return ("site", contract.client_id, line.site_id or contract.site_id)
    return ("contract", contract.client_id, contract.id)


def plan_groups(
    contracts: Sequence[RunContract],
    billed: BilledByLine,
    last: dt.date,
    progress: Progress | None = None,
) -> tuple[dict[GroupKey, list[Entry]], list[str]]:
    """The due periods grouped into invoices, and why a contract was left out (one bad
    contract does not stop the run)."""
    groups: dict[GroupKey, list[Entry]] = defaultdict(list)
    skipped: list[str] = []
    for n, contract in enumerate(contracts, 1):
        lines = {cl.id: cl for cl in contract.lines}
        mine = {k: v for line_id in lines for k, v in billed.get(line_id, {}).items()}
        try:
            items = due(contract, last, mine)
        except (PropreoError, ArithmeticError, ValueError) as exc:
            skipped.append(f"Contrat {contract.code} laissé de côté : {exc}")
            continue
        for item in items:
            line = lines[item.line_id]
            groups[group_key(contract, line)].append(Entry(contract, line, item))
        if progress is not None and n % 200 == 0:
            progress.step(n, len(contracts) * 2, f"Contrats analysés : {n}")
    return dict(groups), skipped


def draft_line(item: DueItem, line: RunLine) -> DraftLine:
    """The invoice line of one due period: the version's quantity × price when the period
    is whole, a « forfait » of the amount when prorated or budgeted, a regularisation when
    an amendment, revision, suspension or termination changed what was due."""
    period = item.period
    version = period.version if period else None
    if version is None:  # the period vanished from the plan: credit it with the latest version
        latest = line.versions[-1]
        description, article_id = latest.description, latest.article_id
    else:
        description, article_id = version.description, None
        for v in line.versions:
            if v.id == version.version_id:
                article_id = v.article_id
    when = period_text(item.start, item.end)
    made = partial(
        DraftLine,
        article_id=article_id,
        contract_line_id=line.id,
        period_start=item.start,
        period_end=item.end,
    )
    if item.is_regularisation:
        return made(
            description=f"Régularisation (modification du contrat) — {description} — {when}",
            quantity=Decimal(1 if item.amount > 0 else -1),
            unit_price=abs(item.amount),
            unit="forfait",
            kind=LineKind.REGULARISATION,
        )
    if period is None or version is None:  # only a regularisation has neither
        raise StateError(
            "Ligne de contrat sans période ni tarif à facturer : {line}.", line=description
        )
    if period.prorated:
        unit = "jours" if period.length else ""
        return made(
            description=f"{description} — {when} (prorata {period.covered}/{period.length} {unit})",
            quantity=Decimal(1),
            unit_price=item.amount,
            unit="forfait",
            kind=LineKind.PRORATA,
        )
    if (
        version.annual_budget is None
        and line_total(version.quantity, version.unit_price) == item.amount
    ):
        return made(
            description=f"{description} — {when}",
            quantity=version.quantity,
            unit_price=version.unit_price,
        )
    return made(
        description=f"{description} — {when}",
        quantity=Decimal(1),
        unit_price=item.amount,
        unit="forfait",
    )


class _Taxed(NamedTuple):
    """A line row seen as a taxed line for the totals."""

    total_ht: Decimal
    vat_rate: Decimal
    vat_category: str
    vat_exemption: str
    vat_exemption_code: str


def totals_of(rows: Sequence[Row]) -> Totals:
    return compute_totals(
        _Taxed(
            cast(Decimal, r["total_ht"]),
            cast(Decimal, r["vat_rate"]),
            cast(str, r["vat_category"]),
            cast(str, r["vat_exemption"]),
            cast(str, r["vat_exemption_code"]),
        )
        for r in rows
    )


def _ordered(entries: list[Entry]) -> list[Entry]:
    """Lines by contract, line position, period start, revision."""
    return sorted(
        entries, key=lambda e: (e.contract.id, e.line.position, e.item.start, e.item.revision)
    )


def build_drafts(
    groups: Mapping[GroupKey, list[Entry]],
    *,
    payment_means: Mapping[int, str],
    abroad: Mapping[int, str],
    first: dt.date,
    last: dt.date,
    issue_date: dt.date,
    run_id: int,
    rows: RowMaker,
) -> RunBuild:
    """One draft per group, in the groups' order. ``payment_means``: client id → its
    means; ``abroad``: site id → country of the sites outside France."""
    build = RunBuild()
    for key, entries in groups.items():
        contracts_in = {e.contract.id: e.contract for e in entries}
        single = next(iter(contracts_in.values())) if len(contracts_in) == 1 else None
        lines: list[Row] = []
        ledger: list[Row] = []
        for position, (_c, line, item) in enumerate(_ordered(entries), 1):
            lines.append(rows.row(draft_line(item, line), position))
            ledger.append(
                {
                    "contract_line_id": line.id,
                    "period_start": item.start,
                    "period_end": item.end,
                    "revision": item.revision,
                    "amount": item.amount,
                    "run_id": run_id,
                }
            )
        site_id = key[2] if key[0] == "site" else (single.site_id if single else None)
        vat_rules.apply_place_of_supply(lines, abroad.get(site_id) if site_id else None)
        totals = totals_of(lines)
        kind, sign = InvoiceKind.INVOICE, 1
        if totals.total_ttc < ZERO:
            # A negative month (regularisations only) is an avoir, amounts stated positive.
            kind, sign = InvoiceKind.CREDIT_NOTE, -1
            for row in lines:
                row["quantity"] = -cast(Decimal, row["quantity"])
                row["total_ht"] = -cast(Decimal, row["total_ht"])
            totals = totals_of(lines)
        codes = ", ".join(c.code for c in contracts_in.values())
        title = f"Contrat{'s' if len(contracts_in) > 1 else ''} {codes} — {month_label(first)}"
        invoice: Row = {
            "kind": kind,
            "status": InvoiceStatus.DRAFT,
            "series_code": kind,
            "issue_date": issue_date,
            "period_start": first,
            "period_end": last,
            "client_id": key[1],
            "site_id": site_id,
            "contract_id": single.id if single else None,
            "purchase_order": single.purchase_order if single else "",
            "run_id": run_id,
            "group_key": f"{key[0]}:{key[1]}:{key[2]}",
            "title": title if sign > 0 else f"Avoir de régularisation — {title}",
            "total_ht": totals.total_ht,
            "total_vat": totals.total_vat,
            "total_ttc": totals.total_ttc,
            "prepaid_total": ZERO,
            "amount_due": totals.total_ttc,
            "payment_means": payment_means[key[1]],
            "origin_invoice_id": None,
            "notes": "",
        }
        build.drafts.append(RunDraft(invoice, lines, ledger, sign))
        build.total_ht += sign * totals.total_ht
        build.total_ttc += sign * totals.total_ttc
    return build
