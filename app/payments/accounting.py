"""Payments in the FEC: bank-journal entries, matching letters, VAT on payment, down-payments.

- Bank journal (BQ), one entry per payment on its date: debit the receiving account
  (512000 bank, 511200 cheques to cash, 530000 cash) / credit 411 (client sub-account),
  one 411 line per invoice it settles carrying the invoice's matching letter
  (EcritureLet) and the date the invoice became settled (DateLet); the unallocated rest
  stays on 411 without a letter. Rounding differences: 658 (loss) / 758 (gain).
  A direct debit returned by the bank adds the reverse entry on the reject date.
- The invoice's own 411 line in the sales journal gets the same letter and date
  (:func:`letter_sales_lines`, an entry filter of ``app.documents.accounting``).
- VAT on payment (firm without the option for debits): on each payment, the VAT included
  in the amount allocated moves from 44574 to 44571 (OD entry), the last allocation that
  settles an invoice taking the remainder so that the whole VAT is moved exactly once.
- Down-payments deducted on a final invoice: the final invoice's 411 debit is the amount
  due; the deducted down-payment's HT is debited back to 4191 and its VAT to the VAT
  account the final invoice credited, so that VAT is not collected twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.documents import accounting as acc
from app.money import ZERO, round_money
from models.clients import Client
from models.company import CompanySettings
from models.invoices import Invoice
from models.payments import Allocation, DownPaymentDeduction, Payment, PaymentMeans
from reports.fec import FecEntry, FecLine

BANK_JOURNAL = ("BQ", "Journal de banque")
MISC_JOURNAL = ("OD", "Opérations diverses")
LOSS_ACCOUNT = "658000"
GAIN_ACCOUNT = "758000"


def _letters(session: Session) -> dict[int, tuple[str, dt.date]]:
    """Invoice id → (letter, DateLet) for every settled invoice."""
    result: dict[int, tuple[str, dt.date]] = {}
    for a in session.scalars(
        select(Allocation).where(Allocation.undone_at.is_(None), Allocation.letter != "")
    ):
        letter, day = result.get(a.invoice_id, (a.letter, a.date))
        result[a.invoice_id] = (letter, max(day, a.date))
    return result


def _deductions(session: Session) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    totals: dict[int, tuple[Decimal, Decimal, Decimal]] = {}
    for d in session.scalars(select(DownPaymentDeduction)):
        ht, vat, ttc = totals.get(d.final_invoice_id, (ZERO, ZERO, ZERO))
        totals[d.final_invoice_id] = (ht + d.amount_ht, vat + d.amount_vat, ttc + d.amount_ttc)
    return totals


def letter_sales_lines(session: Session, entries: list[FecEntry]) -> list[FecEntry]:
    """Put the matching letter on each settled invoice's 411 line; book deducted down-payments."""
    ids = dict(
        session.execute(select(Invoice.number, Invoice.id).where(Invoice.number.is_not(None))).all()
    )
    letters = _letters(session)
    deductions = _deductions(session)
    labels = acc.account_labels(session)
    out = []
    for entry in entries:
        invoice_id = ids.get(entry.piece_ref) if entry.journal == acc.SALES_JOURNAL[0] else None
        if invoice_id is None:
            out.append(entry)
            continue
        lines = list(entry.lines)
        letter = letters.get(invoice_id)
        deducted = deductions.get(invoice_id)
        vat_account = next(
            (ln.account for ln in lines if ln.account in (acc.VAT_ON_DEBITS, acc.VAT_ON_PAYMENT)),
            acc.VAT_ON_PAYMENT,
        )
        for i, line in enumerate(lines):
            if line.account != acc.CLIENT_ACCOUNT:
                continue
            if deducted and line.debit:
                line = replace(line, debit=line.debit - deducted[2])
            if letter:
                line = replace(line, letter=letter[0], letter_date=letter[1])
            lines[i] = line
        if deducted:
            ht, vat, _ttc = deducted
            label = f"{entry.label} — acomptes déduits"
            lines.append(
                FecLine(
                    acc.DOWN_PAYMENT_ACCOUNT,
                    labels.get(acc.DOWN_PAYMENT_ACCOUNT, ""),
                    debit=ht,
                    label=label,
                )
            )
            if vat:
                lines.append(
                    FecLine(
                        vat_account, labels.get(vat_account, vat_account), debit=vat, label=label
                    )
                )
        out.append(replace(entry, lines=tuple(lines)))
    return out


def _client_line(
    labels: dict[str, str],
    aux: str,
    aux_label: str,
    value: Decimal,
    debit: bool = False,
    letter: tuple[str, dt.date] | None = None,
    text: str = "",
) -> FecLine:
    return FecLine(
        acc.CLIENT_ACCOUNT,
        labels.get(acc.CLIENT_ACCOUNT, "Clients"),
        debit=value if debit else ZERO,
        credit=ZERO if debit else value,
        aux_account=aux,
        aux_label=aux_label,
        label=text,
        letter=letter[0] if letter else "",
        letter_date=letter[1] if letter else None,
    )


def _vat_in_due(invoice: Invoice, deducted: tuple[Decimal, Decimal, Decimal] | None) -> Decimal:
    return invoice.total_vat - (deducted[1] if deducted else ZERO)


@acc.register_entry_provider
def bank_entries(session: Session, start: dt.date, end: dt.date) -> list[FecEntry]:
    company = session.get(CompanySettings, 1)
    if company is None:
        return []
    labels = acc.account_labels(session)
    labels.setdefault(LOSS_ACCOUNT, "Écarts de règlement (perte)")
    labels.setdefault(GAIN_ACCOUNT, "Écarts de règlement (gain)")
    letters = _letters(session)
    deductions = _deductions(session)
    clients: dict[int, Client] = {}
    invoices: dict[int, Invoice] = {}
    vat_moved: dict[int, Decimal] = defaultdict(lambda: ZERO)
    entries: list[FecEntry] = []
    payments = session.scalars(
        select(Payment)
        .where(Payment.date <= end)
        .options(selectinload(Payment.allocations))
        .order_by(Payment.date, Payment.id)
    )
    for p in payments:
        if p.client_id not in clients:
            clients[p.client_id] = session.get(Client, p.client_id)  # type: ignore[assignment]
        client = clients[p.client_id]
        aux, aux_label = acc.client_aux(client)
        active = [a for a in p.allocations if a.undone_at is None]
        for a in active:
            if a.invoice_id not in invoices:
                invoices[a.invoice_id] = session.get(Invoice, a.invoice_id)  # type: ignore[assignment]
        label = f"Règlement {PaymentMeans.LABELS.get(p.means, p.means)} {client.name}"[:200]

        # VAT on payment is computed for every payment so that the remainder logic holds
        # across years; only the entries of the period are returned.
        vat_lines: list[tuple[str, Decimal]] = []
        for a in active:
            invoice = invoices[a.invoice_id]
            if invoice is None or acc._vat_on_debits(invoice, company):
                continue
            vat_total = _vat_in_due(invoice, deductions.get(invoice.id))
            if not vat_total or not invoice.amount_due:
                continue
            settled = a.invoice_id in letters and letters[a.invoice_id][1] == a.date
            share = (
                vat_total - vat_moved[invoice.id]
                if settled
                else round_money(vat_total * a.amount / invoice.amount_due)
            )
            share = min(share, vat_total - vat_moved[invoice.id])
            if share > ZERO:
                vat_moved[invoice.id] += share
                vat_lines.append((invoice.number or "", share))
        if not start <= p.date <= end and not (p.rejected_on and start <= p.rejected_on <= end):
            continue
        if start <= p.date <= end:
            bank = p.bank_account or "512000"
            lines = [FecLine(bank, labels.get(bank, bank), debit=p.amount)]
            writeoffs = ZERO
            for a in active:
                number = invoices[a.invoice_id].number if invoices[a.invoice_id] else ""
                letter = letters.get(a.invoice_id)
                lines.append(
                    _client_line(
                        labels, aux, aux_label, a.amount, letter=letter, text=f"{label} — {number}"
                    )
                )
                if a.writeoff:
                    writeoffs += a.writeoff
                    lines.append(
                        _client_line(
                            labels,
                            aux,
                            aux_label,
                            a.writeoff,
                            letter=letter,
                            text=f"Écart de règlement {number}",
                        )
                    )
            allocated = sum((a.amount for a in active), ZERO)
            rest = p.amount - allocated - p.excess_writeoff
            if rest > ZERO:
                lines.append(
                    _client_line(labels, aux, aux_label, rest, text=f"{label} — non affecté")
                )
            if p.excess_writeoff:
                lines.append(FecLine(GAIN_ACCOUNT, labels[GAIN_ACCOUNT], credit=p.excess_writeoff))
            if writeoffs:
                lines.append(FecLine(LOSS_ACCOUNT, labels[LOSS_ACCOUNT], debit=writeoffs))
            entries.append(
                FecEntry(
                    BANK_JOURNAL[0], BANK_JOURNAL[1], p.date, p.number, p.date, label, tuple(lines)
                )
            )
            if vat_lines:
                vat_label = f"TVA sur encaissement {p.number}"
                od = []
                for number, value in vat_lines:
                    od.append(
                        FecLine(
                            acc.VAT_ON_PAYMENT,
                            labels.get(acc.VAT_ON_PAYMENT, ""),
                            debit=value,
                            label=f"{vat_label} — {number}",
                        )
                    )
                    od.append(
                        FecLine(
                            acc.VAT_ON_DEBITS,
                            labels.get(acc.VAT_ON_DEBITS, ""),
                            credit=value,
                            label=f"{vat_label} — {number}",
                        )
                    )
                entries.append(
                    FecEntry(
                        MISC_JOURNAL[0],
                        MISC_JOURNAL[1],
                        p.date,
                        p.number,
                        p.date,
                        vat_label,
                        tuple(od),
                    )
                )
        if p.rejected_on and start <= p.rejected_on <= end:
            bank = p.bank_account or "512000"
            text = f"Rejet {p.number} : {p.reject_reason}"[:200]
            entries.append(
                FecEntry(
                    BANK_JOURNAL[0],
                    BANK_JOURNAL[1],
                    p.rejected_on,
                    p.number,
                    p.rejected_on,
                    text,
                    (
                        _client_line(labels, aux, aux_label, p.amount, debit=True, text=text),
                        FecLine(bank, labels.get(bank, bank), credit=p.amount),
                    ),
                )
            )
    return entries


acc.ENTRY_FILTERS.append(
    letter_sales_lines
) if letter_sales_lines not in acc.ENTRY_FILTERS else None
