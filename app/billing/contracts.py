"""Contract use cases: create, edit, activate, suspend, resume, terminate, amend.

A draft contract's lines are edited in place. Once the contract is active, what its
lines bill changes only through an amendment (avenant), which adds dated line versions
effective from its date: earlier versions and what they billed stay visible, and a
change effective in the past is regularised by the next run (never by editing an
issued invoice).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app import audit, input_rules
from app.billing.plan import ContractSpec, LineSpec, SuspensionSpec, VersionSpec, add_months
from app.billing.run_records import RunContract, RunVersion
from app.errors import NotFoundError, StateError, ValidationError, ValidationErrors
from app.money import round_money, round_quantity, round_unit_price
from app.numbering import next_number
from app.workflow import Workflow
from models.catalog import Article
from models.clients import Client, Site
from models.contracts import (
    Amendment,
    Contract,
    ContractLine,
    ContractLineVersion,
    ContractSite,
    ContractStatus,
    Frequency,
    Grouping,
    Prorata,
    Suspension,
    Term,
)

S = ContractStatus
CONTRACT_WORKFLOW = Workflow(
    "Contrat",
    S.LABELS,
    frozenset(
        {
            (S.DRAFT, S.ACTIVE),
            (S.ACTIVE, S.SUSPENDED),
            (S.SUSPENDED, S.ACTIVE),
            (S.ACTIVE, S.TERMINATED),
            (S.SUSPENDED, S.TERMINATED),
            (S.TERMINATED, S.ENDED),
            (S.ACTIVE, S.ENDED),
        }
    ),
)

# The actions of the Contrats screen that change the status, and the status they lead to.
_STATUS_ACTIONS = {
    "activate": S.ACTIVE,
    "suspend": S.SUSPENDED,
    "resume": S.ACTIVE,
    "terminate": S.TERMINATED,
}
# Line changes (amendment, extra billing) while the contract is in force.
_LIVE = (S.ACTIVE, S.SUSPENDED)


def contract_actions(status: str | None) -> frozenset[str]:
    """What may be done to a contract in ``status`` (None: not saved yet), as
    :data:`CONTRACT_WORKFLOW` allows: the screen enables exactly these buttons."""
    if status is None:
        return frozenset()
    allowed = set(CONTRACT_WORKFLOW.allowed(status))
    actions = {
        action
        for action, target in _STATUS_ACTIONS.items()
        if target in allowed
        and (action != "activate" or status == S.DRAFT)
        and (action != "resume" or status != S.DRAFT)
    }
    if status in _LIVE:
        actions |= {"amend", "extra"}
    return frozenset(actions)


@dataclass
class LineForm:
    """One contract line as the form edits it (plain values, Decimal or text)."""

    description: str = ""
    quantity: Decimal | str = Decimal("1")
    unit_price: Decimal | str = Decimal("0")
    frequency: str = Frequency.MONTHLY
    term: str = Term.ADVANCE
    article_id: int | None = None
    months: str = ""
    one_off_date: dt.date | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    annual_budget: Decimal | str | None = None
    site_id: int | None = None
    line_id: int | None = None  # existing line (amendments, edits)
    removed: bool = False


@dataclass
class ContractForm:
    client_id: int | None = None
    start_date: dt.date | None = None
    title: str = ""
    site_id: int | None = None
    other_site_ids: list[int] = field(default_factory=list)
    reference: str = ""
    purchase_order: str = ""
    end_date: dt.date | None = None
    tacit_renewal: bool = True
    renewal_months: int = 12
    notice_months: int = 3
    grouping: str = Grouping.CONTRACT
    prorata: str = Prorata.DAYS
    notes: str = ""


def get_contract(session: Session, contract_id: int) -> Contract:
    contract = session.scalar(
        select(Contract)
        .where(Contract.id == contract_id)
        .options(
            selectinload(Contract.lines).selectinload(ContractLine.versions),
            selectinload(Contract.suspensions),
            selectinload(Contract.amendments),
            selectinload(Contract.sites),
        )
    )
    if contract is None:
        raise NotFoundError("Contrat n° {id} introuvable.", id=contract_id)
    return contract


def _validate_header(session: Session, form: ContractForm) -> None:
    errors: list[ValidationError] = []
    if form.client_id is None or session.get(Client, form.client_id) is None:
        errors.append(ValidationError("Client", "Choisissez le client payeur du contrat."))
    if form.start_date is None:
        errors.append(ValidationError("Date de début", "La date de début est obligatoire."))
    if form.end_date and form.start_date and form.end_date < form.start_date:
        errors.append(ValidationError("Date de fin", "La date de fin précède la date de début."))
    if form.site_id is not None and session.get(Site, form.site_id) is None:
        errors.append(ValidationError("Chantier", "Chantier introuvable."))
    if form.grouping not in Grouping.LABELS:
        errors.append(ValidationError("Regroupement", "Regroupement des factures inconnu."))
    if form.prorata not in Prorata.LABELS:
        errors.append(ValidationError("Prorata", "Règle de prorata inconnue."))
    if not 0 <= form.notice_months <= 24:
        errors.append(ValidationError("Préavis (mois)", "Le préavis doit être de 0 à 24 mois."))
    if errors:
        raise ValidationErrors(errors)


def _line_values(session: Session, form: LineForm, position: int) -> dict[str, object]:
    """Validate one line and return the version columns; errors name the line."""
    label = f"Ligne {position}"
    if form.removed:
        return {"removed": True}
    if form.frequency not in Frequency.LABELS:
        raise ValidationError(label, "{field} : périodicité inconnue.")
    if form.term not in Term.LABELS:
        raise ValidationError(label, "{field} : terme (à échoir / échu) inconnu.")
    quantity = round_quantity(input_rules.number(form.quantity, f"{label} — quantité", 3))
    price = round_unit_price(input_rules.number(form.unit_price, f"{label} — prix unitaire", 4))
    budget = (
        round_money(input_rules.number(form.annual_budget, f"{label} — budget annuel"))
        if form.annual_budget not in (None, "")
        else None
    )
    input_rules.number(quantity * price, f"{label} — montant (quantité × prix)")
    if quantity < 0 or price < 0 or (budget is not None and budget < 0):
        raise ValidationError(label, "{field} : quantité, prix et budget doivent être positifs.")
    months = ""
    if form.frequency == Frequency.SEASONAL:
        try:
            values = sorted(
                {int(m) for m in str(form.months).replace(";", ",").split(",") if m.strip()}
            )
        except ValueError:
            values = []
        if not values or values[0] < 1 or values[-1] > 12:
            raise ValidationError(
                label, "{field} : indiquez les mois facturés (1 à 12, séparés par des virgules)."
            )
        months = ",".join(str(m) for m in values)
    if form.frequency == Frequency.ONE_OFF and form.one_off_date is None:
        raise ValidationError(label, "{field} : une ligne ponctuelle a besoin de sa date.")
    if form.start_date and form.end_date and form.end_date < form.start_date:
        raise ValidationError(label, "{field} : la fin de la ligne précède son début.")
    article = session.get(Article, form.article_id) if form.article_id else None
    if form.article_id and article is None:
        raise ValidationError(label, "{field} : article introuvable.")
    description = input_rules.text(form.description, f"{label} — désignation", 1000)
    description = description or (article.label if article else "")
    if not description:
        raise ValidationError(label, "{field} : saisissez un libellé ou choisissez un article.")
    return {
        "article_id": form.article_id,
        "description": description,
        "quantity": quantity,
        "unit_price": price,
        "frequency": form.frequency,
        "months": months,
        "one_off_date": form.one_off_date,
        "term": form.term,
        "start_date": form.start_date,
        "end_date": form.end_date,
        "annual_budget": budget,
        "removed": False,
    }


def _header_values(form: ContractForm) -> dict[str, object]:
    text = functools.partial(input_rules.field_text, "contracts")
    return {
        "client_id": form.client_id,
        "site_id": form.site_id,
        "title": text("title", form.title),
        "reference": text("reference", form.reference),
        "purchase_order": text("purchase_order", form.purchase_order),
        "start_date": form.start_date,
        "end_date": form.end_date,
        "tacit_renewal": form.tacit_renewal,
        "renewal_months": form.renewal_months,
        "notice_months": form.notice_months,
        "grouping": form.grouping,
        "prorata": form.prorata,
        "notes": text("notes", form.notes),
    }


def _set_sites(contract: Contract, site_ids: list[int]) -> None:
    wanted = [s for s in dict.fromkeys(site_ids) if s != contract.site_id]
    contract.sites[:] = [s for s in contract.sites if s.site_id in wanted]
    have = {s.site_id for s in contract.sites}
    for site_id in wanted:
        if site_id not in have:
            contract.sites.append(ContractSite(site_id=site_id))


def create_contract(
    session: Session,
    form: ContractForm,
    lines: list[LineForm],
    *,
    today: dt.date | None = None,
) -> Contract:
    """Create a draft contract numbered in the « contract » series."""
    _validate_header(session, form)
    values = [_line_values(session, line, i) for i, line in enumerate(lines, 1)]
    number = next_number(session, "contract", today or dt.date.today(), doc_type="contract")
    contract = Contract(code=number.text, status=S.DRAFT, **_header_values(form))
    session.add(contract)
    _set_sites(contract, form.other_site_ids)
    for i, (line, vals) in enumerate(zip(lines, values, strict=True), 1):
        cl = ContractLine(position=i, site_id=line.site_id)
        cl.versions.append(ContractLineVersion(valid_from=form.start_date, **vals))
        contract.lines.append(cl)
    session.flush()
    audit.record(
        session,
        "contract",
        contract.id,
        "create",
        f"Contrat {contract.code} créé ({len(lines)} ligne(s))",
        client_id=contract.client_id,
    )
    return contract


def update_contract(
    session: Session, contract_id: int, form: ContractForm, lines: list[LineForm] | None = None
) -> Contract:
    """Edit the header; lines only while the contract is a draft (then use an amendment)."""
    contract = get_contract(session, contract_id)
    _validate_header(session, form)
    changes = audit.diff(contract, _header_values(form))
    _set_sites(contract, form.other_site_ids)
    if lines is not None:
        if contract.status != S.DRAFT:
            raise StateError(
                "Le contrat {code} est en vigueur : modifiez ses lignes par un avenant.",
                code=contract.code,
            )
        values = [_line_values(session, line, i) for i, line in enumerate(lines, 1)]
        keep = {line.line_id for line in lines if line.line_id}
        removed = any(cl.id not in keep for cl in contract.lines)
        contract.lines[:] = [cl for cl in contract.lines if cl.id in keep]
        by_id = {cl.id: cl for cl in contract.lines}
        for i, (line, vals) in enumerate(zip(lines, values, strict=True), 1):
            cl = by_id.get(line.line_id) if line.line_id else None
            if cl is None:
                cl = ContractLine()
                contract.lines.append(cl)
            cl.position, cl.site_id = i, line.site_id
            if cl.versions:  # a draft has one version: rewrite it in place
                cl.versions[1:] = []
                for key, value in vals.items():
                    setattr(cl.versions[0], key, value)
                cl.versions[0].valid_from = contract.start_date
            else:
                cl.versions.append(ContractLineVersion(valid_from=contract.start_date, **vals))
        if removed or _lines_touched(session):
            changes["lines"] = ("", f"{len(lines)} ligne(s)")
    sites_touched = any(isinstance(o, ContractSite) for o in (*session.new, *session.deleted))
    session.flush()
    if changes or sites_touched:  # an untouched save writes nothing, not even its trail
        audit.record(
            session,
            "contract",
            contract.id,
            "update",
            f"Contrat {contract.code} modifié",
            client_id=contract.client_id,
            changes=changes,
        )
    return contract


def _lines_touched(session: Session) -> bool:
    """Whether the lines written back differ from the stored ones (added, removed, changed)."""
    kinds = (ContractLine, ContractLineVersion)
    return any(isinstance(o, kinds) for o in (*session.new, *session.deleted)) or any(
        isinstance(o, kinds) and session.is_modified(o) for o in session.dirty
    )


def _transition(session: Session, contract: Contract, target: str, summary: str) -> None:
    old = CONTRACT_WORKFLOW.move(contract, target, ref=contract.code)
    session.flush()
    audit.record(
        session,
        "contract",
        contract.id,
        target,
        summary,
        client_id=contract.client_id,
        changes={"status": (S.LABELS[old], S.LABELS[target])},
    )


def activate(session: Session, contract_id: int) -> Contract:
    contract = get_contract(session, contract_id)
    if not contract.lines:
        raise ValidationError("Lignes", "Un contrat sans ligne ne peut pas être activé.")
    _transition(session, contract, S.ACTIVE, f"Contrat {contract.code} activé")
    return contract


def suspend(
    session: Session,
    contract_id: int,
    start: dt.date,
    end: dt.date,
    *,
    billed: bool = False,
    reason: str = "",
    line_id: int | None = None,
) -> Suspension:
    """Suspend the contract (or one line) from ``start`` to ``end`` included."""
    contract = get_contract(session, contract_id)
    if end < start:
        raise ValidationError("Fin de suspension", "La fin de la suspension précède son début.")
    if line_id is not None and line_id not in {cl.id for cl in contract.lines}:
        raise ValidationError("Ligne", "Cette ligne n'appartient pas au contrat.")
    for other in contract.suspensions:
        if other.line_id == line_id and not (end < other.start_date or start > other.end_date):
            raise ValidationError(
                "Début de suspension", "Cette période chevauche une suspension existante."
            )
    suspension = Suspension(
        start_date=start, end_date=end, billed=billed, reason=reason, line_id=line_id
    )
    contract.suspensions.append(suspension)
    text = (
        f"Suspension du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
        f" ({'facturée' if billed else 'non facturée'})"
    )
    if line_id is None and contract.status == S.ACTIVE:
        _transition(session, contract, S.SUSPENDED, f"Contrat {contract.code} : {text}")
    else:
        session.flush()
        audit.record(
            session, "contract", contract.id, "suspend", text, client_id=contract.client_id
        )
    return suspension


def resume(session: Session, contract_id: int, on: dt.date) -> Contract:
    """Resume on ``on``: the running suspension ends the day before."""
    contract = get_contract(session, contract_id)
    running = [
        s for s in contract.suspensions if s.line_id is None and s.start_date < on <= s.end_date
    ]
    for suspension in running:
        suspension.end_date = on - dt.timedelta(days=1)
    if contract.status == S.SUSPENDED:
        _transition(session, contract, S.ACTIVE, f"Contrat {contract.code} repris le {on:%d/%m/%Y}")
    return contract


def earliest_end(contract: Contract, notice_date: dt.date) -> dt.date:
    """Notice + notice period, to the end of that month."""
    return add_months(notice_date, contract.notice_months + 1) - dt.timedelta(days=1)


def terminate(
    session: Session,
    contract_id: int,
    notice_date: dt.date,
    end_date: dt.date | None = None,
    *,
    reason: str = "",
) -> Contract:
    """Terminate with notice: billing stops at ``end_date`` (final period pro-rated)."""
    contract = get_contract(session, contract_id)
    minimum = earliest_end(contract, notice_date)
    end = end_date or minimum
    if end < minimum:
        raise ValidationError(
            "Date d'effet",
            "Avec un préavis de {months} mois, la résiliation ne peut prendre effet avant le {date}.",
            months=contract.notice_months,
            date=minimum.strftime("%d/%m/%Y"),
        )
    contract.notice_date = notice_date
    contract.end_date = end
    contract.tacit_renewal = False
    contract.termination_reason = reason
    _transition(
        session,
        contract,
        S.TERMINATED,
        f"Contrat {contract.code} résilié (préavis du {notice_date:%d/%m/%Y}, fin le {end:%d/%m/%Y})",
    )
    return contract


def mark_ended(session: Session, contract_id: int, on: dt.date) -> Contract:
    """Close a contract whose end date has passed (it is no longer billed after it)."""
    contract = get_contract(session, contract_id)
    if contract.end_date is None or contract.end_date >= on:
        raise ValidationError(
            "Date de fin", "Le contrat {code} n'est pas arrivé à son terme.", code=contract.code
        )
    contract.tacit_renewal = False
    _transition(session, contract, S.ENDED, f"Contrat {contract.code} terminé")
    return contract


_KEPT_WHEN_REMOVED = (
    "article_id",
    "description",
    "quantity",
    "unit_price",
    "frequency",
    "months",
    "one_off_date",
    "term",
)


def _supersede(session: Session, line: ContractLine, effective_date: dt.date) -> None:
    """An amendment effective on the date of a version in force (the contract's start date,
    or the date of an earlier amendment) replaces it from that date: the replaced version is
    kept, flagged out of force (``cancelled``), and comes back if the amendment is cancelled
    (:func:`app.billing.amendments.cancel_amendment`)."""
    same_day = [v for v in line.versions if v.valid_from == effective_date]
    if not same_day:
        return
    for version in same_day:
        version.cancelled = True
    session.flush()
    session.expire(line, ["versions"])


def add_amendment(
    session: Session,
    contract_id: int,
    *,
    signed_date: dt.date,
    effective_date: dt.date,
    description: str,
    changes: list[LineForm],
) -> Amendment:
    """Avenant n: new line versions (or new lines) effective from ``effective_date``."""
    contract = get_contract(session, contract_id)
    if contract.status == S.DRAFT:
        raise StateError("Un contrat brouillon se modifie directement, sans avenant.")
    if not changes:
        raise ValidationError("Lignes", "Un avenant doit modifier au moins une ligne.")
    if effective_date < contract.start_date:
        raise ValidationError("Date d'effet", "La date d'effet précède le début du contrat.")
    number = (
        session.scalar(
            select(func.max(Amendment.number)).where(Amendment.contract_id == contract.id)
        )
        or 0
    ) + 1
    amendment = Amendment(
        number=number,
        signed_date=signed_date,
        effective_date=effective_date,
        description=description.strip(),
    )
    contract.amendments.append(amendment)
    session.flush()
    lines = {cl.id: cl for cl in contract.lines}
    for i, change in enumerate(changes, 1):
        cl = lines.get(change.line_id) if change.line_id else None
        if change.line_id and cl is None:
            raise ValidationError(f"Ligne {i}", "{field} : ligne inconnue dans ce contrat.")
        vals = _line_values(session, change, cl.position if cl else len(lines) + i)
        if change.removed and cl is not None and cl.versions:  # the line keeps its wording
            vals = {key: getattr(cl.versions[-1], key) for key in _KEPT_WHEN_REMOVED}
            vals["removed"] = True
        if cl is None:
            cl = ContractLine(position=len(contract.lines) + 1, site_id=change.site_id)
            contract.lines.append(cl)
        else:
            _supersede(session, cl, effective_date)
        cl.versions.append(
            ContractLineVersion(valid_from=effective_date, amendment_id=amendment.id, **vals)
        )
    session.flush()
    audit.record(
        session,
        "contract",
        contract.id,
        "amendment",
        f"Avenant n° {number} au contrat {contract.code}, effet le {effective_date:%d/%m/%Y}",
        client_id=contract.client_id,
    )
    return amendment


def effective_end(contract: Contract | RunContract) -> dt.date | None:
    """Where billing stops: the end date unless the contract renews tacitly."""
    if contract.end_date is None:
        return None
    if contract.tacit_renewal and contract.status not in (S.TERMINATED, S.ENDED):
        return None
    return contract.end_date


def version_spec(v: ContractLineVersion | RunVersion) -> VersionSpec:
    return VersionSpec(
        valid_from=v.valid_from,
        quantity=v.quantity,
        unit_price=v.unit_price,
        frequency=v.frequency,
        term=v.term,
        months=frozenset(int(m) for m in v.months.split(",") if m),
        one_off_date=v.one_off_date,
        start_date=v.start_date,
        end_date=v.end_date,
        annual_budget=v.annual_budget,
        removed=v.removed,
        description=v.description,
        version_id=v.id,
    )


def contract_spec(contract: Contract | RunContract) -> ContractSpec:
    """The pure description of a loaded contract (or of the run's record of it), for
    app.billing.plan."""
    return ContractSpec(
        start_date=contract.start_date,
        end_date=effective_end(contract),
        prorata=contract.prorata,
        # Cancelled versions and suspensions (kept for the audit trail) do not bill: the
        # ORM relationships already leave them out, the run's plain rows do not.
        lines=tuple(
            LineSpec(cl.id, tuple(version_spec(v) for v in cl.versions if not v.cancelled))
            for cl in contract.lines
        ),
        suspensions=tuple(
            SuspensionSpec(s.start_date, s.end_date, s.line_id, s.billed)
            for s in contract.suspensions
            if s.cancelled_at is None
        ),
    )
