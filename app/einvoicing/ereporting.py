"""E-reporting (flux 10): what is not e-invoiced is reported to the tax administration
through the platform.

- Transactions: sales to private persons and to copropriétés without SIREN (B2C), totals
  per day, category and VAT rate (10.3); sales to foreign clients (B2BInt) per invoice
  (10.1). Credit notes count negative.
- Payments: for services whose VAT is due on receipt (the firm did not opt for VAT on
  debits), the amounts cashed per day and rate (10.4), per invoice for foreign clients
  (10.2); a payment of an invoice with several rates is split in proportion to each rate's
  share of the invoice (all taxes included).

Periods (décret n° 2022-1299, art. 242 nonies M): *réel normal mensuel* — transactions per
décade (1–10, 11–20, 21–end of month), payments per month; *réel normal trimestriel* and
*réel simplifié* — per month; *franchise en base* — every two months (``--period`` names
the second month).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.billing.totals import vat_breakdown
from app.company import get_company
from app.db import Database
from app.einvoicing import connector, ereporting_schema, outgoing, routing
from app.einvoicing.outgoing import month_bounds
from app.errors import PropreoError, ValidationError
from app.lookup import get_row
from app.money import ZERO, round_money
from models.clients import Client
from models.company import CompanySettings
from models.einvoicing import FlowKind, FlowState
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.payments import Allocation, Payment, PaymentStatus

TRANSACTIONS, PAYMENTS = "Transactions", "Payments"


@dataclass
class Result:
    kind: str
    start: dt.date
    end: dt.date
    items: int = 0
    flow_id: str = ""
    state_label: str = ""
    error: str = ""

    def describe(self) -> str:
        what = "Transactions" if self.kind == TRANSACTIONS else "Paiements"
        head = f"{what} du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"
        if self.error:
            return f"{head} : NON ENVOYÉ — {self.error}"
        if not self.items:
            return f"{head} : rien à déclarer"
        return f"{head} : {self.items} élément(s), flux {self.flow_id} ({self.state_label})"

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "debut": self.start.isoformat(),
            "fin": self.end.isoformat(),
            "elements": self.items,
            "flux": self.flow_id,
            "statut": self.state_label,
            "erreur": self.error,
        }


def periods(regime: str, period: str) -> list[tuple[str, dt.date, dt.date]]:
    start, end = month_bounds(period)
    if regime == "franchise":
        if start.month % 2:
            raise ValidationError(
                "Période",
                "En franchise en base, l'e-reporting couvre deux mois : indiquez le second "
                "(mois pair), par exemple {example}.",
                example=f"{start.year}-{start.month + 1:02d}",
            )
        first = (start - dt.timedelta(days=1)).replace(day=1)
        return [(TRANSACTIONS, first, end), (PAYMENTS, first, end)]
    if regime == "reel_mensuel":
        decades = [
            (start, start.replace(day=10)),
            (start.replace(day=11), start.replace(day=20)),
            (start.replace(day=21), end),
        ]
        return [(TRANSACTIONS, a, b) for a, b in decades] + [(PAYMENTS, start, end)]
    return [(TRANSACTIONS, start, end), (PAYMENTS, start, end)]


def _reported_clients(session: Session) -> dict[int, str]:
    return {
        c.id: routing.channel(c)
        for c in session.scalars(select(Client))
        if routing.channel(c) in (routing.B2C, routing.B2B_INT)
    }


def _sign(invoice: Invoice) -> int:
    return -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1


def _day(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, tag)
    if text is not None:
        node.text = text
    return node


def _tax(parent: etree._Element, rate: Decimal, base: Decimal, vat: Decimal) -> None:
    node = _sub(parent, "TaxSubTotal")
    _sub(node, "TaxPercent", f"{rate:.2f}")
    _sub(node, "TaxableAmount", f"{base:.2f}")
    _sub(node, "TaxTotal", f"{vat:.2f}")


def _category(invoice: Invoice) -> str:
    goods = {line.goods for line in invoice.lines}
    return "TMA1" if goods == {True, False} else ("TLB1" if goods == {True} else "TPS1")


def _header(company: CompanySettings, kind: str, start: dt.date, end: dt.date) -> etree._Element:
    root = etree.Element("Report")
    doc = _sub(root, "ReportDocument")
    _sub(doc, "Id", f"ER-{company.siren}-{kind[0]}-{_day(start)}-{_day(end)}")
    _sub(doc, "IssueDateTime", f"{_day(end)}235959")
    _sub(doc, "TypeCode", kind)
    sender = _sub(doc, "Sender")
    _sub(sender, "Siren", company.siren)
    _sub(sender, "Name", company.name)
    span = _sub(doc, "Period")
    _sub(span, "StartDate", _day(start))
    _sub(span, "EndDate", _day(end))
    return root


def build_transactions(session: Session, start: dt.date, end: dt.date) -> tuple[bytes, int]:
    company = get_company(session)
    channels = _reported_clients(session)
    invoices = session.scalars(
        select(Invoice)
        .where(
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.issue_date >= start,
            Invoice.issue_date <= end,
            Invoice.client_id.in_(list(channels)),
        )
        .order_by(Invoice.issue_date, Invoice.number)
    ).all()
    root = _header(company, TRANSACTIONS, start, end)
    report = _sub(root, "TransactionsReport")
    daily: dict[tuple[dt.date, str], dict[Decimal, list[Decimal]]] = defaultdict(dict)
    counts: dict[tuple[dt.date, str], int] = defaultdict(int)
    for invoice in invoices:
        sign = _sign(invoice)
        if channels[invoice.client_id] == routing.B2B_INT:
            client = get_row(session, Client, invoice.client_id, "Client")
            node = _sub(report, "Invoice")
            _sub(node, "InvoiceID", invoice.number or "")
            _sub(node, "IssueDate", _day(invoice.issue_date))
            _sub(node, "TypeCode", "381" if sign < 0 else "380")
            _sub(node, "CurrencyCode", "EUR")
            _sub(node, "BuyerCountry", client.country)
            if client.vat_number:
                _sub(node, "BuyerVATID", client.vat_number)
            _sub(node, "CategoryCode", _category(invoice))
            for total in vat_breakdown(invoice.lines):
                _tax(node, total.rate, sign * total.base, sign * total.vat)
            continue
        key = (invoice.issue_date, _category(invoice))
        counts[key] += 1
        for total in vat_breakdown(invoice.lines):
            sums = daily[key].setdefault(total.rate, [ZERO, ZERO])
            sums[0] += sign * total.base
            sums[1] += sign * total.vat
    for (day, category), rates in sorted(daily.items()):
        node = _sub(report, "Transactions")
        _sub(node, "Date", _day(day))
        _sub(node, "CurrencyCode", "EUR")
        _sub(node, "CategoryCode", category)
        _sub(node, "TransactionsCount", str(counts[(day, category)]))
        for rate, (base, vat) in sorted(rates.items(), reverse=True):
            _tax(node, rate, base, vat)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), len(invoices)


def _split(invoice: Invoice, amount: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(rate, part of ``amount`` paid for services) per VAT rate: the services' share of
    the invoice TTC (a mixed invoice's goods have their VAT due on delivery, no payment
    data), spread over the service rates in proportion; the last rate takes the rest."""
    totals = [t for t in vat_breakdown(l for l in invoice.lines if not l.goods)]  # noqa: E741
    services = sum((t.base + t.vat for t in totals), ZERO)
    whole = sum((t.base + t.vat for t in vat_breakdown(invoice.lines)), ZERO)
    paid = amount if services == whole else round_money(amount * services / whole)
    parts: list[tuple[Decimal, Decimal]] = []
    rest = paid
    for index, total in enumerate(totals):
        share = (
            rest
            if index == len(totals) - 1
            else round_money(paid * (total.base + total.vat) / services)
        )
        parts.append((total.rate, share))
        rest -= share
    return parts


def build_payments(session: Session, start: dt.date, end: dt.date) -> tuple[bytes, int]:
    company = get_company(session)
    root = _header(company, PAYMENTS, start, end)
    report = _sub(root, "PaymentsReport")
    if company.vat_on_debits:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), 0
    channels = _reported_clients(session)
    rows = session.execute(
        select(Allocation, Payment.date, Invoice)
        .join(Payment, Payment.id == Allocation.payment_id)
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .where(
            Payment.date >= start,
            Payment.date <= end,
            Payment.status == PaymentStatus.ACTIVE,
            Allocation.undone_at.is_(None),
            Invoice.client_id.in_(list(channels)),
        )
        .order_by(Payment.date, Invoice.number)
    ).all()
    daily: dict[dt.date, dict[Decimal, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    items = 0
    for allocation, day, invoice in rows:
        if all(line.goods for line in invoice.lines):
            continue  # goods: VAT due on delivery, no payment data
        items += 1
        parts = _split(invoice, allocation.amount)
        if channels[invoice.client_id] == routing.B2B_INT:
            node = _sub(report, "Invoice")
            _sub(node, "InvoiceID", invoice.number or "")
            _sub(node, "IssueDate", _day(invoice.issue_date))
            _payment(node, day, parts)
        else:
            for rate, amount in parts:
                daily[day][rate] += amount
    for day, rates in sorted(daily.items()):
        _payment(_sub(report, "Transactions"), day, sorted(rates.items(), reverse=True))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), items


def _payment(
    parent: etree._Element, day: dt.date, parts: Iterable[tuple[Decimal, Decimal]]
) -> None:
    node = _sub(parent, "Payment")
    _sub(node, "Date", _day(day))
    for rate, amount in parts:
        sub = _sub(node, "SubTotals")
        _sub(sub, "TaxPercent", f"{rate:.2f}")
        _sub(sub, "Amount", f"{amount:.2f}")


def send_period(database: Database, platform: connector.Session, period: str) -> list[Result]:
    """Build, check against the schema, deposit (once) each file of the period."""
    from app.einvoicing.settings import read_settings

    with database.read() as session:
        spans = periods(read_settings(session).vat_regime, period)
        built = []
        for kind, start, end in spans:
            build = build_transactions if kind == TRANSACTIONS else build_payments
            data, items = build(session, start, end)
            built.append((Result(kind, start, end, items), data))
    for result, data in built:
        if not result.items:
            continue
        problems = ereporting_schema.problems(data)
        if problems:
            result.error = f"fichier non conforme au schéma : {problems[0]}"
            continue
        name = f"ER_{result.kind}_{_day(result.start)}_{_day(result.end)}.xml"

        def submit(tracking: str, data: bytes = data, name: str = name) -> dict[str, Any]:
            return platform.submit(data, name=name, syntax="FRR", tracking_id=tracking, rule="B2C")

        try:
            row = outgoing.deposit(
                database,
                submit,
                outgoing._platform_find(platform),
                kind=FlowKind.EREPORTING,
                tracking=outgoing.tracking_id(f"ER.{result.kind[0]}.", _day(result.start), data),
                data=data,
                name=name,
                period=f"{result.start:%d/%m}–{result.end:%d/%m/%Y}",  # fits String(20)
                keep_content=True,
            )
        except PropreoError as exc:
            result.error = str(exc)
            continue
        result.flow_id, result.state_label = row.flow_id, FlowState.LABELS[row.state]
        if row.state == FlowState.ERROR:
            result.error = f"rejeté par la plateforme : {row.reason}"
    return built_results(built)


def built_results(built: list[tuple[Result, bytes]]) -> list[Result]:
    return [result for result, _data in built]
