"""Payments in the FEC: bank-journal entries, matching letters, VAT on payment, down-payments.

- Bank journal (BQ), one entry per payment on its date: debit the receiving account
  (512000 bank, 511200 cheques to cash, 530000 cash) / credit 411 (client sub-account),
  one 411 line per invoice it settles; the unallocated rest stays on 411.
  Rounding differences: 658 (loss) / 758 (gain). A direct debit returned by the bank keeps
  its entry as booked (settling the invoices) and adds the reverse entry on the reject date:
  411 debited again per invoice (the invoice's group is open again), its VAT back from
  44571 to 44574, so that the entries of a closed year do not change when the payment is
  returned after the closing. A cheque remittance slip moves the cheques booked
  on 511200 to the bank account of the slip.
- Matching letters (:func:`letter_client_lines`, the last entry filter): the 411 lines of
  one client sharing a matching key (:attr:`reports.fec.FecLine.item`: the invoice, its
  credit notes, the payments and write-offs allocated to it; or a payment's unallocated
  money and its reject) form a group, looked at as at the FEC's closing date:
  * the group balances → UPPERCASE code on all its lines (lettrage total), DateLet = the
    date of its last line. A credit note citing the invoice is part of its group, so an
    invoice cancelled by a credit note, or partly credited and paid for the rest, is
    lettered too. When the payments alone balance the invoice (credit note issued after
    payment in full), they are lettered and the credit note stays open (money owed back).
  * lines on both sides that do not balance yet → the same code in lowercase (lettrage
    partiel, the usual convention of French accounting software), DateLet = last line.
  * a single line → no letter.
  4191 is lettered the same way per down-payment invoice (its invoice and the final
  invoices deducting it; the code counted down from ZZZ).
  The code is the allocation's stored letter (A, B…, shown in Règlements) when the invoice
  has one (given when payments, with the credit notes citing it, settle the invoice);
  otherwise a code counted down from ZZZ per client, indexed by the order in which the
  groups appeared, so it never collides with stored letters and every year's file exported
  from the same data shows the same code for a group (an AN line and its later settlement
  share it). A group settled later by a payment takes that payment's letter from then on.
- VAT on payment (firm without the option for debits): on each payment, the VAT included
  in the amount allocated moves from 44574 to 44571 (OD entry); credit notes citing the
  invoice issued by the payment date reduce both its VAT and the amount to pay; the
  allocation that settles the invoice takes the remainder so that the whole VAT is moved
  exactly once. A credit note issued after payment in full leaves its VAT as a debit on
  44574 (VAT to recover when the money is paid back).
- Down-payments deducted on a final invoice: the final invoice's 411 debit is the amount
  due; each deducted down-payment's HT is debited back to 4191 (one line per down-payment,
  for its lettering) and its VAT to the VAT account the final invoice credited, so that VAT
  is not collected twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.documents import accounting as acc
from app.errors import StateError
from app.lookup import get_row
from app.money import ZERO, round_money
from models.company import CompanySettings
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from models.payments import (
    Allocation,
    ChequeRemittance,
    ChequeRemittanceLine,
    DownPaymentDeduction,
    Payment,
    PaymentMeans,
    PaymentStatus,
)
from reports.fec import FecEntry, FecLine

BANK_JOURNAL = ("BQ", "Journal de banque")
MISC_JOURNAL = ("OD", "Opérations diverses")
LOSS_ACCOUNT = "658000"
GAIN_ACCOUNT = "758000"
# How app.payments.sepa_bank words the undoing of the allocations of a returned direct debit.
REJECT_REASON_PREFIX = "Rejet"


def _stored_letters(session: Session) -> dict[str, str]:
    """Invoice number → the letter its active allocations share (invoice settled)."""
    rows = session.execute(
        select(Invoice.number, Allocation.letter)
        .join(Allocation, Allocation.invoice_id == Invoice.id)
        .where(Allocation.undone_at.is_(None), Allocation.letter != "")
    )
    return {number: letter for number, letter in rows if number}


def _deductions(session: Session) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    totals: dict[int, tuple[Decimal, Decimal, Decimal]] = {}
    for d in session.scalars(select(DownPaymentDeduction)):
        ht, vat, ttc = totals.get(d.final_invoice_id, (ZERO, ZERO, ZERO))
        totals[d.final_invoice_id] = (ht + d.amount_ht, vat + d.amount_vat, ttc + d.amount_ttc)
    return totals


def _deducted_down_payments(session: Session) -> dict[int, list[tuple[str, Decimal]]]:
    """Final invoice id → (down-payment invoice number, HT deducted), for 4191 lettering."""
    result: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    rows = session.execute(
        select(
            DownPaymentDeduction.final_invoice_id, Invoice.number, DownPaymentDeduction.amount_ht
        )
        .join(Invoice, Invoice.id == DownPaymentDeduction.down_payment_invoice_id)
        .order_by(DownPaymentDeduction.id)
    )
    for final_id, number, ht in rows:
        result[final_id].append((number or "", ht))
    return result


def _credit_notes(
    session: Session, end: dt.date
) -> dict[int, list[tuple[dt.date, Decimal, Decimal]]]:
    """Invoice id → (date, TTC, VAT) of the issued credit notes citing it, up to ``end``."""
    notes: dict[int, list[tuple[dt.date, Decimal, Decimal]]] = defaultdict(list)
    rows = session.execute(
        select(
            Invoice.origin_invoice_id, Invoice.issue_date, Invoice.total_ttc, Invoice.total_vat
        ).where(
            Invoice.kind == InvoiceKind.CREDIT_NOTE,
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.origin_invoice_id.is_not(None),
            Invoice.issue_date <= end,
        )
    )
    for origin_id, day, ttc, vat in rows:
        if origin_id is not None:  # the query keeps credit notes that cite an invoice
            notes[origin_id].append((day, ttc, vat))
    return notes


def book_deductions(session: Session, entries: list[FecEntry]) -> list[FecEntry]:
    """Final invoices deducting down-payments: 411 reduced to the amount due, 4191 and the
    down-payment's VAT debited back."""
    deductions = _deductions(session)
    if not deductions:
        return entries
    per_down_payment = _deducted_down_payments(session)
    ids = dict(
        session.execute(
            select(Invoice.number, Invoice.id).where(Invoice.id.in_(list(deductions)))
        ).all()
    )
    labels = acc.account_labels(session)
    out = []
    for entry in entries:
        invoice_id = ids.get(entry.piece_ref) if entry.journal == acc.SALES_JOURNAL[0] else None
        deducted = deductions.get(invoice_id) if invoice_id is not None else None
        if deducted is None:
            out.append(entry)
            continue
        lines = list(entry.lines)
        vat_account = next(
            (ln.account for ln in lines if ln.account in (acc.VAT_ON_DEBITS, acc.VAT_ON_PAYMENT)),
            acc.VAT_ON_PAYMENT,
        )
        for i, line in enumerate(lines):
            if line.account == acc.CLIENT_ACCOUNT and line.debit:
                lines[i] = replace(line, debit=line.debit - deducted[2])
        _ht, vat, _ttc = deducted
        label = f"{entry.label} — acomptes déduits"
        for number, ht in per_down_payment.get(invoice_id, []):  # type: ignore[arg-type]
            lines.append(
                FecLine(
                    acc.DOWN_PAYMENT_ACCOUNT,
                    labels.get(acc.DOWN_PAYMENT_ACCOUNT, ""),
                    debit=ht,
                    label=f"{entry.label} — acompte {number} déduit",
                    item=number,
                )
            )
        if vat:
            lines.append(
                FecLine(vat_account, labels.get(vat_account, vat_account), debit=vat, label=label)
            )
        out.append(replace(entry, lines=tuple(lines)))
    return out


def _entered(day: dt.date, created_at: dt.datetime | None) -> dt.date:
    """ValidDate: the day the payment (or slip) was entered in Propreo, never before its date."""
    return max(day, created_at.date()) if created_at else day


def _client_line(
    labels: dict[str, str],
    aux: str,
    aux_label: str,
    value: Decimal,
    item: str,
    debit: bool = False,
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
        item=item,
    )


class _VatOnPayment:
    """Share of an invoice's VAT that each allocation moves from 44574 to 44571."""

    def __init__(self, session: Session, company: CompanySettings, end: dt.date) -> None:
        self.company = company
        self.deductions = _deductions(session)
        self.credited = _credit_notes(session, end)
        self.moved: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
        # Invoices selling goods: their goods VAT was due on delivery (44571 at once).
        self.with_goods = set(
            session.scalars(select(InvoiceLine.invoice_id).where(InvoiceLine.goods).distinct())
        )

    def share(self, invoice: Invoice | None, allocation: Allocation) -> Decimal:
        if invoice is None or acc._vat_on_debits(invoice, self.company):
            return ZERO
        deducted = self.deductions.get(invoice.id)
        # Credit notes issued by the payment date reduce what is paid for and its VAT; one
        # issued after payment in full leaves a debit on 44574 until the money is returned.
        notes = [n for n in self.credited.get(invoice.id, ()) if n[0] <= allocation.date]
        credited_ttc = sum((n[1] for n in notes), ZERO)
        credited_vat = sum((n[2] for n in notes), ZERO)
        vat_total = invoice.total_vat - (deducted[1] if deducted else ZERO) - credited_vat
        if invoice.status == InvoiceStatus.OPENING and invoice.total_ttc:
            # An open item of the previous software (app.imports.open_items): the VAT of
            # what was paid before the switch was moved in that software's books.
            vat_total = round_money(vat_total * invoice.amount_due / invoice.total_ttc)
        if invoice.id in self.with_goods:
            vat_total -= sum(acc.goods_vat(invoice.lines).values(), ZERO)
        due = invoice.amount_due - credited_ttc
        self.paid[invoice.id] += allocation.amount + allocation.writeoff
        left = vat_total - self.moved[invoice.id]
        if vat_total <= ZERO or due <= ZERO or left <= ZERO:
            return ZERO
        if self.paid[invoice.id] >= due:
            share = left  # the allocation settling the invoice takes the remainder
        else:
            share = min(round_money(vat_total * allocation.amount / due), left)
        self.moved[invoice.id] += share
        return share

    def give_back(self, allocation: Allocation, share: Decimal) -> None:
        """A returned payment: its VAT goes back to 44574, the invoice is open again."""
        self.paid[allocation.invoice_id] -= allocation.amount + allocation.writeoff
        self.moved[allocation.invoice_id] -= share


def bank_entries(session: Session, start: dt.date, end: dt.date) -> list[FecEntry]:
    company = session.get(CompanySettings, 1)
    if company is None:
        return []
    labels = acc.account_labels(session)
    labels.setdefault(LOSS_ACCOUNT, "Écarts de règlement (perte)")
    labels.setdefault(GAIN_ACCOUNT, "Écarts de règlement (gain)")
    vat_on_payment = _VatOnPayment(session, company, end)
    clients = acc.all_clients(session)
    invoices: dict[int, Invoice] = {}
    entries: list[FecEntry] = []
    payments = session.scalars(
        select(Payment)
        .where(Payment.date <= end)
        .options(selectinload(Payment.allocations))
        .order_by(Payment.date, Payment.id)
    )
    for p in payments:
        client = clients[p.client_id]
        aux, aux_label = acc.client_aux(client)
        undone_by_reject = _undone_by_reject(p)
        kept = [a for a in p.allocations if a.undone_at is None or a in undone_by_reject]
        for a in kept:
            if a.invoice_id not in invoices:
                invoices[a.invoice_id] = get_row(session, Invoice, a.invoice_id, "Facture")
        label = f"Règlement {PaymentMeans.LABELS.get(p.means, p.means)} {client.name}"[:200]

        # VAT on payment is computed for every payment so that the remainder logic holds
        # across years; only the entries of the period are returned.
        vat_lines: list[tuple[str, Decimal]] = []
        vat_back: list[tuple[str, Decimal]] = []
        for a in kept:
            share = vat_on_payment.share(invoices[a.invoice_id], a)
            if share > ZERO:
                vat_lines.append((invoices[a.invoice_id].number or "", share))
                if a in undone_by_reject:
                    vat_on_payment.give_back(a, share)
                    vat_back.append((invoices[a.invoice_id].number or "", share))
        if start <= p.date <= end:
            entries.append(_payment_entry(p, kept, invoices, labels, aux, aux_label, label))
            if vat_lines:
                entries.append(_vat_entry(p, vat_lines, labels, p.date))
        if p.rejected_on and start <= p.rejected_on <= end:
            entries.append(_reject_entry(p, undone_by_reject, invoices, labels, aux, aux_label))
            if vat_back:
                entries.append(_vat_entry(p, vat_back, labels, p.rejected_on, back=True))
    return entries


def _undone_by_reject(p: Payment) -> list[Allocation]:
    """Allocations a returned direct debit undid: the payment's entry keeps them (it was
    booked that way) and the reject entry reverses them, reopening the invoices."""
    if p.status != PaymentStatus.REJECTED or not p.rejected_on:
        return []
    return [
        a
        for a in p.allocations
        if a.undone_at is not None and a.undo_reason.startswith(REJECT_REASON_PREFIX)
    ]


def _reject_entry(
    p: Payment,
    undone: list[Allocation],
    invoices: dict[int, Invoice],
    labels: dict[str, str],
    aux: str,
    aux_label: str,
) -> FecEntry:
    """The bank takes the money back: 411 debited again per invoice the payment had settled
    (same matching key, so the invoice's group is open again), the rest on the payment."""
    if p.rejected_on is None:
        raise StateError("Le règlement {number} n'a pas de date de rejet.", number=p.number)
    bank = p.bank_account or "512000"
    text = f"Rejet {p.number} : {p.reject_reason}"[:200]
    lines: list[FecLine] = []
    writeoffs = ZERO
    for a in undone:
        number = (invoices[a.invoice_id].number if invoices[a.invoice_id] else "") or ""
        value = a.amount + a.writeoff
        writeoffs += a.writeoff
        lines.append(
            _client_line(
                labels, aux, aux_label, value, number, debit=True, text=f"{text} — {number}"
            )
        )
    rest = p.amount - sum((a.amount for a in undone), ZERO) - p.excess_writeoff
    if rest > ZERO:
        lines.append(_client_line(labels, aux, aux_label, rest, p.number, debit=True, text=text))
    if p.excess_writeoff:
        lines.append(
            FecLine(GAIN_ACCOUNT, labels[GAIN_ACCOUNT], debit=p.excess_writeoff, label=text)
        )
    lines.append(FecLine(bank, labels.get(bank, bank), credit=p.amount))
    if writeoffs:
        lines.append(FecLine(LOSS_ACCOUNT, labels[LOSS_ACCOUNT], credit=writeoffs, label=text))
    return FecEntry(
        BANK_JOURNAL[0], BANK_JOURNAL[1], p.rejected_on, p.number, p.rejected_on, text, tuple(lines)
    )


def _payment_entry(
    p: Payment,
    active: list[Allocation],
    invoices: dict[int, Invoice],
    labels: dict[str, str],
    aux: str,
    aux_label: str,
    label: str,
) -> FecEntry:
    bank = p.bank_account or "512000"
    lines = [FecLine(bank, labels.get(bank, bank), debit=p.amount)]
    writeoffs = ZERO
    for a in active:
        number = (invoices[a.invoice_id].number if invoices[a.invoice_id] else "") or ""
        lines.append(
            _client_line(labels, aux, aux_label, a.amount, number, text=f"{label} — {number}")
        )
        if a.writeoff:
            writeoffs += a.writeoff
            text = f"Écart de règlement {number}"
            lines.append(_client_line(labels, aux, aux_label, a.writeoff, number, text=text))
    allocated = sum((a.amount for a in active), ZERO)
    rest = p.amount - allocated - p.excess_writeoff
    if rest > ZERO:
        text = f"{label} — non affecté"
        lines.append(_client_line(labels, aux, aux_label, rest, p.number, text=text))
    if p.excess_writeoff:
        lines.append(FecLine(GAIN_ACCOUNT, labels[GAIN_ACCOUNT], credit=p.excess_writeoff))
    if writeoffs:
        lines.append(FecLine(LOSS_ACCOUNT, labels[LOSS_ACCOUNT], debit=writeoffs))
    return FecEntry(
        BANK_JOURNAL[0],
        BANK_JOURNAL[1],
        p.date,
        p.number,
        p.date,
        label,
        tuple(lines),
        valid_date=_entered(p.date, p.created_at),
    )


def _vat_entry(
    p: Payment,
    vat_lines: list[tuple[str, Decimal]],
    labels: dict[str, str],
    day: dt.date,
    back: bool = False,
) -> FecEntry:
    """44574 → 44571 on payment; the reverse (``back``) on the reject date of a returned one."""
    vat_label = f"{'Rejet ' if back else ''}TVA sur encaissement {p.number}"
    od = []
    for number, value in vat_lines:
        text = f"{vat_label} — {number}"
        due, collected = (
            (acc.VAT_ON_DEBITS, acc.VAT_ON_PAYMENT)
            if back
            else (
                acc.VAT_ON_PAYMENT,
                acc.VAT_ON_DEBITS,
            )
        )
        od.append(FecLine(due, labels.get(due, due), debit=value, label=text))
        od.append(FecLine(collected, labels.get(collected, collected), credit=value, label=text))
    return FecEntry(
        MISC_JOURNAL[0],
        MISC_JOURNAL[1],
        day,
        p.number,
        day,
        vat_label,
        tuple(od),
        valid_date=day if back else _entered(p.date, p.created_at),
    )


def remittance_entries(session: Session, start: dt.date, end: dt.date) -> list[FecEntry]:
    """Cheque remittance slip: the cheques booked on another account (511200 « chèques à
    encaisser ») move to the slip's bank account on the remittance date."""
    labels = acc.account_labels(session)
    entries = []
    remittances = session.scalars(
        select(ChequeRemittance)
        .where(ChequeRemittance.date >= start, ChequeRemittance.date <= end)
        .options(selectinload(ChequeRemittance.lines).selectinload(ChequeRemittanceLine.payment))
        .order_by(ChequeRemittance.date, ChequeRemittance.id)
    )
    for r in remittances:
        moved: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in r.lines:
            account = line.payment.bank_account or "512000"
            if account != r.bank_account:
                moved[account] += line.payment.amount
        if not moved:
            continue
        text = f"Remise de chèques {r.reference}"
        total = sum(moved.values(), ZERO)
        lines = [FecLine(r.bank_account, labels.get(r.bank_account, r.bank_account), debit=total)]
        lines += [
            FecLine(account, labels.get(account, account), credit=value)
            for account, value in sorted(moved.items())
        ]
        entries.append(
            FecEntry(
                BANK_JOURNAL[0],
                BANK_JOURNAL[1],
                r.date,
                r.reference,
                r.date,
                text,
                tuple(lines),
                valid_date=_entered(r.date, r.created_at),
            )
        )
    return entries


def generated_code(index: int) -> str:
    """Letter code of the ``index``-th group (0-based) without a stored letter: counted down
    from ZZZ (ZZZ, ZZY, …), far from the stored letters that count up from A."""
    width, space = 3, 26**3
    while index >= space:
        index -= space
        width += 1
        space = 26**width
    n = space - 1 - index
    text = ""
    for _ in range(width):
        n, rest = divmod(n, 26)
        text = chr(ord("A") + rest) + text
    return text


def letter_groups(entries: list[FecEntry], stored: dict[str, str]) -> list[FecEntry]:
    """Matching letters on the lines of the lettered accounts (411 per client, 4191 per
    down-payment invoice) of ``entries`` (pure; see the module docstring)."""
    groups: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for i, entry in enumerate(entries):
        for j, line in enumerate(entry.lines):
            if line.item and line.account in acc.LETTERED_ACCOUNTS:
                if line.account == acc.CLIENT_ACCOUNT and not line.aux_account:
                    continue
                groups[(line.account, line.aux_account, line.item)].append((i, j))
    # Code of the groups without stored letter: by order of appearance per (sub-)account.
    order: dict[tuple[str, str], list[tuple[dt.date, str]]] = defaultdict(list)
    for (account, aux, item), where in groups.items():
        order[(account, aux)].append((min(entries[i].date for i, _ in where), item))
    codes: dict[tuple[str, str, str], str] = {}
    for (account, aux), items in order.items():
        own = stored if account == acc.CLIENT_ACCOUNT else {}
        taken = {own[item] for _, item in items if item in own}
        index = 0
        for _, item in sorted(items):
            code = generated_code(index)
            while code in taken:
                index += 1
                code = generated_code(index)
            index += 1
            codes[(account, aux, item)] = own.get(item) or code
    letters: dict[tuple[int, int], tuple[str, dt.date]] = {}
    for key, where in groups.items():
        lettered, partial = _lettered(entries, where)
        if lettered:
            day = max(entries[i].date for i, _ in lettered)
            code = codes[key].lower() if partial else codes[key]
            letters.update(dict.fromkeys(lettered, (code, day)))
    out = []
    for i, entry in enumerate(entries):
        lines = list(entry.lines)
        changed = False
        for j, line in enumerate(lines):
            if (i, j) in letters:
                code, day = letters[(i, j)]
                lines[j] = replace(line, letter=code, letter_date=day)
                changed = True
        out.append(replace(entry, lines=tuple(lines)) if changed else entry)
    return out


def _lettered(
    entries: list[FecEntry], where: list[tuple[int, int]]
) -> tuple[list[tuple[int, int]], bool]:
    """The lines of a group that get its code, and whether the lettering is partial."""

    def balance(positions: list[tuple[int, int]]) -> Decimal:
        return sum(
            (entries[i].lines[j].debit - entries[i].lines[j].credit for i, j in positions), ZERO
        )

    if len(where) < 2:
        return [], False
    if not balance(where):
        return where, False
    # Paid in full before a credit note: the payments balance the invoice on their own.
    without_credit_notes = [
        (i, j)
        for i, j in where
        if not (entries[i].journal == acc.SALES_JOURNAL[0] and entries[i].lines[j].credit)
    ]
    if (
        len(without_credit_notes) >= 2
        and len(without_credit_notes) < len(where)
        and not balance(without_credit_notes)
    ):
        return without_credit_notes, False
    has_debit = any(entries[i].lines[j].debit for i, j in where)
    has_credit = any(entries[i].lines[j].credit for i, j in where)
    return (where, True) if has_debit and has_credit else ([], False)


def letter_client_lines(session: Session, entries: list[FecEntry]) -> list[FecEntry]:
    """Entry filter: matching letters as at the last date of ``entries``."""
    return letter_groups(entries, _stored_letters(session))
