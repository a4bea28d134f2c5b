"""Contracts from a file of contract lines: the rows sharing the original contract number
form one contract, created by ``billing.contracts.create_contract`` (numbered in
Propreo's contract series, the original number kept as its reference) and put in force by
``activate``.

« Facturé jusqu'au » is the last day the previous software already billed: the lines
start billing the day after (their own start date), so that the first run bills neither
twice nor from the contract's original start. The contract keeps its original start date
(anniversary, notice, revisions).

« État » says where the contract stands in the old software: « Actif » (default), « Suspendu »
(from « Suspendu du » to « Suspendu jusqu'au », not billed meanwhile) or « Résilié » (notice
given on « Date de résiliation », billing stops at « Date de fin », by default the end of the
notice period). Each goes through the screen's use case (``suspend``, ``terminate``), with its
rules (a suspension's end after its start, an end respecting the notice).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.billing import contracts
from app.errors import ValidationError, ValidationErrors
from app.i18n import ngettext
from app.imports.rows import Cells, client_by_code, site_by_code
from app.imports.values import choice, number, optional_date, yes_no
from models.catalog import Article
from models.contracts import Contract, Frequency, Term

ONE_DAY = dt.timedelta(days=1)
ACTIVE, SUSPENDED, TERMINATED = "active", "suspended", "terminated"
STATES = {ACTIVE: "Actif", SUSPENDED: "Suspendu", TERMINATED: "Résilié"}


def contract_key(cells: Cells) -> str:
    return (cells.get("reference") or "").strip().upper()


def _header(session: Session, cells: Cells) -> tuple[contracts.ContractForm, dt.date | None]:
    client = client_by_code(session, cells.get("client_code", ""), "Code client")
    start = optional_date(cells.get("start_date", ""), "Date de début")
    if start is None:
        raise ValidationError("Date de début", "Le champ « {field} » est obligatoire.")
    site = site_by_code(session, cells.get("site_code", ""), "Code chantier")
    renewal = cells.get("tacit_renewal", "").strip()
    notice = cells.get("notice_months", "").strip()
    reference = cells.get("reference", "").strip()
    form = contracts.ContractForm(
        client_id=client.id,
        start_date=start,
        title=cells.get("title", "").strip() or f"Contrat {reference}",
        site_id=site.id if site else None,
        reference=reference,
        purchase_order=cells.get("purchase_order", "").strip(),
        end_date=optional_date(cells.get("end_date", ""), "Date de fin"),
        tacit_renewal=yes_no(renewal, "Reconduction tacite") if renewal else True,
        notice_months=int(number(notice, "Préavis (mois)", 3)) if notice else 3,
    )
    billed = optional_date(cells.get("billed_until", ""), "Facturé jusqu'au")
    if billed is not None and billed < start - ONE_DAY:
        raise ValidationError(
            "Facturé jusqu'au",
            "« {field} » ({value}) précède le début du contrat.",
            value=f"{billed:%d/%m/%Y}",
        )
    return form, billed


def _line(session: Session, cells: Cells, start: dt.date | None) -> contracts.LineForm:
    code = cells.get("article_code", "").strip().upper()
    article = session.scalar(select(Article).where(Article.code == code)) if code else None
    if code and article is None:
        raise ValidationError(
            "Code article", "{field} « {value} » : aucun article n'a ce code.", value=code
        )
    price = cells.get("unit_price", "").strip()
    if not price and article is None:
        raise ValidationError("Prix unitaire HT", "Le champ « {field} » est obligatoire.")
    quantity = cells.get("quantity", "").strip()
    return contracts.LineForm(
        description=cells.get("description", "").strip(),
        quantity=number(quantity, "Quantité", 3) if quantity else Decimal("1"),
        unit_price=number(price, "Prix unitaire HT", 4) if price else article.unit_price,  # type: ignore[union-attr]
        frequency=choice(
            cells.get("frequency", ""), "Périodicité", Frequency.LABELS, default=Frequency.MONTHLY
        ),
        term=_term(cells.get("term", "")),
        article_id=article.id if article else None,
        months=cells.get("months", "").strip(),
        start_date=start,
        site_id=_site_id(session, cells.get("line_site_code", "")),
    )


def _term(text: str) -> str:
    words = {"echu": Term.ARREARS, "terme echu": Term.ARREARS, "echoir": Term.ADVANCE}
    from app.imports.values import fold

    return words.get(fold(text)) or choice(text, "Terme", Term.LABELS, default=Term.ADVANCE)


def _site_id(session: Session, code: str) -> int | None:
    site = site_by_code(session, code, "Chantier de la ligne")
    return site.id if site else None


def import_contract(session: Session, rows: list[tuple[int, Cells]]) -> str:
    """Create and activate the contract of ``rows``; problems name their file row."""
    first = rows[0][1]
    form, billed = _header(session, first)
    already = session.scalar(
        select(Contract.code).where(
            Contract.reference == form.reference, Contract.client_id == form.client_id
        )
    )
    if already:
        raise ValidationError(
            "N° de contrat d'origine",
            "Le contrat d'origine « {value} » est déjà repris (contrat {code}).",
            value=form.reference,
            code=already,
        )
    begins = form.start_date
    start = billed + ONE_DAY if billed is not None and begins and billed >= begins else None
    lines: list[contracts.LineForm] = []
    errors: list[tuple[int, ValidationError]] = []
    for row, cells in rows:
        for key in ("client_code", "start_date"):
            if cells.get(key, "").strip() and cells[key].strip() != first.get(key, "").strip():
                errors.append(
                    (
                        row,
                        ValidationError(
                            "N° de contrat d'origine",
                            "Les lignes du contrat « {value} » n'ont pas le même client ou la même "
                            "date de début.",
                            value=form.reference,
                        ),
                    )
                )
        try:
            lines.append(_line(session, cells, start))
        except ValidationError as exc:
            errors.append((row, exc))
    if errors:
        raise RowErrors(errors)
    contract = contracts.create_contract(session, form, lines, today=clock.today())
    contracts.activate(session, contract.id)
    try:
        _state(session, contract.id, first)
    except ValidationError as exc:
        raise RowErrors([(rows[0][0], exc)]) from exc
    count = ngettext("{n} ligne", "{n} lignes", len(lines)).format(n=len(lines))
    return f"{contract.code} — {contract.title} ({count})"


def _state(session: Session, contract_id: int, cells: Cells) -> None:
    """Suspend or terminate the contract as the old software had it."""
    state = choice(cells.get("state", ""), "État", STATES, default=ACTIVE)
    if state == SUSPENDED:
        start = optional_date(cells.get("suspended_from", ""), "Suspendu du")
        end = optional_date(cells.get("suspended_until", ""), "Suspendu jusqu'au")
        if start is None or end is None:
            raise ValidationError(
                "Suspendu du",
                "Un contrat « Suspendu » demande « Suspendu du » et « Suspendu jusqu'au ».",
            )
        contracts.suspend(
            session, contract_id, start, end, reason="Suspendu dans l'ancien logiciel"
        )
    elif state == TERMINATED:
        notice = optional_date(cells.get("notice_date", ""), "Date de résiliation")
        if notice is None:
            raise ValidationError(
                "Date de résiliation", "Un contrat « Résilié » demande sa « Date de résiliation »."
            )
        end = optional_date(cells.get("end_date", ""), "Date de fin")
        contracts.terminate(
            session, contract_id, notice, end, reason="Résilié dans l'ancien logiciel"
        )


class RowErrors(ValidationErrors):
    """Problems of a group of rows, each with its file row number."""

    def __init__(self, errors: list[tuple[int, ValidationError]]) -> None:
        self.rows = errors
        super().__init__([e for _row, e in errors])
