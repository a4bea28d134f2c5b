"""Clients: validation of the legal identity, create / edit / deactivate (codes: app.client_codes).

A client is never deleted once anything refers to it (sites, documents, payments...):
it is deactivated instead. Copropriétés (SDC) are clients of their own, managed by a
syndic / régie (``manager_id``); they are the legal client and payer of their building.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, identifiers, input_rules
from app.client_codes import CODE_FIELD, check_code, company_code_rule
from app.client_codes import CODE_RULES as CODE_RULES  # public names kept here
from app.client_codes import code_letters as code_letters
from app.client_codes import suggest_client_code as suggest_client_code
from app.errors import NotFoundError, StateError, ValidationError, ValidationErrors
from app.money import round_money
from app.terms import PaymentTerms
from models.base import Base
from models.clients import Client, ClientKind
from models.company import CompanySettings

KIND_LABELS: dict[str, str] = {
    ClientKind.COMPANY: "Entreprise",
    ClientKind.PUBLIC: "Organisme public",
    ClientKind.PERSON: "Particulier",
    ClientKind.MANAGER: "Syndic / régie",
    ClientKind.CONDOMINIUM: "Copropriété (SDC)",
}

SENDING_MODES: dict[str, str] = {
    "paper": "Courrier",
    "email": "E-mail",
    "platform": "Plateforme (Factur-X)",
}

PAYMENT_MEANS: dict[str, str] = {
    "transfer": "Virement",
    "cheque": "Chèque",
    "direct_debit": "Prélèvement SEPA",
    "card": "Carte bancaire",
    "cash": "Espèces",
    "lcr": "LCR",
}


@dataclass
class ClientForm:
    """What the client form edits (plain values, amounts as text)."""

    code: str = ""
    kind: str = ClientKind.COMPANY
    name: str = ""
    legal_form: str = ""
    manager_id: int | None = None
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    chorus_service_code: str = ""
    chorus_commitment: str = ""
    street: str = ""
    street2: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "FR"
    delivery_street: str = ""
    delivery_postcode: str = ""
    delivery_city: str = ""
    phone: str = ""
    email: str = ""
    invoice_email: str = ""
    sending_mode: str = "paper"
    payment_term_kind: str = "net"
    payment_term_days: int = 30
    payment_means: str = "transfer"
    mandate_reference: str = ""
    iban: str = ""
    bic: str = ""
    credit_limit: str = ""
    blocked: bool = False
    in_litigation: bool = False
    notes: str = ""
    account_code: str = ""


@dataclass(frozen=True)
class ClientRow:
    """One line of the clients list."""

    id: int
    code: str
    kind: str
    kind_label: str
    name: str
    city: str
    manager: str
    phone: str
    email: str
    blocked: bool
    active: bool


# --- validation ----------------------------------------------------------------------------


def validate(session: Session, form: ClientForm, client_id: int | None = None) -> dict[str, Any]:
    """Check the whole form; raise ValidationErrors naming each bad field (in French)."""
    errors: list[ValidationError] = []
    values: dict[str, Any] = {}

    def run(name: str, fn: Any, *args: Any) -> None:
        try:
            values[name] = fn(*args)
        except ValidationError as exc:
            errors.append(exc)

    rule = company_code_rule(session)
    run("code", check_code, form.code, rule)
    if "code" in values:
        clash = session.scalar(
            select(Client.id).where(Client.code == values["code"], Client.id != (client_id or 0))
        )
        if clash:
            errors.append(
                ValidationError(
                    CODE_FIELD, "Le {field} « {value} » est déjà utilisé.", value=values["code"]
                )
            )
    if form.kind not in KIND_LABELS:
        errors.append(ValidationError("Type de client", "Type de client inconnu."))
    values["kind"] = form.kind
    run("name", identifiers.text, form.name, "Nom / raison sociale", 200, True)
    run("legal_form", identifiers.text, form.legal_form, "Forme juridique", 50)
    run("siren", identifiers.siren, form.siren, "SIREN")
    run("siret", identifiers.siret, form.siret, "SIRET")
    run("vat_number", identifiers.vat_number, form.vat_number, "N° TVA intracommunautaire")
    run("chorus_service_code", identifiers.text, form.chorus_service_code, "Code service", 100)
    run("chorus_commitment", identifiers.text, form.chorus_commitment, "N° d'engagement", 50)
    run("street", identifiers.text, form.street, "Adresse", 200, form.kind != ClientKind.PERSON)
    run("street2", identifiers.text, form.street2, "Complément d'adresse", 200)
    country = (form.country or "FR").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        errors.append(
            ValidationError(
                "Pays",
                "Le {field} « {value} » doit être un code ISO à 2 lettres (FR, BE…).",
                value=form.country,
            )
        )
        country = "FR"
    values["country"] = country
    run("postcode", identifiers.postcode, form.postcode, "Code postal", country)
    run("city", identifiers.text, form.city, "Ville", 100, True)
    run("delivery_street", identifiers.text, form.delivery_street, "Adresse de livraison", 200)
    run("delivery_postcode", identifiers.postcode, form.delivery_postcode, "CP de livraison")
    run("delivery_city", identifiers.text, form.delivery_city, "Ville de livraison", 100)
    run("phone", identifiers.text, form.phone, "Téléphone", 30)
    run("email", identifiers.email, form.email, "E-mail")
    run("invoice_email", identifiers.email, form.invoice_email, "E-mail de facturation")
    run("mandate_reference", identifiers.text, form.mandate_reference, "Référence du mandat", 35)
    run("iban", identifiers.iban, form.iban, "IBAN")
    run("bic", identifiers.bic, form.bic, "BIC")
    run("credit_limit", _credit_limit, form.credit_limit)
    run("notes", identifiers.text, form.notes, "Notes", 5000)
    run("account_code", identifiers.text, form.account_code, "Compte client", 20)
    try:
        terms = PaymentTerms(form.payment_term_kind, int(form.payment_term_days))
        values["payment_term_kind"], values["payment_term_days"] = terms.kind, terms.days
    except ValidationError as exc:
        errors.append(exc)
    if form.sending_mode not in SENDING_MODES:
        errors.append(ValidationError("Mode d'envoi", "Mode d'envoi inconnu."))
    if form.payment_means not in PAYMENT_MEANS:
        errors.append(ValidationError("Mode de règlement", "Mode de règlement inconnu."))
    values.update(
        sending_mode=form.sending_mode,
        payment_means=form.payment_means,
        blocked=bool(form.blocked),
        in_litigation=bool(form.in_litigation),
    )
    # Cross-field rules, unless the field already has its own error (one message per field).
    bad = {e.field for e in errors}
    errors.extend(e for e in _kind_rules(session, form, values, client_id) if e.field not in bad)
    if errors:
        raise ValidationErrors(errors)
    if not values["account_code"]:
        values["account_code"] = f"411{values['code']}"[:20]
    return values


def _credit_limit(text: str) -> Decimal | None:
    if not (text or "").strip():
        return None
    amount = input_rules.number(text, "Encours autorisé")
    if amount < 0:
        raise ValidationError("Encours autorisé", "L'{field} ne peut pas être négatif.")
    return round_money(amount)


def _kind_rules(
    session: Session, form: ClientForm, values: dict[str, Any], client_id: int | None
) -> list[ValidationError]:
    """Rules that depend on the kind of client and on several fields together."""
    errors: list[ValidationError] = []
    kind = form.kind
    siren, siret = values.get("siren", ""), values.get("siret", "")
    if siret and not siren:
        values["siren"] = siren = siret[:9]
    if siren and siret and siret[:9] != siren:
        errors.append(
            ValidationError("SIRET", "Le {field} ne commence pas par le SIREN « {s} ».", s=siren)
        )
    vat = values.get("vat_number", "")
    if siren and vat.startswith("FR") and identifiers.siren_of_vat(vat) != siren:
        errors.append(
            ValidationError(
                "N° TVA intracommunautaire",
                "Le {field} « {value} » ne correspond pas au SIREN « {s} ».",
                value=vat,
                s=siren,
            )
        )
    if kind in (ClientKind.COMPANY, ClientKind.MANAGER) and not siren and values["country"] == "FR":
        errors.append(
            ValidationError(
                "SIRET", "Le {field} (ou le SIREN) est obligatoire pour un client professionnel."
            )
        )
    if kind == ClientKind.PUBLIC and not siret:
        errors.append(
            ValidationError(
                "SIRET", "Le {field} est obligatoire pour un organisme public (Chorus Pro)."
            )
        )
    if kind == ClientKind.PERSON and (siren or vat):
        errors.append(
            ValidationError("SIREN", "Un particulier n'a pas de {field} ni de n° de TVA.")
        )
    values["manager_id"] = None
    if kind == ClientKind.CONDOMINIUM:
        manager = session.get(Client, form.manager_id) if form.manager_id else None
        if manager is None or manager.kind != ClientKind.MANAGER:
            errors.append(
                ValidationError("Syndic", "Une copropriété doit être rattachée à un {field}.")
            )
        elif not manager.active:
            errors.append(
                ValidationError("Syndic", "Le {field} « {n} » est désactivé.", n=manager.name)
            )
        else:
            values["manager_id"] = manager.id
    if kind != ClientKind.MANAGER and client_id is not None:
        managed = session.scalar(
            select(func.count(Client.id)).where(Client.manager_id == client_id, Client.active)
        )
        if managed:
            errors.append(
                ValidationError(
                    "Type de client",
                    "Ce client gère encore {n} copropriété(s) : il doit rester syndic.",
                    n=managed,
                )
            )
    if values.get("payment_means") == "direct_debit" and not values.get("iban"):
        errors.append(ValidationError("IBAN", "L'{field} est obligatoire pour un prélèvement."))
    if form.sending_mode == "email" and not (values.get("invoice_email") or values.get("email")):
        errors.append(
            ValidationError(
                "E-mail de facturation", "L'{field} est obligatoire pour un envoi par e-mail."
            )
        )
    if form.sending_mode == "platform" and not siren:
        errors.append(
            ValidationError("SIRET", "Le {field} est obligatoire pour un envoi par plateforme.")
        )
    return errors


# --- use cases -----------------------------------------------------------------------------

FIELD_LABELS: dict[str, str] = {
    "code": CODE_FIELD,
    "kind": "Type",
    "name": "Nom",
    "legal_form": "Forme juridique",
    "manager_id": "Syndic",
    "siren": "SIREN",
    "siret": "SIRET",
    "vat_number": "N° TVA",
    "chorus_service_code": "Code service",
    "chorus_commitment": "N° d'engagement",
    "street": "Adresse",
    "street2": "Complément d'adresse",
    "postcode": "Code postal",
    "city": "Ville",
    "country": "Pays",
    "delivery_street": "Adresse de livraison",
    "delivery_postcode": "CP de livraison",
    "delivery_city": "Ville de livraison",
    "phone": "Téléphone",
    "email": "E-mail",
    "invoice_email": "E-mail de facturation",
    "sending_mode": "Mode d'envoi",
    "payment_term_kind": "Conditions de règlement",
    "payment_term_days": "Délai de paiement",
    "payment_means": "Mode de règlement",
    "mandate_reference": "Référence du mandat",
    "iban": "IBAN",
    "bic": "BIC",
    "credit_limit": "Encours autorisé",
    "blocked": "Bloqué",
    "in_litigation": "En litige",
    "notes": "Notes",
    "account_code": "Compte client",
    "active": "Actif",
}


def get_client(session: Session, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise NotFoundError("Client introuvable (n° {id}).", id=client_id)
    return client


def create_client(session: Session, form: ClientForm) -> Client:
    values = validate(session, form)
    client = Client(**values)
    session.add(client)
    session.flush()
    audit.record(
        session,
        "client",
        client.id,
        "create",
        f"Client {client.code} — {client.name} créé ({KIND_LABELS[client.kind]})",
        client_id=client.id,
    )
    return client


def update_client(session: Session, client_id: int, form: ClientForm) -> Client:
    client = get_client(session, client_id)
    values = validate(session, form, client_id)
    changes = audit.diff(client, values)
    if changes:
        session.flush()
        audit.record(
            session,
            "client",
            client.id,
            "update",
            "Fiche modifiée : " + ", ".join(FIELD_LABELS.get(k, k) for k in changes),
            client_id=client.id,
            changes={FIELD_LABELS.get(k, k): v for k, v in changes.items()},
        )
    return client


def save_client(session: Session, client_id: int | None, form: ClientForm) -> Client:
    """Create when ``client_id`` is None, else update (what the form's Save does)."""
    if client_id is None:
        return create_client(session, form)
    return update_client(session, client_id, form)


def set_client_active(session: Session, client_id: int, active: bool) -> Client:
    """Deactivate (or reactivate) a client: it stays in every document and history."""
    client = get_client(session, client_id)
    if not active:
        managed = session.scalar(
            select(func.count(Client.id)).where(Client.manager_id == client_id, Client.active)
        )
        if managed:
            raise StateError(
                "Ce syndic gère encore {n} copropriété(s) active(s) : désactivez-les ou "
                "rattachez-les à un autre syndic d'abord.",
                n=managed,
            )
    if client.active != active:
        client.active = active
        audit.record(
            session,
            "client",
            client.id,
            "activate" if active else "deactivate",
            f"Client {client.code} {'réactivé' if active else 'désactivé'}",
            client_id=client.id,
        )
    return client


def client_references(session: Session, client_id: int) -> dict[str, int]:
    """How many rows of each table refer to the client (contacts excepted)."""
    found: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "contacts":
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "clients" and fk.column.name == "id":
                column = fk.parent
                count = session.execute(
                    select(func.count()).select_from(table).where(column == client_id)
                ).scalar_one()
                if count:
                    found[table.name] = found.get(table.name, 0) + count
    return found


def delete_client(session: Session, client_id: int) -> None:
    """Delete a client created by mistake; refused as soon as anything refers to it."""
    client = get_client(session, client_id)
    used = client_references(session, client_id)
    if used:
        raise StateError(
            "Le client {code} est utilisé ({tables}) : il ne peut pas être supprimé, "
            "désactivez-le.",
            code=client.code,
            tables=", ".join(sorted(used)),
        )
    audit.record(session, "client", client.id, "delete", f"Client {client.code} supprimé")
    session.delete(client)
    session.flush()


def form_from_client(client: Client) -> ClientForm:
    form = ClientForm()
    for f in fields(ClientForm):
        value = getattr(client, f.name)
        if f.name == "credit_limit":
            value = "" if value is None else format(value, "f")
        setattr(form, f.name, value)
    return form


def new_client_form(session: Session, kind: str = ClientKind.COMPANY, name: str = "") -> ClientForm:
    """A blank form with the firm's default terms and a suggested code."""
    company = session.get(CompanySettings, 1)
    form = ClientForm(kind=kind, name=name)
    if company is not None:
        form.payment_term_kind = company.payment_term_kind
        form.payment_term_days = company.payment_term_days
    form.code = suggest_client_code(session, name, kind=kind) if name else ""
    return form


def list_clients(session: Session, *, include_inactive: bool = True) -> list[ClientRow]:
    managers = dict(
        session.execute(select(Client.id, Client.name).where(Client.kind == "manager")).all()
    )
    query = select(Client).order_by(Client.code)
    if not include_inactive:
        query = query.where(Client.active)
    return [
        ClientRow(
            id=c.id,
            code=c.code,
            kind=c.kind,
            kind_label=KIND_LABELS.get(c.kind, c.kind),
            name=c.name,
            city=c.city,
            manager=managers.get(c.manager_id, "") if c.manager_id else "",
            phone=c.phone,
            email=c.invoice_email or c.email,
            blocked=c.blocked,
            active=c.active,
        )
        for c in session.scalars(query)
    ]


def managers(session: Session) -> list[tuple[int, str]]:
    """Active syndics / régies for the copropriété's « Syndic » choice."""
    return [
        (c.id, f"{c.code} — {c.name}")
        for c in session.scalars(
            select(Client)
            .where(Client.kind == ClientKind.MANAGER, Client.active)
            .order_by(Client.name)
        )
    ]


@dataclass(frozen=True)
class CondominiumRow:
    client_id: int
    code: str
    name: str
    city: str
    sites: tuple[tuple[int, str, str], ...]  # (site id, code, name)
    active: bool


def managed_condominiums(session: Session, manager_id: int) -> list[CondominiumRow]:
    """The copropriétés a syndic manages, with their sites."""
    rows = []
    for c in session.scalars(
        select(Client).where(Client.manager_id == manager_id).order_by(Client.name)
    ):
        rows.append(
            CondominiumRow(
                client_id=c.id,
                code=c.code,
                name=c.name,
                city=c.city,
                sites=tuple((s.id, s.code, s.name) for s in c.sites),
                active=c.active,
            )
        )
    return rows


def payment_terms(client: Client) -> PaymentTerms:
    return PaymentTerms(client.payment_term_kind, client.payment_term_days)


# --- « Bloqué »: no new billing nor quote for the client ------------------------------------

BLOCKED_HINT = "Débloquez-le d'abord (fiche client, case « Bloqué »)."


def refuse_if_blocked(client: Any, what: str) -> None:
    """A blocked client gets no new quote and no issued invoice (credit notes stay possible):
    ``what`` says what is refused, in French."""
    if client is not None and client.blocked:
        raise ValidationError(
            "Client",
            "{client} est bloqué : {what} impossible. {hint}",
            client=client.name,
            what=what,
            hint=BLOCKED_HINT,
        )
