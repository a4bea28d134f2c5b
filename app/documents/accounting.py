"""Accounting export: FEC of a fiscal year and the sales-journal CSV.

Entries come from *providers*: ``fn(session, start, end) -> Iterable[FecEntry]``. The sales
journal (VT) provider lives here, the payments' bank journal (512/411) and their matching
letters in :mod:`app.payments.accounting`; :func:`app.startup.install` registers them all
(:func:`register_entry_provider`, :func:`register_entry_filter`), never an import. Without
them the export refuses (a FEC is never short of a journal by omission).

Sales entry of an invoice (docs/DOMAIN.md « FEC »): debit 411 (client sub-account in
CompAuxNum) TTC; credit 706x HT per revenue account; credit VAT per rate on 44571 (firm opted for debits)
or 44574 (VAT on services due on payment). Down-payment invoices credit 4191; a credit note
is the reverse entry.

A FEC covers one exercise (fiscal year, :mod:`app.fiscal`: 1/1–31/12 by default, or e.g.
1/7–30/6 when the firm closes on 30 June, or an irregular first exercise). It is built from
the whole history up to the closing date (providers are asked from :data:`FIRST_DAY`), so
that matching letters show each group's state at the closing date, and the entries of the
previous exercises become one opening entry (journal AN, à-nouveaux) dated the first day of
the exercise: see :func:`opening_entries`. The firm's first exercise in Propreo has none.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFoundError
from app.fiscal import Exercise, exercise
from app.lookup import get_row
from app.money import ZERO, round_money
from models.catalog import Account
from models.clients import Client
from models.company import CompanySettings
from models.invoices import Invoice, InvoiceKind, InvoiceStatus, LineKind
from reports.fec import OPENING_JOURNAL as OPENING_JOURNAL_CODE
from reports.fec import FecEntry, FecFile, FecLine, write_fec
from reports.sales_journal import ClosingMark, SalesRow, sales_journal_csv

EntryProvider = Callable[[Session, dt.date, dt.date], Iterable[FecEntry]]
# Post-processing of the whole history up to the closing date (entries of the previous years
# included), e.g. the payments' matching letters on 411 lines.
EntryFilter = Callable[[Session, list[FecEntry]], list[FecEntry]]
_PROVIDERS: list[EntryProvider] = []
_FILTERS: list[EntryFilter] = []

CLIENT_ACCOUNT = "411000"
DOWN_PAYMENT_ACCOUNT = "419100"
DEFAULT_REVENUE = "706100"
VAT_ON_DEBITS = "445710"
VAT_ON_PAYMENT = "445740"
SALES_JOURNAL = ("VT", "Journal des ventes")
OPENING_JOURNAL = (OPENING_JOURNAL_CODE, "À-nouveaux")
OPENING_COUNTERPART = "890000"
CHEQUES_ACCOUNT = "511200"
# Balance-sheet accounts whose balance Propreo knows and carries forward: client open items,
# down-payments received, VAT on receipts not yet due, cheques received not yet remitted.
# Not carried: 512/530 (Propreo sees receipts only, never spending: the bank balance is the
# accountant's), 44571 (cleared by the VAT returns), revenue and 658/758 (income statement).
CARRIED_ACCOUNTS = (CLIENT_ACCOUNT, DOWN_PAYMENT_ACCOUNT, VAT_ON_PAYMENT, CHEQUES_ACCOUNT)
# Accounts whose lines carry a matching key (FecLine.item) and get matching letters: clients
# per open item, down-payments received per down-payment invoice (until deducted).
LETTERED_ACCOUNTS = (CLIENT_ACCOUNT, DOWN_PAYMENT_ACCOUNT)
FIRST_DAY = dt.date(1900, 1, 1)


def register_entry_provider(fn: EntryProvider) -> None:
    """Add a source of FEC entries (idempotent): called by :func:`app.startup.install`."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)


def register_entry_filter(fn: EntryFilter) -> None:
    """Add a pass over the whole history, in order (idempotent): called at start-up."""
    if fn not in _FILTERS:
        _FILTERS.append(fn)


def fiscal_year(session: Session, which: int | dt.date) -> Exercise:
    """The exercise closing in year ``which`` (int) or containing the date ``which``, after
    the firm's closing day/month (company settings)."""
    return exercise(session, which)


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
    invoice: Invoice,
    client: Client,
    company: CompanySettings,
    labels: dict[str, str],
    item: str = "",
) -> FecEntry:
    """The VT entry of one issued document (pure given its rows). ``item``: the matching key
    of its 411 line — the invoice's own number, or for a credit note the number of the
    invoice it cites (the credit note settles that invoice)."""
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
    # Goods: VAT due on delivery (44571) whatever the option; services follow the option.
    on_delivery = goods_vat(invoice.lines) if vat_account != VAT_ON_DEBITS else {}
    aux, aux_label = client_aux(client)
    kind = InvoiceKind.LABELS.get(invoice.kind, "Facture")
    cites = f" sur {item}" if item and item != invoice.number else ""  # credit note → invoice
    label = f"{kind} {invoice.number}{cites} {client.name}"
    # Invoice: client debit, revenue and VAT credit. Credit note: the reverse.
    sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
    total = round_money(sum(revenue.values(), ZERO) + sum(vat_by_rate.values(), ZERO))

    def fec_line(
        account: str,
        value: Decimal,
        is_debit: bool,
        *,
        item: str = "",
        label: str = "",
        aux_account: str = "",
        aux_label: str = "",
    ) -> FecLine:
        value = value * sign
        if value < 0:  # a negative amount goes to the other side
            value, is_debit = -value, not is_debit
        return FecLine(
            account=account,
            account_label=labels.get(account, account),
            debit=round_money(value) if is_debit else ZERO,
            credit=ZERO if is_debit else round_money(value),
            aux_account=aux_account,
            aux_label=aux_label,
            label=label,
            item=item,
        )

    lines = [
        fec_line(
            CLIENT_ACCOUNT,
            total,
            True,
            aux_account=aux,
            aux_label=aux_label,
            item=item or invoice.number or "",
        )
    ]
    for account, value in sorted(revenue.items()):
        if value:
            # A down-payment invoice's 4191 line is lettered with its later deduction.
            own = invoice.kind == InvoiceKind.DOWN_PAYMENT and account == DOWN_PAYMENT_ACCOUNT
            lines.append(
                fec_line(account, value, False, item=(invoice.number or "") if own else "")
            )
    for rate, value in sorted(vat_by_rate.items(), reverse=True):
        text = f"{label} TVA {rate.normalize():f} %"
        goods = on_delivery.get(rate, ZERO)
        if value - goods:
            lines.append(fec_line(vat_account, value - goods, False, label=text))
        if goods:
            lines.append(fec_line(VAT_ON_DEBITS, goods, False, label=f"{text} (marchandises)"))
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


def goods_vat(lines: Iterable[Any]) -> dict[Decimal, Decimal]:
    """VAT per rate of the goods lines of a document (sales of goods: VAT due on delivery,
    booked on 44571 even when the services' VAT is due on receipts). Part of each rate's
    VAT, computed on the goods lines' own base; the services take the rest of the rate."""
    from app.billing.totals import vat_breakdown

    goods = [line for line in lines if getattr(line, "goods", False)]
    return {v.rate: v.vat for v in vat_breakdown(goods) if v.vat} if goods else {}


def account_labels(session: Session) -> dict[str, str]:
    return {a.number: a.label for a in session.scalars(select(Account))}


def sales_entries(session: Session, start: dt.date, end: dt.date) -> list[FecEntry]:
    company = session.get(CompanySettings, 1)
    if company is None:
        return []
    labels = account_labels(session)
    labels.setdefault(VAT_ON_PAYMENT, "TVA collectée sur encaissements")
    labels.setdefault(VAT_ON_DEBITS, "TVA collectée")
    entries = []
    invoices = _issued(session, start, end)
    origins = _numbers(session, {i.origin_invoice_id for i in invoices if i.origin_invoice_id})
    clients = all_clients(session)
    for invoice in invoices:
        item = ""
        if invoice.kind == InvoiceKind.CREDIT_NOTE and invoice.origin_invoice_id:
            item = origins.get(invoice.origin_invoice_id, "")
        entries.append(sales_entry(invoice, clients[invoice.client_id], company, labels, item))
    return entries


def all_clients(session: Session) -> dict[int, Client]:
    """Every client in one query (a FEC touches most of them; one get per client is slow)."""
    return {c.id: c for c in session.scalars(select(Client))}


def _numbers(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids)))
    return {i: n or "" for i, n in rows}


def history(session: Session, end: dt.date) -> list[FecEntry]:
    """Every entry dated up to ``end``, filters applied (letters as at ``end``)."""
    if not _PROVIDERS:
        raise RuntimeError(
            "FEC without entry providers: app.startup.install() was not called at start-up."
        )
    entries: list[FecEntry] = []
    for provider in _PROVIDERS:
        entries.extend(e for e in provider(session, FIRST_DAY, end) if e.date <= end)
    for entry_filter in _FILTERS:
        entries = entry_filter(session, entries)
    return entries


def all_entries(session: Session, start: dt.date, end: dt.date) -> list[FecEntry]:
    """Entries of the period, preceded by the opening entry carrying the earlier balances."""
    entries = history(session, end)
    before = [e for e in entries if e.date < start]
    labels = account_labels(session)
    opening = opening_entries(before, start, labels)
    return opening + [e for e in entries if start <= e.date]


def opening_entries(
    before: list[FecEntry], start: dt.date, labels: dict[str, str]
) -> list[FecEntry]:
    """The à-nouveaux of the period starting on ``start`` (pure).

    One AN entry dated ``start``: each open item of a :data:`LETTERED_ACCOUNTS` account (411
    lines of one client, or 4191 lines of one down-payment invoice, sharing a matching key and
    letter) with a non-zero balance becomes one line keeping its sub-account, key and letter,
    so that its settlement in the period is lettered on both sides; the other
    :data:`CARRIED_ACCOUNTS` get one line each. The counterpart is 890000 « Bilan d'ouverture »:
    Propreo keeps only part of the books, the accountant's own opening entry replaces it.
    No entry when there is nothing before ``start`` or every balance is zero.
    """
    items: dict[tuple[str, str, str, str, str], Decimal] = defaultdict(lambda: ZERO)
    first: dict[tuple[str, str, str, str, str], FecLine] = {}
    others: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry in before:
        for ln in entry.lines:
            if ln.account in LETTERED_ACCOUNTS and (ln.item or ln.aux_account):
                item = ln.item or entry.piece_ref
                key = (ln.account, ln.aux_account, item, ln.letter, ln.aux_label)
                items[key] += ln.debit - ln.credit
                first.setdefault(key, ln)
            elif ln.account in CARRIED_ACCOUNTS:
                others[ln.account] += ln.debit - ln.credit
    label = f"À-nouveaux au {start:%d/%m/%Y}"
    lines: list[FecLine] = []

    def side(value: Decimal) -> tuple[Decimal, Decimal]:
        """(debit, credit) of a signed amount."""
        return (value, ZERO) if value > 0 else (ZERO, -value)

    for key in sorted(items, key=lambda k: k[:4]):
        value = items[key]
        if not value:
            continue
        account, aux, item, letter, aux_label = key
        ln = first[key]
        lines.append(
            FecLine(
                account,
                labels.get(account, ln.account_label),
                *side(value),
                aux_account=aux,
                aux_label=aux_label,
                label=f"À-nouveau {item} {aux_label}".strip()[:200],
                letter=letter,
                letter_date=ln.letter_date if letter else None,
                item=item,
            )
        )
    for account in CARRIED_ACCOUNTS:
        if others[account]:
            lines.append(FecLine(account, labels.get(account, account), *side(others[account])))
    net = sum((ln.debit - ln.credit for ln in lines), ZERO)
    if not lines:
        return []
    if net:
        lines.append(
            FecLine(
                OPENING_COUNTERPART,
                labels.get(OPENING_COUNTERPART, "Bilan d'ouverture"),
                *side(-net),
            )
        )
    return [
        FecEntry(
            journal=OPENING_JOURNAL[0],
            journal_label=OPENING_JOURNAL[1],
            date=start,
            piece_ref=f"AN{start:%Y}",
            piece_date=start,
            label=label,
            lines=tuple(lines),
            valid_date=start,
        )
    ]


def export_fec(session: Session, which: int | dt.date, out_dir: Path) -> FecFile:
    """``<SIREN>FEC<AAAAMMJJ of the closing>.txt`` in ``out_dir``: the exercise closing in
    year ``which`` (int) or containing the date ``which`` (see :func:`fiscal_year`)."""
    company = session.get(CompanySettings, 1)
    if company is None or not company.siren:
        raise NotFoundError("Le SIREN de la société est nécessaire au nom du fichier FEC.")
    period = fiscal_year(session, which)
    entries = all_entries(session, period.start, period.end)
    return write_fec(entries, company.siren, period.end, out_dir)


def sales_rows(session: Session, start: dt.date, end: dt.date) -> list[SalesRow]:
    from app.billing.totals import vat_breakdown

    rows = []
    invoices = _issued(session, start, end)
    origins = _numbers(session, {i.origin_invoice_id for i in invoices if i.origin_invoice_id})
    clients = all_clients(session)
    deducted = _deducted(session)
    for invoice in invoices:
        client = clients[invoice.client_id]
        sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
        origin = origins.get(invoice.origin_invoice_id or 0, "") if sign < 0 else ""
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
                    due_date=invoice.due_date if sign > 0 else None,  # nothing due on a credit
                    origin=origin,
                )
            )
        for number, rate, ht, vat_value in deducted.get(invoice.id, []):
            # The down-payment's HT and VAT were in the journal when it was invoiced: the
            # final invoice takes them back, so that the VAT column sums to what is owed.
            rows.append(
                SalesRow(
                    date=invoice.issue_date,
                    number=invoice.number or "",
                    kind="Acompte déduit",
                    client_code=client.code,
                    client_name=client.name,
                    client_account=client_aux(client)[0],
                    vat_rate=rate,
                    base=-ht,
                    vat=-vat_value,
                    due_date=invoice.due_date,
                    origin=number,
                )
            )
    return rows


def _deducted(session: Session) -> dict[int, list[tuple[str, Decimal, Decimal, Decimal]]]:
    """Final invoice id → (down-payment number, its VAT rate, HT and VAT deducted)."""
    from app.billing.totals import vat_breakdown
    from models.payments import DownPaymentDeduction

    result: dict[int, list[tuple[str, Decimal, Decimal, Decimal]]] = defaultdict(list)
    for d in session.scalars(select(DownPaymentDeduction).order_by(DownPaymentDeduction.id)):
        down = get_row(session, Invoice, d.down_payment_invoice_id, "Facture")
        rates = sorted(vat_breakdown(down.lines), key=lambda v: v.base, reverse=True)
        rate = rates[0].rate if rates else ZERO
        result[d.final_invoice_id].append((down.number or "", rate, d.amount_ht, d.amount_vat))
    return result


def closing_marks(session: Session, start: dt.date, end: dt.date) -> tuple[ClosingMark, ...]:
    """The signed closings of the months of [start, end], as printed on the journal."""
    from app.closings import closings_between, fingerprint, month_bounds

    return tuple(
        ClosingMark(c.period, month_bounds(c.period)[1], c.chain_count, fingerprint(c))
        for c in closings_between(session, start, end)
    )


def export_sales_journal(session: Session, start: dt.date, end: dt.date, out: Path) -> Path:
    from app.storage import write_file

    return write_file(
        out, sales_journal_csv(sales_rows(session, start, end), closing_marks(session, start, end))
    )


def export_for_accountant(
    session: Session, which: int | dt.date, out_dir: Path, *, sales: bool = True
) -> tuple[FecFile, Path | None]:
    """The FEC of the exercise and (``sales``) its sales journal ``ventes-<slug>.csv``
    beside it, both or neither: a journal the disk refuses removes the FEC just written."""
    fec = export_fec(session, which, out_dir)
    if not sales:
        return fec, None
    period = fiscal_year(session, which)
    try:
        journal = export_sales_journal(
            session, period.start, period.end, out_dir / f"ventes-{period.slug}.csv"
        )
    except BaseException:
        fec.path.unlink(missing_ok=True)
        raise
    return fec, journal
