"""The « Factures et avoirs » list: one page of invoices and credit notes at a time.

Search text, filters and the clicked column's sort are all in the SQL (no per-row query):
the paged list model asks for a page of rows and, once, for their count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypedDict, TypeVar, Unpack

from sqlalchemy import ColumnElement, Integer, Select, case, func, or_, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute, Session

from app import clock
from app.billing.plan import add_months
from app.db import date_fr
from app.einvoicing.status import status_label
from app.money import ZERO
from app.receivables import allocated_by_invoice, credited_by_invoice
from models.base import Money
from models.billing import BillingRun
from models.clients import Client
from models.einvoicing import InvoiceLifecycle
from models.invoices import Invoice, InvoiceKind, InvoiceStatus


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    issue_date: dt.date
    due_date: dt.date | None
    period: str
    client_id: int
    client: str
    title: str
    series: str
    total_ht: Decimal
    total_ttc: Decimal
    einvoicing: str = ""  # last e-invoicing life-cycle status (« Approuvée le … »)
    # What was settled (payments, write-offs, credit notes citing it), what is still owed and
    # for how many days past the due date; None for drafts and credit notes (nothing owed).
    paid: Decimal | None = None
    remaining: Decimal | None = None
    days_late: int | None = None
    amount_due: Decimal | None = None  # TTC less what down payments already settled


@dataclass(frozen=True)
class InvoiceTotals:
    """The sums shown under the invoice list, for the same filters and search."""

    count: int
    total_ht: Decimal
    total_ttc: Decimal
    remaining: Decimal
    late: Decimal  # the part of ``remaining`` past its due date


OWED_KINDS = (InvoiceKind.INVOICE, InvoiceKind.DOWN_PAYMENT)


# Sort keys of the invoice list (one per listed column), each with the id as tie-breaker.
INVOICE_SORTS: dict[str, InstrumentedAttribute[Any]] = {
    "number": Invoice.number,
    "kind": Invoice.kind,
    "status": Invoice.status,
    "issue_date": Invoice.issue_date,
    "due_date": Invoice.due_date,
    "client": Client.name,
    "title": Invoice.title,
    "total_ht": Invoice.total_ht,
    "total_ttc": Invoice.total_ttc,
}
DRAFT_NUMBER = "(brouillon)"


def _amount(text: str) -> Decimal | None:
    """« 1 234,56 » / « 233.16 » / « 45 » → Decimal; None when the text is not an amount."""
    compact = "".join(text.split()).replace("\u202f", "").replace(",", ".")
    if not compact or compact.count(".") > 1 or not compact.replace(".", "").isdigit():
        return None
    if "." in compact and len(compact.split(".")[1]) > 2:
        return None
    return Decimal(compact)


def invoice_search(needle: str) -> ColumnElement[bool] | None:
    """The SQL condition of search-as-you-type in the invoice list (None: no search).

    A row matches when the text (case-insensitive for ASCII letters, as SQLite's LIKE) is
    part of its number (« (brouillon) » for drafts), client name or object, of the label of
    its type or status, of its issue or due date as shown (JJ/MM/AAAA), or when the text is
    an amount equal to its total HT or TTC.
    """
    needle = needle.strip()
    if not needle:
        return None
    folded = needle.casefold()
    terms: list[ColumnElement[bool]] = [
        Invoice.number.icontains(needle, autoescape=True),
        # The matching clients are found once (a few hundred names), not joined per invoice.
        Invoice.client_id.in_(
            select(Client.id).where(Client.name.icontains(needle, autoescape=True))
        ),
        Invoice.title.icontains(needle, autoescape=True),
    ]
    if folded in DRAFT_NUMBER:
        terms.append(Invoice.number.is_(None))
    kinds = [k for k, label in InvoiceKind.LABELS.items() if folded in label.casefold()]
    if kinds:
        terms.append(Invoice.kind.in_(kinds))
    statuses = [k for k, label in InvoiceStatus.LABELS.items() if folded in label.casefold()]
    if statuses:
        terms.append(Invoice.status.in_(statuses))
    if needle.replace("/", "").isdigit():
        for column in (Invoice.issue_date, Invoice.due_date):
            shown = date_fr(column)
            terms.append(shown.contains(needle, autoescape=True))
    amount = _amount(needle)
    if amount is not None:
        terms.append(Invoice.total_ht == amount)
        terms.append(Invoice.total_ttc == amount)
    return or_(*terms)


class _Filters(TypedDict):
    period: str | None
    status: str | None
    client_id: int | None
    series: str | None
    run_period: str | None
    search: str


# Any select of the invoice list (its columns differ, its filters do not).
_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


def _filtered(query: _Query, **filters: Unpack[_Filters]) -> _Query:
    period, status, client_id = filters["period"], filters["status"], filters["client_id"]
    series, run_period, search = filters["series"], filters["run_period"], filters["search"]
    if period:
        first = dt.date(int(period[:4]), int(period[5:7]), 1)
        query = query.where(Invoice.issue_date >= first, Invoice.issue_date < add_months(first, 1))
    if status:
        query = query.where(Invoice.status == status)
    if client_id:
        query = query.where(Invoice.client_id == client_id)
    if series:
        query = query.where(Invoice.series_code == series)
    if run_period:
        query = query.join(BillingRun, BillingRun.id == Invoice.run_id).where(
            BillingRun.period == run_period
        )
    condition = invoice_search(search)
    if condition is not None:
        query = query.where(condition)
    return query


def count_invoices(
    session: Session,
    *,
    period: str | None = None,
    status: str | None = None,
    client_id: int | None = None,
    series: str | None = None,
    run_period: str | None = None,
    search: str = "",
) -> int:
    """How many invoices :func:`list_invoices` lists with the same filters (one COUNT)."""
    query = _filtered(
        select(func.count(Invoice.id)),
        period=period,
        status=status,
        client_id=client_id,
        series=series,
        run_period=run_period,
        search=search,
    )
    return int(session.scalar(query) or 0)


def list_invoices(
    session: Session,
    *,
    period: str | None = None,
    status: str | None = None,
    client_id: int | None = None,
    series: str | None = None,
    run_period: str | None = None,
    search: str = "",
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[InvoiceRow]:
    """Invoices filtered by month of issue (YYYY-MM), status, client, series, run period
    and the search text (:func:`invoice_search`), newest first or by ``sort`` (a key of
    :data:`INVOICE_SORTS`), optionally one page (``offset``/``limit``).

    Only the listed columns are read (no ORM objects, no snapshots): 100,000 rows stay fast;
    every filter has its index (issue date, status, client, series, run). The paged list of
    the Facturation tab (``ui.lazy_table``) reads one page at a time through this function.
    """
    query = select(
        Invoice.id,
        Invoice.number,
        Invoice.kind,
        Invoice.status,
        Invoice.issue_date,
        Invoice.due_date,
        Invoice.client_id,
        Invoice.title,
        Invoice.series_code,
        Invoice.total_ht,
        Invoice.total_ttc,
        Client.name,
        InvoiceLifecycle.code,
        InvoiceLifecycle.at,
        InvoiceLifecycle.reason,
        Invoice.amount_due,
    ).join(Client, Client.id == Invoice.client_id)
    # The last e-invoicing status of each listed invoice, in the same query.
    last_status = (
        select(func.max(InvoiceLifecycle.id))
        .where(InvoiceLifecycle.invoice_id == Invoice.id)
        .correlate(Invoice)
        .scalar_subquery()
    )
    query = query.outerjoin(InvoiceLifecycle, InvoiceLifecycle.id == last_status)
    query = _filtered(
        query,
        period=period,
        status=status,
        client_id=client_id,
        series=series,
        run_period=run_period,
        search=search,
    )
    if sort is None:
        query = query.order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    elif descending:
        query = query.order_by(INVOICE_SORTS[sort].desc(), Invoice.id.desc())
    else:
        query = query.order_by(INVOICE_SORTS[sort].asc(), Invoice.id.asc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    kinds, statuses = InvoiceKind.LABELS, InvoiceStatus.LABELS
    rows = [
        InvoiceRow(
            id_,
            number or DRAFT_NUMBER,
            kind,
            kinds.get(kind, kind),
            status,
            statuses.get(status, status),
            issue_date,
            due_date,
            f"{issue_date:%Y-%m}",
            client_id,
            name,
            title,
            series,
            total_ht,
            total_ttc,
            status_label(code, at, reason) if code else "",
            amount_due=amount_due,
        )
        for (
            id_,
            number,
            kind,
            status,
            issue_date,
            due_date,
            client_id,
            title,
            series,
            total_ht,
            total_ttc,
            name,
            code,
            at,
            reason,
            amount_due,
        ) in session.execute(query)
    ]
    return with_settlement(session, rows)


def with_settlement(session: Session, rows: list[InvoiceRow]) -> list[InvoiceRow]:
    """The rows with « Réglé », « Reste dû » and « Retard » (one query per kind of
    settlement for the whole page, as the client account computes them)."""
    due = {
        r.id: r.amount_due
        for r in rows
        if r.status == InvoiceStatus.ISSUED and r.kind in OWED_KINDS and r.amount_due is not None
    }
    if not due:
        return rows
    owed = list(due)
    allocated = allocated_by_invoice(session, owed)
    credited = credited_by_invoice(session, owed)
    today = clock.today()
    done = []
    for row in rows:
        if row.id in due:
            paid = allocated.get(row.id, ZERO) + credited.get(row.id, ZERO)
            left = due[row.id] - paid
            late = (today - row.due_date).days if left > ZERO and row.due_date else 0
            row = replace(row, paid=paid, remaining=left, days_late=late if late > 0 else None)
        done.append(row)
    return done


def invoice_totals(
    session: Session,
    *,
    period: str | None = None,
    status: str | None = None,
    client_id: int | None = None,
    series: str | None = None,
    run_period: str | None = None,
    search: str = "",
) -> InvoiceTotals:
    """Count, HT and TTC (credit notes count negative, as in the ledger) of the invoices
    :func:`list_invoices` lists with the same filters, and what they still owe (in SQL)."""
    filters = _Filters(
        period=period,
        status=status,
        client_id=client_id,
        series=series,
        run_period=run_period,
        search=search,
    )
    sign = case((Invoice.kind == InvoiceKind.CREDIT_NOTE, -1), else_=1)
    count, ht_cents, ttc_cents = session.execute(
        _filtered(
            select(
                func.count(Invoice.id),
                func.sum(type_coerce(Invoice.total_ht, Integer) * sign),
                func.sum(type_coerce(Invoice.total_ttc, Integer) * sign),
            ),
            **filters,
        )
    ).one()
    owed = _filtered(
        select(Invoice.id).where(
            Invoice.status == InvoiceStatus.ISSUED, Invoice.kind.in_(OWED_KINDS)
        ),
        **filters,
    ).subquery()
    remaining = late = ZERO
    today = clock.today()
    for row in with_settlement(session, _owed_rows(session, owed)):
        if row.remaining:
            remaining += row.remaining
            if row.due_date and row.due_date < today:
                late += row.remaining
    money, dialect = Money(), session.get_bind().dialect  # the sums come back as stored cents
    ht, ttc = (money.process_result_value(v or 0, dialect) or ZERO for v in (ht_cents, ttc_cents))
    return InvoiceTotals(int(count or 0), ht, ttc, remaining, late)


def _owed_rows(session: Session, owed: Any) -> list[InvoiceRow]:
    """Minimal rows of the owed invoices, enough for :func:`with_settlement`."""
    query = select(
        Invoice.id, Invoice.kind, Invoice.due_date, Invoice.issue_date, Invoice.amount_due
    ).where(Invoice.id.in_(select(owed.c.id)))
    return [
        InvoiceRow(
            id_,
            "",
            kind,
            "",
            InvoiceStatus.ISSUED,
            "",
            issue,
            due,
            "",
            0,
            "",
            "",
            "",
            ZERO,
            ZERO,
            amount_due=amount,
        )
        for id_, kind, due, issue, amount in session.execute(query)
    ]
