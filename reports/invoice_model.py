"""Plain values describing one invoice or credit note as printed and as exported.

``app.documents.build`` maps an issued invoice (and its frozen snapshots) to an
:class:`InvoiceDocument`; the PDF, the Factur-X XML and the statements are rendered from
it alone, so the same values feed the human and the machine readable documents.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from app.money import ZERO, round_money, vat_amount

# UNTDID 1001 document type codes used by the firm.
INVOICE = "380"
CREDIT_NOTE = "381"
DOWN_PAYMENT = "386"
TYPE_LABELS = {INVOICE: "Facture", CREDIT_NOTE: "Avoir", DOWN_PAYMENT: "Facture d'acompte"}

# EN 16931 VAT category codes (UNTDID 5305).
VAT_STANDARD = "S"
VAT_REVERSE_CHARGE = "AE"
VAT_EXEMPT = "E"  # franchise en base (art. 293 B du CGI)
VAT_OUT_OF_SCOPE = "O"  # not subject to French VAT (building abroad, art. 259 A 2° du CGI)

# UNTDID 4461 payment means.
MEANS_TRANSFER = "30"
MEANS_SEPA_TRANSFER = "58"
MEANS_DIRECT_DEBIT = "59"
MEANS_CHEQUE = "20"
MEANS_CARD = "48"
MEANS_CASH = "10"
MEANS_LABELS = {
    MEANS_TRANSFER: "Virement",
    MEANS_SEPA_TRANSFER: "Virement SEPA",
    MEANS_DIRECT_DEBIT: "Prélèvement SEPA",
    MEANS_CHEQUE: "Chèque",
    MEANS_CARD: "Carte bancaire",
    MEANS_CASH: "Espèces",
}

OPERATION_CATEGORY = "Prestation de services"
INDEMNITY_TEXT = (
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € "
    "(art. L441-10 et D441-5 du Code de commerce)."
)
REVERSE_CHARGE_TEXT = "Autoliquidation – TVA due par le preneur (art. 283-2 nonies du CGI)."
FRANCHISE_TEXT = "TVA non applicable, art. 293 B du CGI."
DEBITS_OPTION_TEXT = "Option pour le paiement de la taxe d'après les débits."


@dataclass(frozen=True)
class Address:
    street: str = ""
    street2: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "FR"

    def lines(self) -> list[str]:
        town = " ".join(p for p in (self.postcode, self.city) if p)
        return [line for line in (self.street, self.street2, town) if line]

    @property
    def is_empty(self) -> bool:
        return not (self.street or self.city)


@dataclass(frozen=True)
class Party:
    """Seller or buyer as it stood when the document was issued."""

    name: str
    address: Address = field(default_factory=Address)
    # Lines printed in the address block, when they differ from name + address
    # (e.g. "SDC Les Tilleuls, 4 rue X" / "c/o Régie Dupont" / its street / town).
    address_lines: tuple[str, ...] = ()
    legal_form: str = ""
    share_capital: Decimal | None = None
    siren: str = ""
    siret: str = ""
    rcs_city: str = ""
    vat_number: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    electronic_address: str = ""
    electronic_address_scheme: str = "0225"
    code: str = ""  # client code (buyer) printed for reference
    professional: bool = True
    public_body: bool = False
    service_code: str = ""  # Chorus Pro service code (public buyers)

    def block_lines(self) -> list[str]:
        if self.address_lines:
            return list(self.address_lines)
        return [self.name, *self.address.lines()]


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit: str  # printed unit ("h", "m²", "forfait", "mois"...)
    unit_price: Decimal  # HT, 4 decimals
    vat_rate: Decimal  # percent, e.g. Decimal("20")
    total: Decimal  # HT after discount, rounded (app.money.line_total)
    discount: Decimal = ZERO
    unit_code: str = "C62"  # UN/ECE rec. 20 code for the XML
    vat_category: str = VAT_STANDARD
    detail: str = ""  # second, smaller line (site, period...)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    account: str = ""  # revenue account (706x) for the journals


@dataclass(frozen=True)
class VatBreakdown:
    category: str
    rate: Decimal
    base: Decimal
    amount: Decimal
    exemption_reason: str = ""


@dataclass(frozen=True)
class PaymentMeans:
    code: str = MEANS_SEPA_TRANSFER
    iban: str = ""
    bic: str = ""
    bank_name: str = ""
    account_name: str = ""
    mandate_reference: str = ""  # SEPA direct debit (RUM)
    debtor_iban: str = ""
    creditor_id: str = ""
    collection_date: dt.date | None = None  # direct debit: the pre-notified date

    @property
    def label(self) -> str:
        return MEANS_LABELS.get(self.code, "Virement")

    @property
    def payee_line(self) -> str:
        """Cheques: whom to make them out to (the bank details are for transfers only)."""
        if self.code == MEANS_CHEQUE and self.account_name:
            return f"Règlement par chèque à l'ordre de {self.account_name}."
        return ""


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    type_code: str
    issue_date: dt.date
    due_date: dt.date
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    delivery_name: str = ""
    delivery_address: Address | None = None
    purchase_order: str = ""
    contract_reference: str = ""
    original_number: str = ""  # credit notes: the corrected invoice
    original_date: dt.date | None = None
    prepaid: Decimal = ZERO  # down-payments already invoiced and paid, deducted
    prepaid_references: tuple[str, ...] = ()
    payment: PaymentMeans = field(default_factory=PaymentMeans)
    terms_text: str = ""  # e.g. "30 jours net"
    penalty_text: str = ""
    indemnity_text: str = INDEMNITY_TEXT  # public buyers: Code de la commande publique
    early_payment_text: str = "Pas d'escompte pour paiement anticipé."
    vat_on_debits: bool = False
    vat_franchise: bool = False
    notes: tuple[str, ...] = ()
    currency: str = "EUR"
    logo_png: bytes | None = None
    sap_declaration: str = ""
    # Services à la personne mentions (art. D7233-1 du Code du travail), see app.sap.
    sap_mentions: tuple[str, ...] = ()
    # Pre-computed breakdown (C's vat_breakdown); computed from lines when empty.
    breakdown: tuple[VatBreakdown, ...] = ()

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type_code, "Facture")

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE

    @property
    def reverse_charge(self) -> bool:
        return any(line.vat_category == VAT_REVERSE_CHARGE for line in self.lines)

    @property
    def out_of_scope(self) -> bool:
        return any(line.vat_category == VAT_OUT_OF_SCOPE for line in self.lines)

    @property
    def indemnity_applies(self) -> bool:
        """40 € indemnity: professional debtors only (docs/DOMAIN.md « Payment terms »)."""
        return self.buyer.professional

    def vat_breakdown(self) -> tuple[VatBreakdown, ...]:
        if self.breakdown:
            return self.breakdown
        return compute_breakdown(self.lines)

    @property
    def total_ht(self) -> Decimal:
        return round_money(sum((line.total for line in self.lines), ZERO))

    @property
    def total_vat(self) -> Decimal:
        return round_money(sum((b.amount for b in self.vat_breakdown()), ZERO))

    @property
    def total_ttc(self) -> Decimal:
        return self.total_ht + self.total_vat

    @property
    def amount_due(self) -> Decimal:
        return self.total_ttc - self.prepaid

    def vat_mentions(self) -> list[str]:
        mentions = []
        if self.reverse_charge:
            mentions.append(REVERSE_CHARGE_TEXT)
        if self.vat_franchise:
            mentions.append(FRANCHISE_TEXT)
        mentions += [
            b.exemption_reason
            for b in self.vat_breakdown()
            if b.category == VAT_OUT_OF_SCOPE and b.exemption_reason
        ]
        if self.vat_on_debits and not self.vat_franchise:
            mentions.append(DEBITS_OPTION_TEXT)
        return mentions


def exemption_reason(category: str) -> str:
    if category == VAT_REVERSE_CHARGE:
        return "Autoliquidation"
    if category == VAT_EXEMPT:
        return FRANCHISE_TEXT
    return ""


def compute_breakdown(lines: tuple[Line, ...] | list[Line]) -> tuple[VatBreakdown, ...]:
    """VAT per (category, rate) on the sum of the line totals of that rate (BR-CO-17)."""
    bases: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        bases[(line.vat_category, line.vat_rate)] += line.total
    result = []
    for (category, rate), base in sorted(bases.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        amount = vat_amount(base, rate) if category == VAT_STANDARD else ZERO
        result.append(
            VatBreakdown(category, rate, round_money(base), amount, exemption_reason(category))
        )
    return tuple(result)
