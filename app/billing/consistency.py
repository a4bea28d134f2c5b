"""Contract consistency control (« contrôle des éléments de contrat »), listed before a run.

Active contracts with no line, lines without price or article, ended contracts still
billed, active sites without contract, client data missing for a legal invoice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.billing.issuing import legal_problems
from app.money import ZERO
from models.billing import BillingLedger
from models.clients import Client, Site
from models.contracts import Contract, ContractLine, ContractSite, ContractStatus


@dataclass(frozen=True)
class Problem:
    kind: str
    subject: str  # contract code, site code or client name
    message: str
    contract_id: int | None = None
    client_id: int | None = None


def contract_problems(session: Session, *, on: dt.date | None = None) -> list[Problem]:
    on = on or dt.date.today()
    problems: list[Problem] = []
    contracts = list(
        session.scalars(
            select(Contract)
            .where(Contract.status != ContractStatus.DRAFT)
            .options(selectinload(Contract.lines).selectinload(ContractLine.versions))
            .order_by(Contract.code)
        )
    )
    live = [c for c in contracts if c.status in (ContractStatus.ACTIVE, ContractStatus.SUSPENDED)]
    for c in live:
        current = [cl.versions[-1] for cl in c.lines if cl.versions and not cl.versions[-1].removed]
        if not current:
            problems.append(
                Problem("no_line", c.code, "contrat actif sans ligne", c.id, c.client_id)
            )
        for v in current:
            if v.unit_price == ZERO and not v.annual_budget:
                problems.append(
                    Problem(
                        "no_price",
                        c.code,
                        f"ligne « {v.description} » sans prix",
                        c.id,
                        c.client_id,
                    )
                )
            if v.article_id is None:
                problems.append(
                    Problem(
                        "no_article",
                        c.code,
                        f"ligne « {v.description} » sans article",
                        c.id,
                        c.client_id,
                    )
                )
    ended = {
        c.id: c
        for c in contracts
        if c.end_date is not None and c.status in (ContractStatus.TERMINATED, ContractStatus.ENDED)
    }
    if ended:
        line_ids = {cl.id: c for c in ended.values() for cl in c.lines}
        rows = session.execute(
            select(BillingLedger.contract_line_id, BillingLedger.period_start).where(
                BillingLedger.contract_line_id.in_(line_ids), BillingLedger.revision == 0
            )
        )
        seen: set[int] = set()
        for line_id, start in rows:
            c = line_ids[line_id]
            if start > c.end_date and c.id not in seen:  # type: ignore[operator]
                seen.add(c.id)
                problems.append(
                    Problem(
                        "ended_billed",
                        c.code,
                        f"contrat terminé le {c.end_date:%d/%m/%Y} mais facturé au-delà",
                        c.id,
                        c.client_id,
                    )
                )
    covered = (
        {c.site_id for c in live if c.site_id}
        | {
            s
            for (s,) in session.execute(
                select(ContractSite.site_id)
                .join(Contract, Contract.id == ContractSite.contract_id)
                .where(Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.SUSPENDED)))
            )
        }
        | {cl.site_id for c in live for cl in c.lines if cl.site_id}
    )
    for site in session.scalars(select(Site).where(Site.active).order_by(Site.code)):
        if site.id not in covered:
            problems.append(
                Problem(
                    "site_without_contract",
                    site.code,
                    f"chantier « {site.name} » sans contrat actif",
                    None,
                    site.client_id,
                )
            )
    problems += _sap_problems(session, live)
    problems += _reverse_charge_problems(session, live)
    client_ids = {c.client_id for c in live}
    if client_ids:
        for client in session.scalars(
            select(Client).where(Client.id.in_(client_ids)).order_by(Client.name)
        ):
            missing = legal_problems(client)
            if missing:
                problems.append(
                    Problem("client_data", client.name, ", ".join(missing), None, client.id)
                )
    return problems


def _sap_problems(session: Session, live: list[Contract]) -> list[Problem]:
    """10 % VAT on household services needs the firm's SAP declaration (docs/DOMAIN.md « VAT »);
    without it the 20 % rate applies, and invoicing at 10 % under-charges VAT."""
    from models.catalog import Article, VatRate
    from models.company import CompanySettings

    company = session.get(CompanySettings, 1)
    if company is None or company.sap_declaration_number.strip():
        return []
    ten = Decimal(10)
    # Articles marked « service à la personne » at 10 % (a 10 % line for works in a
    # dwelling is not SAP and needs no declaration: app.sap).
    sap_articles = set(
        session.scalars(
            select(Article.id)
            .join(VatRate, VatRate.id == Article.vat_rate_id)
            .where(VatRate.rate == ten, VatRate.category == "S", Article.sap_service)
        )
    )
    problems: list[Problem] = []
    for c in live:
        for cl in c.lines:
            v = cl.versions[-1] if cl.versions else None
            if v is not None and not v.removed and v.article_id in sap_articles:
                problems.append(
                    Problem(
                        "sap_without_declaration",
                        c.code,
                        f"ligne « {v.description} » à 10 % (services à la personne) sans "
                        "n° de déclaration SAP dans les paramètres de la société : "
                        "le taux de 20 % s'applique",
                        c.id,
                        c.client_id,
                    )
                )
    return problems


def _reverse_charge_problems(session: Session, live: list[Contract]) -> list[Problem]:
    """A contract line in autoliquidation for a client without a VAT number: its invoice
    would be refused at issue (app.billing.vat_rules), so it is said before the run."""
    from models.catalog import Article, VatRate

    reverse = set(
        session.scalars(
            select(Article.id)
            .join(VatRate, VatRate.id == Article.vat_rate_id)
            .where(VatRate.category == "AE")
        )
    )
    if not reverse:
        return []
    without_vat = set(
        session.scalars(
            select(Client.id).where(
                Client.id.in_({c.client_id for c in live}), Client.vat_number == ""
            )
        )
    )
    problems: list[Problem] = []
    for c in live:
        if c.client_id not in without_vat:
            continue
        for cl in c.lines:
            v = cl.versions[-1] if cl.versions else None
            if v is not None and not v.removed and v.article_id in reverse:
                problems.append(
                    Problem(
                        "reverse_charge_without_vat",
                        c.code,
                        f"ligne « {v.description} » en autoliquidation (art. 283-2 nonies du "
                        "CGI) pour un client sans N° TVA intracommunautaire : renseignez-le "
                        "dans sa fiche, ou facturez avec TVA",
                        c.id,
                        c.client_id,
                    )
                )
    return problems
