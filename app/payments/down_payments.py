"""Down-payments (acomptes) on services.

1. The down-payment invoice: its own invoice, with VAT, in the normal invoice numbering
   (``InvoiceKind.DOWN_PAYMENT``, series "invoice"), asked for on a quote or a contract;
   its line is booked to account 4191 (clients - avances et acomptes reçus). It is paid
   like any invoice (allocation of a payment).
2. The final invoice deducts it: the final invoice bills the whole service (total HT, VAT,
   TTC); each deducted down-payment is recorded (HT, VAT, TTC) and cited in the invoice
   notes with its number and date; ``prepaid_total`` takes the TTC deducted and
   ``amount_due`` = total TTC − prepaid (EN 16931 BT-113 / BT-115).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.billing.invoices import DraftLine, create_draft_invoice, get_invoice
from app.billing.issue_new import Confirm, Issued, issue_new
from app.db import Database
from app.errors import NotFoundError, StateError, ValidationError
from app.money import ZERO, format_amount, round_money, to_decimal
from app.users import require
from models.catalog import VatRate
from models.contracts import Contract
from models.invoices import Invoice, InvoiceKind, InvoiceStatus
from models.payments import DownPaymentDeduction, DownPaymentOrigin
from models.quotes import Quote

DOWN_PAYMENT_ACCOUNT = "419100"
HUNDRED = Decimal(100)


def _amount_ht(
    base: Decimal | None, percent: str | Decimal | None, amount_ht: str | Decimal | None
) -> tuple[Decimal, Decimal | None]:
    if amount_ht not in (None, ""):
        value = to_decimal(amount_ht, field="Montant HT de l'acompte")
        pct = None
    elif percent not in (None, ""):
        pct = to_decimal(percent, field="Pourcentage d'acompte")
        if not ZERO < pct <= HUNDRED:
            raise ValidationError(
                "Pourcentage d'acompte", "Le pourcentage d'acompte doit être entre 0 et 100."
            )
        if base is None:
            raise ValidationError(
                "Pourcentage d'acompte", "Un pourcentage suppose un devis ou un contrat chiffré."
            )
        value = round_money(base * pct / HUNDRED)
    else:
        raise ValidationError("Montant HT de l'acompte", "Indiquez le montant ou le pourcentage.")
    if value <= ZERO or round_money(value) != value:
        raise ValidationError(
            "Montant HT de l'acompte", "Le montant de l'acompte doit être positif, au centime."
        )
    return value, pct


def parse_share(text: str) -> dict[str, str]:
    """« 30 % » → percent, anything else → amount HT (French comma and € accepted)."""
    text = text.strip()
    if text.endswith("%"):
        return {"percent": text.rstrip("%").strip().replace(",", ".")}
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    return {"amount_ht": cleaned.replace(",", ".")}


def vat_shares(quote: Quote | None, value: Decimal) -> list[tuple[int, Decimal]]:
    """A down-payment on a quote takes the VAT of the quote's lines: ``value`` HT split
    over their VAT rates in proportion of each rate's HT (the last rate takes the rounding
    remainder, so the parts add up to the cent). Empty when the quote has no priced line."""
    if quote is None:
        return []
    bases: dict[int, Decimal] = {}
    for line in quote.lines:
        bases[line.vat_rate_id] = bases.get(line.vat_rate_id, ZERO) + line.total_ht
    bases = {rate: base for rate, base in bases.items() if base > ZERO}
    total = sum(bases.values(), ZERO)
    if total <= ZERO:
        return []
    parts, left = [], value
    for i, (rate, base) in enumerate(bases.items()):
        amount = left if i == len(bases) - 1 else round_money(value * base / total)
        parts.append((rate, amount))
        left -= amount
    return [(rate, amount) for rate, amount in parts if amount > ZERO]


def _standard_rate(session: Session) -> int:
    """The standard rate (T20) of a down payment that names no rate and whose quote has none."""
    rate_id = session.scalar(select(VatRate.id).where(VatRate.code == "T20"))
    if rate_id is None:
        raise NotFoundError("Taux de TVA normal (T20) introuvable : voir Paramètres, TVA.")
    return rate_id


def create_down_payment_invoice(
    session: Session,
    *,
    issue_date: dt.date,
    quote_id: int | None = None,
    contract_id: int | None = None,
    client_id: int | None = None,
    percent: str | Decimal | None = None,
    amount_ht: str | Decimal | None = None,
    vat_rate_id: int | None = None,
) -> Invoice:
    """A draft down-payment invoice on a quote or a contract (issued like any draft; from
    a dialog or the CLI: :func:`issue_down_payment_invoice`)."""
    require(session, "issue_invoice")
    quote = session.get(Quote, quote_id) if quote_id else None
    contract = session.get(Contract, contract_id) if contract_id else None
    if quote_id and quote is None:
        raise NotFoundError("Devis introuvable (n° interne {id}).", id=quote_id)
    if contract_id and contract is None:
        raise NotFoundError("Contrat introuvable (n° interne {id}).", id=contract_id)
    if quote is not None:
        client = client_id or quote.client_id
        reference = f"devis n° {quote.reference} du {quote.quote_date:%d/%m/%Y}"
        if quote.title:
            reference += f" ({quote.title})"
    elif contract is not None:
        client = client_id or contract.client_id
        reference = f"contrat n° {contract.code}"
    else:
        raise ValidationError("Devis", "Un acompte se demande sur un devis ou un contrat.")
    base = quote.total_ht if quote is not None else None
    value, pct = _amount_ht(base, percent, amount_ht)
    if base is not None and value > base:
        raise ValidationError(
            "Montant HT de l'acompte",
            "L'acompte dépasse le montant HT du devis ({total}).",
            total=format_amount(base),
        )
    share = f"{pct.normalize():f} % " if pct is not None else ""
    if vat_rate_id is not None:
        parts = [(vat_rate_id, value)]
    else:
        parts = vat_shares(quote, value) or [(_standard_rate(session), value)]
    rates = {r.id: r for r in session.scalars(select(VatRate))} if len(parts) > 1 else {}
    invoice = create_draft_invoice(
        session,
        client,
        [
            DraftLine(
                description=f"Acompte {share}sur {reference}"
                + (f" — part {rates[rate_id].label}" if rates else ""),
                quantity="1",
                unit_price=amount,
                vat_rate_id=rate_id,
            )
            for rate_id, amount in parts
        ],
        issue_date=issue_date,
        kind=InvoiceKind.DOWN_PAYMENT,
        site_id=quote.site_id if quote is not None else None,
        contract_id=contract.id if contract is not None else None,
        title=f"Facture d'acompte sur {reference}",
        notes="Acompte à valoir sur la facture définitive, qui le déduira.",
    )
    for line in invoice.lines:
        line.revenue_account = DOWN_PAYMENT_ACCOUNT
    session.add(
        DownPaymentOrigin(
            invoice_id=invoice.id,
            quote_id=quote.id if quote else None,
            contract_id=contract.id if contract else None,
            percent=pct,
        )
    )
    session.flush()
    return invoice


def issue_down_payment_invoice(
    database: Database, *, confirm: Confirm | None = None, **values: Any
) -> Issued | None:
    """The down-payment use case of the dialog and the CLI: the invoice
    :func:`create_down_payment_invoice` makes from ``values``, saved as a draft, checked
    outside any write, then numbered (:mod:`app.billing.issue_new`); None when the user
    declines the confirmation."""
    return issue_new(
        database, lambda session: create_down_payment_invoice(session, **values), confirm=confirm
    )


def deduct(
    session: Session, final_invoice_id: int, down_payment_ids: list[int]
) -> list[DownPaymentDeduction]:
    """Deduct issued down-payment invoices from a draft final invoice of the same client."""
    require(session, "issue_invoice")
    final = get_invoice(session, final_invoice_id)
    if final.status != InvoiceStatus.DRAFT or final.kind != InvoiceKind.INVOICE:
        raise StateError("Les acomptes se déduisent sur une facture définitive encore provisoire.")
    already = set(session.scalars(select(DownPaymentDeduction.down_payment_invoice_id)))
    created = []
    for dp_id in dict.fromkeys(down_payment_ids):
        dp = session.get(Invoice, dp_id)
        if dp is None or dp.kind != InvoiceKind.DOWN_PAYMENT or dp.status != InvoiceStatus.ISSUED:
            raise ValidationError("Acompte", "Seule une facture d'acompte émise peut être déduite.")
        if dp.client_id != final.client_id:
            raise ValidationError(
                "Acompte", "La facture d'acompte {number} est d'un autre client.", number=dp.number
            )
        if dp.id in already:
            raise StateError(
                "L'acompte {number} est déjà déduit d'une autre facture.", number=dp.number
            )
        if dp.issue_date > final.issue_date:
            raise ValidationError(
                "Acompte", "L'acompte {number} est postérieur à la facture.", number=dp.number
            )
        if final.prepaid_total + dp.total_ttc > final.total_ttc:
            raise ValidationError(
                "Acompte", "Les acomptes déduits dépasseraient le total TTC de la facture."
            )
        deduction = DownPaymentDeduction(
            final_invoice_id=final.id,
            down_payment_invoice_id=dp.id,
            amount_ht=dp.total_ht,
            amount_vat=dp.total_vat,
            amount_ttc=dp.total_ttc,
        )
        session.add(deduction)
        final.prepaid_total = (final.prepaid_total or ZERO) + dp.total_ttc
        final.amount_due = final.total_ttc - final.prepaid_total
        citation = deduction_text(dp)
        final.notes = f"{final.notes}\n{citation}".strip()
        audit.record(
            session,
            "invoice",
            final.id,
            "down_payment",
            f"Acompte déduit : {citation}",
            client_id=final.client_id,
        )
        created.append(deduction)
        already.add(dp.id)
    session.flush()
    return created


def deduction_text(dp: Invoice) -> str:
    """How the final invoice cites a deducted down-payment (number, date, amounts)."""
    return (
        f"Acompte déduit : facture d'acompte n° {dp.number} du {dp.issue_date:%d/%m/%Y}, "
        f"{format_amount(dp.total_ht)} HT, TVA {format_amount(dp.total_vat)}, "
        f"{format_amount(dp.total_ttc)} TTC."
    )


def down_payments_of_quote(session: Session, quote_id: int) -> list[Invoice]:
    return list(
        session.scalars(
            select(Invoice)
            .join(DownPaymentOrigin, DownPaymentOrigin.invoice_id == Invoice.id)
            .where(DownPaymentOrigin.quote_id == quote_id, Invoice.status == InvoiceStatus.ISSUED)
            .order_by(Invoice.issue_date, Invoice.id)
        )
    )


def deduct_for_quote(
    session: Session, invoice: Invoice, quote_id: int
) -> list[DownPaymentDeduction]:
    """Hook called by ``app.quotes.invoicing``: deduct the quote's down-payments not yet deducted."""
    taken = set(session.scalars(select(DownPaymentDeduction.down_payment_invoice_id)))
    pending = [dp.id for dp in down_payments_of_quote(session, quote_id) if dp.id not in taken]
    if not pending:
        return []
    return deduct(session, invoice.id, pending)


def deduction_references(session: Session, invoice_id: int) -> tuple[str, ...]:
    """« FA2026-00012 du 15/03/2026 » for each down-payment deducted on an invoice."""
    rows = session.execute(
        select(Invoice.number, Invoice.issue_date)
        .join(DownPaymentDeduction, DownPaymentDeduction.down_payment_invoice_id == Invoice.id)
        .where(DownPaymentDeduction.final_invoice_id == invoice_id)
        .order_by(Invoice.issue_date)
    ).all()
    return tuple(f"{number} du {day:%d/%m/%Y}" for number, day in rows)
