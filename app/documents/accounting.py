"""Accounting export: FEC of a fiscal year and the sales-journal CSV.

Entries come from *providers*: ``fn(session, start, end) -> Iterable[FecEntry]``. The sales
journal (VT) provider lives here; other modules add theirs without editing this file, by
calling :func:`register_entry_provider` at import and listing their module in
:data:`ENTRY_MODULES` (a one-line registry, like ``CHECK_MODULES``) — e.g. the payments'
bank journal (512/411 with matching letters).

Sales entry of an invoice (DOMAIN §7): debit 411 (client sub-account in CompAuxNum) TTC;
credit 706x HT per revenue account; credit VAT per rate on 44571 (firm opted for debits)
or 44574 (VAT on services due on payment). Down-payment invoices credit 4191; a credit note
is the reverse entry.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFoundError
from app.money import ZERO, round_money
from models.catalog import Account
from models.clients import Client
from models.company import CompanySettings
from models.invoices import Invoice, InvoiceKind, InvoiceStatus, LineKind
from reports.fec import FecEntry, FecFile, FecLine, write_fec
from reports.sales_journal import SalesRow, sales_journal_csv

EntryProvider = Callable[[Session, dt.date, dt.date], Iterable[FecEntry]]
_PROVIDERS: list[EntryProvider] = []
# Modules whose import registers further entry providers (e.g. "app.payments.accounting").
ENTRY_MODULES: list[str] = ["app.payments.accounting"]
# Post-processing of the whole entry list, e.g. the payments' matching letters on 411 lines.
ENTRY_FILTERS: list[Callable[[Session, list[FecEntry]], list[FecEntry]]] = []

CLIENT_ACCOUNT = "411000"
DOWN_PAYMENT_ACCOUNT = "419100"
DEFAULT_REVENUE = "706100"
VAT_ON_DEBITS = "445710"
VAT_ON_PAYMENT = "445740"
SALES_JOURNAL = ("VT", "Journal des ventes")


def register_entry_provider(fn: EntryProvider) -> EntryProvider:
    """Add a source of FEC entries (usable as a decorator); idempotent on re-import."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    return fn


def fiscal_year(year: int) -> tuple[dt.date, dt.date]:
    """Calendar fiscal year (the firm's closing date is 31 December)."""
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _issued(session: Session, start: dt.date, end: dt.date) -> list[Invoice]:
    return list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.status == InvoiceStatus.ISSUED,
                Invoice.issue_date >= start,
                Invoice.issue_date <= end,
            )
            .options(selectinload(Invoice.lines))
            .order_by(Invoice.issue_date, Invoice.number)
        )
    )


def _vat_on_debits(invoice: Invoice, company: CompanySettings) -> bool:
    try:
        value = json.loads(invoice.seller_snapshot or "{}").get("vat_on_debits")
    except ValueError:
        value = None
    return bool(company.vat_on_debits if value is None else value)


def client_aux(client: Client) -> tuple[str, str]:
    """CompAuxNum / CompAuxLib: the client's sub-account (411<CODE> when none set)."""
    return (client.account_code or f"411{client.code}", client.name)


def sales_entry(
    invoice: Invoice, client: Client, company: CompanySettings, labels: dict[str, str]
) -> FecEntry:
    """The VT entry of one issued document (pure given its rows)."""
    revenue: dict[str, Decimal] = defaultdict(lambda: ZERO)
    vat_by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    from app.billing.totals import vat_breakdown

    for line in invoice.lines:
        if invoice.kind == InvoiceKind.DOWN_PAYMENT or line.kind == LineKind.DOWN_PAYMENT_DEDUCTION:
            account = DOWN_PAYMENT_ACCOUNT
        else:
            account = line.revenue_account or DEFAULT_REVENUE
        revenue[account] += line.total_ht
    for vat in vat_breakdown(invoice.lines):
        if vat.vat:
            vat_by_rate[vat.rate] += vat.vat
    vat_account = VAT_ON_DEBITS if _vat_on_debits(invoice, company) else VAT_ON_PAYMENT
    aux, aux_label = client_aux(client)
    label = f"{InvoiceKind.LABELS.get(invoice.kind, 'Facture')} {invoice.number} {client.name}"
    # Invoice: client debit, revenue and VAT credit. Credit note: the reverse.
    sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
    total = round_money(sum(revenue.values(), ZERO) + sum(vat_by_rate.values(), ZERO))

    def line(account: str, value: Decimal, is_debit: bool, **extra: str) -> FecLine:
        value = value * sign
        if value < 0:  # a negative amount goes to the other side
            value, is_debit = -value, not is_debit
        return FecLine(
            account=account,
            account_label=labels.get(account, account),
            debit=round_money(value) if is_debit else ZERO,
            credit=ZERO if is_debit else round_money(value),
            **extra,
        )

    lines = [line(CLIENT_ACCOUNT, total, True, aux_account=aux, aux_label=aux_label)]
    for account, value in sorted(revenue.items()):
        if value:
            lines.append(line(account, value, False))
    for rate, value in sorted(vat_by_rate.items(), reverse=True):
        lines.append(line(vat_account, value, False, label=f"{label} TVA {rate.normalize():f} %"))
    return FecEntry(
        journal=SALES_JOURNAL[0],
        journal_label=SALES_JOURNAL[1],
        date=invoice.issue_date,
        piece_ref=invoice.number or "",
        piece_date=invoice.issue_date,
        label=label[:200],
        lines=tuple(lines),
        valid_date=invoice.issued_at.date() if invoice.issued_at else invoice.issue_date,
    )


def account_labels(session: Session) -> dict[str, str]:
    return {a.number: a.label for a in session.scalars(select(Account))}


@register_entry_provider
def sales_entries(session: Session, start: dt.date, end: dt.date) -> list[FecEntry]:
    company = session.get(CompanySettings, 1)
    if company is None:
        return []
    labels = account_labels(session)
    labels.setdefault(VAT_ON_PAYMENT, "TVA collectée sur encaissements")
    labels.setdefault(VAT_ON_DEBITS, "TVA collectée")
    clients: dict[int, Client] = {}
    entries = []
    for invoice in _issued(session, start, end):
        if invoice.client_id not in clients:
            clients[invoice.client_id] = session.get(Client, invoice.client_id)  # type: ignore[assignment]
        entries.append(sales_entry(invoice, clients[invoice.client_id], company, labels))
    return entries


def all_entries(session: Session, start: dt.date, end: dt.date) -> list[FecEntry]:
    for name in ENTRY_MODULES:
        importlib.import_module(name)
    entries: list[FecEntry] = []
    for provider in _PROVIDERS:
        entries.extend(e for e in provider(session, start, end) if start <= e.date <= end)
    for entry_filter in ENTRY_FILTERS:
        entries = entry_filter(session, entries)
    return entries


def export_fec(session: Session, year: int, out_dir: Path) -> FecFile:
    """``<SIREN>FEC<AAAAMMJJ>.txt`` of the fiscal year in ``out_dir``."""
    company = session.get(CompanySettings, 1)
    if company is None or not company.siren:
        raise NotFoundError("Le SIREN de la société est nécessaire au nom du fichier FEC.")
    start, end = fiscal_year(year)
    return write_fec(all_entries(session, start, end), company.siren, end, out_dir)


def sales_rows(session: Session, start: dt.date, end: dt.date) -> list[SalesRow]:
    from app.billing.totals import vat_breakdown

    rows = []
    for invoice in _issued(session, start, end):
        client = session.get(Client, invoice.client_id)
        assert client is not None
        sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
        for vat in vat_breakdown(invoice.lines):
            rows.append(
                SalesRow(
                    date=invoice.issue_date,
                    number=invoice.number or "",
                    kind=InvoiceKind.LABELS.get(invoice.kind, ""),
                    client_code=client.code,
                    client_name=client.name,
                    client_account=client_aux(client)[0],
                    vat_rate=vat.rate,
                    base=vat.base * sign,
                    vat=vat.vat * sign,
                    due_date=invoice.due_date,
                )
            )
    return rows


def export_sales_journal(session: Session, start: dt.date, end: dt.date, out: Path) -> Path:
    out.write_bytes(sales_journal_csv(sales_rows(session, start, end)))
    return out
