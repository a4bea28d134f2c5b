"""Draft invoices: create, edit, delete; manual one-off invoices; a contract line outside the plan.

``create_draft_invoice(session, client_id, lines, *, issue_date, ...)`` is the one entry
point other modules use to make an invoice (quotes: "invoice this accepted quote").
A draft has no number; ``app.billing.issuing`` numbers and freezes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from app import audit, users
from app.billing import vat_rules
from app.billing.issue_dates import check_not_future, check_open_months, check_service_period
from app.billing.totals import compute_totals
from app.errors import NotFoundError, StateError, ValidationError
from app.lookup import get_row
from app.money import (
    ZERO,
    format_amount,
    line_total,
    round_money,
    round_quantity,
    round_unit_price,
    to_decimal,
)
from models.billing import BillingLedger
from models.catalog import UNITS, Account, Article, ArticleFamily, VatRate
from models.clients import Client, Site
from models.contracts import ContractLine
from models.invoices import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind

DEFAULT_VAT_CODE = "T20"


@dataclass
class DraftLine:
    """One line to invoice. Either an article (VAT, unit, account from it) or free text."""

    description: str = ""
    quantity: Decimal | str = Decimal("1")
    unit_price: Decimal | str = Decimal("0")
    article_id: int | None = None
    vat_rate_id: int | None = None  # overrides the article's
    unit: str | None = None
    discount: Decimal | str = ZERO
    kind: str = LineKind.NORMAL
    contract_line_id: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    origin_line_id: int | None = None


def draft_line_of(line: InvoiceLine) -> DraftLine:
    """The DraftLine giving back ``line`` as it is stored (to edit a draft without losing
    its VAT, unit, discount, kind, periods or contract link)."""
    return DraftLine(
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        article_id=line.article_id,
        vat_rate_id=line.vat_rate_id,
        unit=line.unit,
        discount=line.discount,
        kind=line.kind,
        contract_line_id=line.contract_line_id,
        period_start=line.period_start,
        period_end=line.period_end,
        origin_line_id=line.origin_line_id,
    )


class LineResolver:
    """Cached lookups turning DraftLines into invoice_lines rows (used in bulk by runs)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._articles: dict[int, Article] = {}
        self._vat: dict[int, VatRate] = {}
        self._accounts: dict[int, str] = {}
        self._families: dict[int, ArticleFamily | None] = {}
        self._default_vat: VatRate | None = None
        self._derived: dict[tuple[int | None, int | None, str | None], tuple[Any, ...]] = {}

    def preload(self, article_ids: set[int]) -> None:
        ids = [a for a in article_ids if a not in self._articles]
        if ids:
            for article in self.session.scalars(select(Article).where(Article.id.in_(ids))):
                self._articles[article.id] = article

    def article(self, article_id: int) -> Article:
        if article_id not in self._articles:
            article = self.session.get(Article, article_id)
            if article is None:
                raise ValidationError("Article", "Article n° {id} introuvable.", id=article_id)
            self._articles[article_id] = article
        return self._articles[article_id]

    def vat(self, vat_rate_id: int | None) -> VatRate:
        if vat_rate_id is None:
            if self._default_vat is None:
                self._default_vat = self.session.scalar(
                    select(VatRate).where(VatRate.code == DEFAULT_VAT_CODE)
                )
                if self._default_vat is None:
                    raise NotFoundError("Taux de TVA par défaut (T20) introuvable.")
            return self._default_vat
        if vat_rate_id not in self._vat:
            rate = self.session.get(VatRate, vat_rate_id)
            if rate is None:
                raise ValidationError("TVA", "Taux de TVA n° {id} introuvable.", id=vat_rate_id)
            self._vat[vat_rate_id] = rate
        return self._vat[vat_rate_id]

    def account(self, account_id: int | None) -> str:
        if account_id is None:
            return ""
        if account_id not in self._accounts:
            acc = self.session.get(Account, account_id)
            self._accounts[account_id] = acc.number if acc else ""
        return self._accounts[account_id]

    def family(self, family_id: int | None) -> ArticleFamily | None:
        if family_id is None:
            return None
        if family_id not in self._families:
            self._families[family_id] = self.session.get(ArticleFamily, family_id)
        return self._families[family_id]

    def row(self, line: DraftLine, position: int) -> dict[str, object]:
        """Validated column values of one invoice line (no invoice_id yet)."""
        label = f"Ligne {position}"
        quantity, price, discount = line.quantity, line.unit_price, line.discount
        # Decimals (a month-end run's ≈ 9,000 lines) rounded directly: the same half-up
        # quantize as round_*(to_decimal(...)), which returns a Decimal as it is.
        if type(quantity) is Decimal:
            quantity = quantity.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        else:
            quantity = round_quantity(to_decimal(quantity, field=f"{label} — quantité"))
        if type(price) is Decimal:
            price = price.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        else:
            price = round_unit_price(to_decimal(price, field=f"{label} — prix unitaire"))
        if type(discount) is Decimal:
            discount = discount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        else:
            discount = round_money(to_decimal(discount, field=f"{label} — remise"))
        if price < 0:
            raise ValidationError(
                label,
                "{field} : le prix unitaire ne peut être négatif (utilisez une quantité négative).",
            )
        # What the article, its family and the VAT rate give, once per (article, VAT, unit)
        # (a run's 9,000 lines use a few dozen): the resolver's lookups are cached anyway.
        key = (line.article_id, line.vat_rate_id, line.unit)
        derived = self._derived.get(key)
        if derived is None:
            article = self.article(line.article_id) if line.article_id else None
            if not ((line.description or "").strip() or (article.label if article else "")):
                # Before the VAT lookup, as ever: a line without label is reported as such.
                raise ValidationError(label, "{field} : le libellé est obligatoire.")
            vat = self.vat(line.vat_rate_id or (article.vat_rate_id if article else None))
            unit = line.unit or (article.unit if article else "forfait")
            family = self.family(article.family_id) if article else None
            account = ""
            if article is not None:
                account = self.account(article.revenue_account_id) or (
                    self.account(family.revenue_account_id) if family else ""
                )
            derived = self._derived[key] = (
                article.label if article else "",
                article.id if article else None,
                article.family_id if article else None,
                account,
                unit,
                vat.id,
                vat.rate,
                vat.category,
                vat.mention,
                vat.exemption_code,
                article is not None and not article.is_service,
                article is not None and article.sap_service,
            )
        article_label, article_id, family_id, account, unit = derived[:5]
        vat_id, vat_rate, vat_category, vat_mention, vat_code, goods, sap = derived[5:]
        description = (line.description or "").strip() or article_label
        if not description:
            raise ValidationError(label, "{field} : le libellé est obligatoire.")
        return {
            "position": position,
            "kind": line.kind,
            "article_id": article_id,
            "family_id": family_id,
            "revenue_account": account,
            "description": description,
            "quantity": quantity,
            "unit": unit,
            "unit_code": UNITS.get(unit, "C62"),
            "unit_price": price,
            "discount": discount,
            "vat_rate_id": vat_id,
            "vat_rate": vat_rate,
            "vat_category": vat_category,
            "vat_exemption": vat_mention,
            "vat_exemption_code": vat_code,
            "total_ht": line_total(quantity, price, discount),
            "goods": goods,
            "sap": sap,
            "contract_line_id": line.contract_line_id,
            "period_start": line.period_start,
            "period_end": line.period_end,
            "origin_line_id": line.origin_line_id,
        }


def apply_totals(invoice: Invoice) -> None:
    totals = compute_totals(invoice.lines)
    invoice.total_ht, invoice.total_vat, invoice.total_ttc = (
        totals.total_ht,
        totals.total_vat,
        totals.total_ttc,
    )
    invoice.amount_due = invoice.total_ttc - (invoice.prepaid_total or ZERO)


def get_invoice(session: Session, invoice_id: int) -> Invoice:
    invoice = session.scalar(
        select(Invoice).where(Invoice.id == invoice_id).options(selectinload(Invoice.lines))
    )
    if invoice is None:
        raise NotFoundError("Facture n° {id} introuvable.", id=invoice_id)
    return invoice


def create_draft_invoice(
    session: Session,
    client_id: int,
    lines: list[DraftLine],
    *,
    issue_date: dt.date,
    kind: str = InvoiceKind.INVOICE,
    site_id: int | None = None,
    contract_id: int | None = None,
    purchase_order: str = "",
    title: str = "",
    notes: str = "",
    origin_invoice_id: int | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Invoice:
    """A draft (unnumbered) invoice, credit note or down-payment invoice for ``client_id``."""
    client = session.get(Client, client_id) if client_id is not None else None
    if client is None:
        raise ValidationError("Client", "Choisissez le client à facturer.")
    if kind not in InvoiceKind.ALL:
        raise ValidationError("Type", "Type de document inconnu : {kind}.", kind=kind)
    if not lines:
        raise ValidationError("Lignes", "Une facture doit comporter au moins une ligne.")
    check_not_future(issue_date)
    check_open_months(session, [issue_date])
    check_service_period(period_start, period_end)
    _check_site(session, client, site_id)
    resolver = LineResolver(session)
    rows = [resolver.row(line, i) for i, line in enumerate(lines, 1)]
    vat_rules.settle_rows(session, rows, client, site_id)
    invoice = Invoice(
        kind=kind,
        status=InvoiceStatus.DRAFT,
        series_code="credit_note" if kind == InvoiceKind.CREDIT_NOTE else "invoice",
        issue_date=issue_date,
        client_id=client_id,
        site_id=site_id,
        contract_id=contract_id,
        purchase_order=purchase_order,
        title=title,
        notes=notes,
        origin_invoice_id=origin_invoice_id,
        period_start=period_start,
        period_end=period_end,
        payment_means=client.payment_means,
    )
    invoice.lines = [InvoiceLine(**row) for row in rows]
    apply_totals(invoice)
    session.add(invoice)
    session.flush()
    audit.record(
        session,
        "invoice",
        invoice.id,
        "create",
        f"{InvoiceKind.LABELS[kind]} provisoire créée ({format_amount(invoice.total_ht)} HT)",
        client_id=client_id,
    )
    return invoice


def _check_site(session: Session, client: Client, site_id: int | None) -> None:
    """The site named on an invoice (where the service was done) is one of the client's."""
    if site_id is None:
        return
    site = session.get(Site, site_id)
    if site is None or client.id not in (site.client_id, site.payer_id):
        raise ValidationError(
            "Chantier", "Ce chantier n'est pas un chantier du client {client}.", client=client.name
        )


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise StateError(
            "La facture {number} est émise : elle ne peut plus être modifiée ni supprimée "
            "(établissez un avoir).",
            number=invoice.number,
        )


def update_draft_invoice(
    session: Session,
    invoice_id: int,
    lines: list[DraftLine],
    *,
    issue_date: dt.date | None = None,
    purchase_order: str | None = None,
    title: str | None = None,
    notes: str | None = None,
    service: tuple[int | None, dt.date, dt.date] | None = None,
) -> Invoice:
    """Replace a draft's lines and header fields. Contract-billed lines keep their ledger rows
    only when unchanged; editing a draft that came from a run is allowed on free lines.
    ``service``: (site id, first day, last day) of the service, when the form edits them."""
    invoice = get_invoice(session, invoice_id)
    _require_draft(invoice)
    if not lines:
        raise ValidationError("Lignes", "Une facture doit comporter au moins une ligne.")
    if issue_date is not None:
        check_not_future(issue_date)
        check_open_months(session, [issue_date])
    client = get_row(session, Client, invoice.client_id, "Client")
    if service is not None:
        check_service_period(service[1], service[2])
        _check_site(session, client, service[0])
    resolver = LineResolver(session)
    rows = [resolver.row(line, i) for i, line in enumerate(lines, 1)]
    site_id = service[0] if service is not None else invoice.site_id
    vat_rules.settle_rows(session, rows, client, site_id)
    before = invoice.total_ht
    lines_changed = _update_lines(session, invoice, rows)
    header: dict[str, object] = {
        k: v
        for k, v in {
            "issue_date": issue_date,
            "purchase_order": purchase_order,
            "title": title,
            "notes": notes,
        }.items()
        if v is not None
    }
    if service is not None:
        header.update(site_id=service[0], period_start=service[1], period_end=service[2])
    changes = audit.diff(invoice, header)
    if not (changes or lines_changed):
        return invoice  # saved untouched: nothing written, not even the history
    apply_totals(invoice)
    if invoice.total_ht != before:
        changes["total_ht"] = (before, invoice.total_ht)
    session.flush()
    audit.record(
        session,
        "invoice",
        invoice.id,
        "update",
        "Facture provisoire modifiée",
        client_id=invoice.client_id,
        changes=changes,
    )
    return invoice


def _update_lines(session: Session, invoice: Invoice, rows: list[dict[str, object]]) -> bool:
    """Bring the draft's lines to ``rows`` position by position, changing only the columns
    that differ (a line kept as it was keeps its row, its id and its ledger rows); a line of a
    contract-billed draft may not change. Returns whether anything changed."""
    billed = set(
        session.scalars(
            select(BillingLedger.invoice_line_id).where(BillingLedger.invoice_id == invoice.id)
        )
    )
    changed = False
    kept = list(invoice.lines)
    for line, row in zip(kept, rows, strict=False):
        diff = {k: v for k, v in row.items() if getattr(line, k) != v}
        if diff and line.id in billed:
            _refuse_billed()
        for key, value in diff.items():
            setattr(line, key, value)
        changed = changed or bool(diff)
    for line in kept[len(rows) :]:
        if line.id in billed:
            _refuse_billed()
        invoice.lines.remove(line)
        changed = True
    for row in rows[len(kept) :]:
        invoice.lines.append(InvoiceLine(**row))
        changed = True
    return changed


def _refuse_billed() -> None:
    raise StateError(
        "Ce brouillon vient d'une facturation de contrat : supprimez-le et relancez "
        "la facturation plutôt que de modifier ses lignes."
    )


def delete_draft_invoice(session: Session, invoice_id: int) -> None:
    """Delete a draft; the contract periods it billed become billable again."""
    users.require(session, "delete_draft")
    invoice = get_invoice(session, invoice_id)
    _require_draft(invoice)
    session.execute(delete(BillingLedger).where(BillingLedger.invoice_id == invoice.id))
    client_id, total = invoice.client_id, invoice.total_ht
    session.delete(invoice)
    session.flush()
    audit.record(
        session,
        "invoice",
        invoice_id,
        "delete",
        f"Facture provisoire supprimée ({total} € HT)",
        client_id=client_id,
    )


def invoice_contract_line(
    session: Session,
    contract_line_id: int,
    *,
    issue_date: dt.date,
    quantity: Decimal | str = Decimal("1"),
    description: str = "",
) -> Invoice:
    """Invoice a contract line outside its plan (an extra passage): not in the ledger,
    priced with the line's version in force on ``issue_date``."""
    cl = session.get(ContractLine, contract_line_id)
    if cl is None:
        raise NotFoundError("Ligne de contrat n° {id} introuvable.", id=contract_line_id)
    versions = [v for v in cl.versions if v.valid_from <= issue_date and not v.removed]
    if not versions:
        raise ValidationError("Date", "Cette ligne n'est pas en vigueur à cette date.")
    version = versions[-1]
    contract = cl.contract
    return create_draft_invoice(
        session,
        contract.client_id,
        [
            DraftLine(
                description=description or f"{version.description} (hors échéancier)",
                quantity=quantity,
                unit_price=version.unit_price,
                article_id=version.article_id,
                contract_line_id=cl.id,
            )
        ],
        issue_date=issue_date,
        site_id=cl.site_id or contract.site_id,
        contract_id=contract.id,
        purchase_order=contract.purchase_order,
        title=f"Contrat {contract.code} — prestation hors échéancier",
    )
