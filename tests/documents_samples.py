"""Sample invoice documents (plain values) shared by the document tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

from app.money import line_total
from reports.invoice_model import (
    CREDIT_NOTE,
    DOWN_PAYMENT,
    INVOICE,
    VAT_REVERSE_CHARGE,
    Address,
    InvoiceDocument,
    Line,
    Party,
    PaymentMeans,
)

SELLER = Party(
    name="Lumière Propreté Services",
    address=Address("12 rue de la République", "", "69002", "Lyon"),
    legal_form="SAS",
    share_capital=D("50000.00"),
    siren="812345674",
    siret="81234567400017",
    rcs_city="Lyon",
    vat_number="FR45812345674",
    email="facturation@lumiere-proprete.fr",
    phone="04 78 00 12 34",
)
COMPANY_BUYER = Party(
    name="Cabinet Dupont Expertise",
    address=Address("8 quai Saint-Antoine", "", "69002", "Lyon"),
    siren="552100554",
    siret="55210055400013",
    vat_number="FR40552100554",
    code="DUPO",
)
SDC_BUYER = Party(
    name="SDC Les Tilleuls",
    address=Address("25 avenue Foch", "", "69006", "Lyon"),
    address_lines=(
        "SDC Les Tilleuls, 4 rue des Tilleuls, 69003 Lyon",
        "c/o Régie Bellecour Gestion",
        "25 avenue Foch",
        "69006 Lyon",
    ),
    email="compta@regie-bellecour.fr",
    code="TILL",
    professional=False,
)
PUBLIC_BUYER = Party(
    name="Mairie de Villeurbanne",
    address=Address("Place Lazare Goujon", "", "69100", "Villeurbanne"),
    siren="216902647",
    siret="21690264700014",
    code="VILL",
    public_body=True,
    service_code="SERV-PROPRETE",
)


def line(desc: str, qty: str, price: str, rate: str = "20", **kw: object) -> Line:
    q, p = D(qty), D(price)
    discount = kw.pop("discount", D("0.00"))
    return Line(
        description=desc,
        quantity=q,
        unit=kw.pop("unit", "forfait"),  # type: ignore[arg-type]
        unit_price=p,
        vat_rate=D(rate),
        total=line_total(q, p, discount),  # type: ignore[arg-type]
        discount=discount,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def invoice(**changes: object) -> InvoiceDocument:
    base = InvoiceDocument(
        number="FA2026-00042",
        type_code=INVOICE,
        issue_date=dt.date(2026, 10, 31),
        due_date=dt.date(2026, 11, 30),
        seller=SELLER,
        buyer=COMPANY_BUYER,
        lines=(
            line("Entretien des bureaux – octobre 2026", "1", "1850.00"),
            line("Vitrerie trimestrielle", "12.5", "38.4567", unit="m²", unit_code="MTK"),
            line(
                "Remise en état après sinistre",
                "7",
                "32.50",
                unit="h",
                unit_code="HUR",
                discount=D("10.00"),
            ),
        ),
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        delivery_name="Siège Dupont",
        delivery_address=Address("8 quai Saint-Antoine", "3e étage", "69002", "Lyon"),
        purchase_order="BC-2026-118",
        payment=PaymentMeans(
            iban="FR7630004001230001234567843", bic="BNPAFRPPXXX", bank_name="BNP Paribas"
        ),
        terms_text="30 jours net",
        penalty_text="En cas de retard de paiement, pénalités au taux de 12,15 % l'an, "
        "exigibles sans rappel le jour suivant la date d'échéance.",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def multi_rate() -> InvoiceDocument:
    return invoice(
        lines=(
            line("Ménage au domicile (SAP)", "10", "24.00", "10", unit="h", unit_code="HUR"),
            line("Entretien parties communes", "1", "640.00", "20"),
            line(
                "Aide à domicile personne dépendante",
                "4",
                "22.00",
                "5.5",
                unit="h",
                unit_code="HUR",
            ),
        )
    )


def credit_note() -> InvoiceDocument:
    return invoice(
        number="AV2026-00003",
        type_code=CREDIT_NOTE,
        lines=(line("Annulation vitrerie non réalisée", "1", "480.71"),),
        original_number="FA2026-00042",
        original_date=dt.date(2026, 10, 31),
        purchase_order="",
    )


def reverse_charge() -> InvoiceDocument:
    return invoice(
        number="FA2026-00043",
        lines=(
            line(
                "Nettoyage de fin de chantier – lot 12",
                "1",
                "2400.00",
                "0",
                vat_category=VAT_REVERSE_CHARGE,
            ),
        ),
    )


def down_payment() -> InvoiceDocument:
    return invoice(
        number="FA2026-00044",
        type_code=DOWN_PAYMENT,
        lines=(line("Acompte 30 % – remise en état du local", "1", "900.00"),),
        period_start=None,
        period_end=None,
    )


def final_after_down_payment() -> InvoiceDocument:
    return invoice(
        number="FA2026-00045",
        lines=(line("Remise en état du local", "1", "3000.00"),),
        prepaid=D("1080.00"),
        prepaid_references=("FA2026-00044",),
    )


def public_body() -> InvoiceDocument:
    return invoice(number="FA2026-00046", buyer=PUBLIC_BUYER, purchase_order="ENG-2026-4411")


def condominium() -> InvoiceDocument:
    return invoice(
        number="FA2026-00047",
        buyer=SDC_BUYER,
        purchase_order="",
        delivery_name="Résidence Les Tilleuls",
        delivery_address=Address("4 rue des Tilleuls", "", "69003", "Lyon"),
    )


def long_invoice(lines: int = 70) -> InvoiceDocument:
    return invoice(
        number="FA2026-00048",
        lines=tuple(
            line(
                f"Passage {i:02d} – entretien hall et escaliers bâtiment {chr(65 + i % 6)}",
                "1",
                "45.00",
                detail=f"Intervention n° {i}",
            )
            for i in range(1, lines + 1)
        ),
    )


def issue_samples(session: object) -> dict[str, int]:
    """Issue, through the billing use cases, one document per kind of buyer of the demo firm:
    company, copropriété (SDC c/o syndic), private person, public body, plus a credit note,
    a multi-rate and a reverse-charge invoice. Returns {label: invoice id}."""
    from sqlalchemy import select

    from app.billing.invoices import DraftLine, create_draft_invoice
    from app.billing.issuing import issue_invoices
    from models.catalog import VatRate
    from models.clients import Client, ClientKind, Site
    from models.invoices import InvoiceKind

    def first(kind: str) -> Client:
        return session.scalars(  # type: ignore[attr-defined]
            select(Client).where(Client.kind == kind, Client.active.is_(True)).order_by(Client.id)
        ).first()

    all_rates = list(session.scalars(select(VatRate)))  # type: ignore[attr-defined]
    rates = {r.code: r.id for r in all_rates}
    day = dt.date(2026, 10, 31)
    period = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 10, 31)}
    ids: dict[str, int] = {}

    def draft(label: str, client: Client, lines: list[DraftLine], **kw: object) -> None:
        site = session.scalars(select(Site).where(Site.client_id == client.id)).first()  # type: ignore[attr-defined]
        inv = create_draft_invoice(
            session,  # type: ignore[arg-type]
            client.id,
            lines,
            issue_date=day,
            site_id=site.id if site else None,
            **kw,  # type: ignore[arg-type]
        )
        ids[label] = inv.id

    company = first(ClientKind.COMPANY)
    draft(
        "company",
        company,
        [
            DraftLine("Entretien des bureaux – octobre 2026", D("1"), D("1850.00"), **period),
            DraftLine("Vitrerie", D("12.5"), D("38.4567"), unit="m²"),
        ],
        purchase_order="BC-118",
        **period,
    )
    multi = [DraftLine("Entretien parties communes", D("1"), D("640.00"))]
    for code, rate in rates.items():
        if code in ("T10", "T55", "T5.5"):
            multi.append(
                DraftLine(f"Prestation au taux {code}", D("2"), D("24.00"), vat_rate_id=rate)
            )
    draft("multi_rate", company, multi)
    reverse = [r.id for r in all_rates if r.category == "AE"]
    if reverse:
        draft(
            "reverse_charge",
            company,
            [
                DraftLine(
                    "Nettoyage de fin de chantier", D("1"), D("2400.00"), vat_rate_id=reverse[0]
                )
            ],
        )
    for label, kind in (
        ("condominium", ClientKind.CONDOMINIUM),
        ("person", ClientKind.PERSON),
        ("public", ClientKind.PUBLIC),
    ):
        client = first(kind)
        if client is not None:
            draft(
                label,
                client,
                [DraftLine("Entretien mensuel – octobre 2026", D("1"), D("420.00"))],
                **period,
            )
    draft(
        "down_payment",
        company,
        [DraftLine("Acompte 30 % remise en état", D("1"), D("900.00"))],
        kind=InvoiceKind.DOWN_PAYMENT,
    )
    issue_invoices(session, list(ids.values()))  # type: ignore[arg-type]
    draft(
        "credit_note",
        company,
        [DraftLine("Vitrerie non réalisée", D("1"), D("120.00"))],
        kind=InvoiceKind.CREDIT_NOTE,
        origin_invoice_id=ids["company"],
    )
    issue_invoices(session, [ids["credit_note"]])  # type: ignore[arg-type]
    return ids
