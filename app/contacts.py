"""Contacts of clients and the global, searchable directory."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import audit, identifiers
from app.errors import NotFoundError, ValidationError, ValidationErrors
from models.clients import Client, Contact


@dataclass
class ContactForm:
    client_id: int | None = None
    name: str = ""
    role: str = ""
    service: str = ""
    phone: str = ""
    mobile: str = ""
    email: str = ""
    is_invoice_contact: bool = False
    notes: str = ""


@dataclass(frozen=True)
class ContactRow:
    id: int
    client_id: int
    client_code: str
    client_name: str
    name: str
    role: str
    service: str
    phone: str
    mobile: str
    email: str
    is_invoice_contact: bool
    active: bool


def validate(session: Session, form: ContactForm) -> dict[str, Any]:
    errors: list[ValidationError] = []
    values: dict[str, Any] = {}

    def run(name: str, fn: Any, *args: Any) -> None:
        try:
            values[name] = fn(*args)
        except ValidationError as exc:
            errors.append(exc)

    if not form.client_id or session.get(Client, form.client_id) is None:
        errors.append(ValidationError("Client", "Le champ « {field} » est obligatoire."))
    values["client_id"] = form.client_id
    run("name", identifiers.text, form.name, "Nom du contact", 150, True)
    run("role", identifiers.text, form.role, "Fonction", 100)
    run("service", identifiers.text, form.service, "Service", 100)
    run("phone", identifiers.text, form.phone, "Téléphone", 30)
    run("mobile", identifiers.text, form.mobile, "Portable", 30)
    run("email", identifiers.email, form.email, "E-mail")
    run("notes", identifiers.text, form.notes, "Notes", 2000)
    values["is_invoice_contact"] = bool(form.is_invoice_contact)
    if not errors and not (values["phone"] or values["mobile"] or values["email"]):
        errors.append(ValidationError("Téléphone", "Indiquez au moins un téléphone ou un e-mail."))
    if errors:
        raise ValidationErrors(errors)
    return values


def save_contact(session: Session, contact_id: int | None, form: ContactForm) -> Contact:
    values = validate(session, form)
    if contact_id is None:
        created = Contact(**values)
        session.add(created)
        session.flush()
        audit.record(
            session,
            "contact",
            created.id,
            "create",
            f"Contact {created.name} ajouté",
            client_id=created.client_id,
        )
        return created
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("Contact introuvable (n° {id}).", id=contact_id)
    changes = audit.diff(contact, values)
    if changes:
        audit.record(
            session,
            "contact",
            contact.id,
            "update",
            f"Contact {contact.name} modifié",
            client_id=contact.client_id,
            changes=changes,
        )
    return contact


def set_contact_active(session: Session, contact_id: int, active: bool) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("Contact introuvable (n° {id}).", id=contact_id)
    if contact.active != active:
        contact.active = active
        audit.record(
            session,
            "contact",
            contact.id,
            "deactivate" if not active else "activate",
            f"Contact {contact.name} {'retiré' if not active else 'rétabli'}",
            client_id=contact.client_id,
        )
    return contact


def form_from_contact(contact: Contact) -> ContactForm:
    return ContactForm(**{f.name: getattr(contact, f.name) for f in fields(ContactForm)})


def contact_form(session: Session, contact_id: int) -> ContactForm:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("Contact introuvable (n° {id}).", id=contact_id)
    return form_from_contact(contact)


def directory(
    session: Session,
    search: str = "",
    *,
    client_id: int | None = None,
    include_inactive: bool = False,
) -> list[ContactRow]:
    """Contacts of every client (or one), filtered by a search over names, roles, phones."""
    query = select(Contact, Client).join(Client, Contact.client_id == Client.id)
    if client_id is not None:
        query = query.where(Contact.client_id == client_id)
    if not include_inactive:
        query = query.where(Contact.active)
    for word in search.split():
        like = f"%{word}%"
        query = query.where(
            or_(
                Contact.name.ilike(like),
                Contact.role.ilike(like),
                Contact.service.ilike(like),
                Contact.email.ilike(like),
                Contact.phone.ilike(like),
                Contact.mobile.ilike(like),
                Client.name.ilike(like),
                Client.code.ilike(like),
            )
        )
    query = query.order_by(Contact.name)
    return [
        ContactRow(
            id=ct.id,
            client_id=cl.id,
            client_code=cl.code,
            client_name=cl.name,
            name=ct.name,
            role=ct.role,
            service=ct.service,
            phone=ct.phone,
            mobile=ct.mobile,
            email=ct.email,
            is_invoice_contact=ct.is_invoice_contact,
            active=ct.active,
        )
        for ct, cl in session.execute(query)
    ]
