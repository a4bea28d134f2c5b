"""Sites (chantiers): address, access, surfaces by zone, technical constraints, photos."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, identifiers
from app.errors import NotFoundError, StateError, ValidationError, ValidationErrors
from app.money import to_decimal
from models.clients import Client, Site

# The structured checklist of technical constraints (code → French label).
CONSTRAINTS: dict[str, str] = {
    "water_point": "Point d'eau disponible sur place",
    "storage_room": "Local de stockage du matériel",
    "lift": "Ascenseur",
    "no_lift": "Pas d'ascenseur (matériel par l'escalier)",
    "hours_restricted": "Horaires restreints (hors présence du personnel)",
    "alarm": "Alarme à désactiver / réactiver",
    "badge": "Badge ou clé d'accès nominatif",
    "safety_equipment": "EPI obligatoires (chaussures, gilet…)",
    "height_work": "Travail en hauteur (nacelle, échafaudage)",
    "products_forbidden": "Produits interdits (allergies, écolabel exigé…)",
    "hygiene_zone": "Zone à contraintes d'hygiène (soins, cuisine)",
    "waste_sorting": "Tri sélectif des déchets",
    "parking": "Stationnement difficile",
    "lone_worker": "Travailleur isolé (dispositif d'alerte)",
}


@dataclass
class SiteForm:
    code: str = ""
    name: str = ""
    client_id: int | None = None
    payer_id: int | None = None
    street: str = ""
    street2: str = ""
    postcode: str = ""
    city: str = ""
    # Where the building is: French VAT applies only to a site in France (CGI art. 259 A 2°).
    country: str = "FR"
    access_codes: str = ""
    keys: str = ""
    opening_hours: str = ""
    surfaces: str = ""  # one « zone : m² » per line
    floor_types: str = ""
    constraints: list[str] = field(default_factory=list)
    constraints_notes: str = ""
    onsite_contact: str = ""
    onsite_phone: str = ""


@dataclass(frozen=True)
class SiteRow:
    id: int
    code: str
    name: str
    client_id: int
    client: str
    payer: str
    city: str
    surface: Decimal
    active: bool


# --- surfaces (pure) -----------------------------------------------------------------------


def parse_surfaces(text: str) -> dict[str, Decimal]:
    """« Bureaux : 450 » per line → {"Bureaux": Decimal("450")}; French commas accepted."""
    surfaces: dict[str, Decimal] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = re.fullmatch(r"(.+?)\s*[:=]\s*([0-9][0-9\s.,]*)\s*(m²|m2)?", line)
        if not match:
            raise ValidationError(
                "Surfaces",
                "Ligne {n} des {field} : écrivez « zone : m² » (ex. « Bureaux : 450 »).",
                n=number,
            )
        zone = match.group(1).strip()
        area = to_decimal(match.group(2), field="Surfaces")
        if area <= 0:
            raise ValidationError("Surfaces", "Ligne {n} des {field} : surface nulle.", n=number)
        if zone in surfaces:
            raise ValidationError(
                "Surfaces", "La zone « {z} » figure deux fois dans les {field}.", z=zone
            )
        surfaces[zone] = area
    return surfaces


def format_surfaces(surfaces: dict[str, Decimal]) -> str:
    """Editable text (no thousands separator, French decimal comma)."""
    return "\n".join(
        f"{zone} : {format(area.normalize(), 'f').replace('.', ',')}"
        for zone, area in surfaces.items()
    )


def surfaces_of(site: Site) -> dict[str, Decimal]:
    """The stored surfaces (JSON ``{"zone": "m²"}``). Bases built by an older reference-firm
    generator hold the typed text (« Bureaux : 450 »): read as the form would parse it."""
    return stored_surfaces(site.surfaces)


def stored_surfaces(text: str | None) -> dict[str, Decimal]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return parse_surfaces(text)
    if not isinstance(data, dict):
        return parse_surfaces(str(data))
    return {str(zone): to_decimal(str(value), field="Surfaces") for zone, value in data.items()}


def total_surface(surfaces: dict[str, Decimal]) -> Decimal:
    return sum(surfaces.values(), Decimal("0"))


def constraints_of(site: Site) -> list[str]:
    return list(json.loads(site.constraints)) if site.constraints else []


def constraint_labels(site: Site) -> list[str]:
    return [CONSTRAINTS.get(c, c) for c in constraints_of(site)]


def photos_of(site: Site) -> list[str]:
    """Plain copies stored by older versions under ``<base>.files/sites/<id>/`` (read-only
    history: new photos are ``QuotePhoto`` rows, see :mod:`app.site_photos`)."""
    return list(json.loads(site.photos)) if site.photos else []


# --- use cases -----------------------------------------------------------------------------


def suggest_site_code(session: Session, client_id: int) -> str:
    client = session.get(Client, client_id)
    if client is None:
        return ""
    codes = set(session.scalars(select(Site.code).where(Site.code.like(f"{client.code}-%"))))
    n = 1
    while f"{client.code}-{n:02d}" in codes:
        n += 1
    return f"{client.code}-{n:02d}"


def validate(session: Session, form: SiteForm, site_id: int | None = None) -> dict[str, Any]:
    errors: list[ValidationError] = []
    values: dict[str, Any] = {}

    def run(name: str, fn: Any, *args: Any) -> None:
        try:
            values[name] = fn(*args)
        except ValidationError as exc:
            errors.append(exc)

    run("code", identifiers.text, form.code.upper(), "Code chantier", 20, True)
    if values.get("code") and session.scalar(
        select(Site.id).where(Site.code == values["code"], Site.id != (site_id or 0))
    ):
        errors.append(
            ValidationError("Code chantier", "Le {field} « {v} » existe déjà.", v=values["code"])
        )
    run("name", identifiers.text, form.name, "Nom du chantier", 200, True)
    client = session.get(Client, form.client_id) if form.client_id else None
    if client is None:
        errors.append(ValidationError("Client", "Le champ « {field} » est obligatoire."))
    elif not client.active and site_id is None:
        errors.append(ValidationError("Client", "Le {field} « {n} » est désactivé.", n=client.name))
    values["client_id"] = client.id if client else None
    values["payer_id"] = None
    if form.payer_id and client is not None and form.payer_id != client.id:
        payer = session.get(Client, form.payer_id)
        if payer is None or not payer.active:
            errors.append(
                ValidationError("Payeur", "Le {field} choisi n'existe pas ou est inactif.")
            )
        else:
            values["payer_id"] = payer.id
    run("street", identifiers.text, form.street, "Adresse du chantier", 200, True)
    run("street2", identifiers.text, form.street2, "Complément d'adresse", 200)
    country = (form.country or "FR").strip().upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        errors.append(
            ValidationError(
                "Pays du chantier", "Le {field} est un code à deux lettres (FR, BE, DE…)."
            )
        )
    values["country"] = country
    run("postcode", identifiers.postcode, form.postcode, "Code postal", country)
    run("city", identifiers.text, form.city, "Ville", 100, True)
    run("access_codes", identifiers.text, form.access_codes, "Codes d'accès", 1000)
    run("keys", identifiers.text, form.keys, "Clés", 1000)
    run("opening_hours", identifiers.text, form.opening_hours, "Horaires d'intervention", 200)
    run("floor_types", identifiers.text, form.floor_types, "Types de sols", 200)
    run("constraints_notes", identifiers.text, form.constraints_notes, "Autres contraintes", 5000)
    run("onsite_contact", identifiers.text, form.onsite_contact, "Contact sur place", 150)
    run("onsite_phone", identifiers.text, form.onsite_phone, "Téléphone sur place", 30)
    try:
        surfaces = parse_surfaces(form.surfaces)
        values["surfaces"] = (
            json.dumps({z: str(a) for z, a in surfaces.items()}, ensure_ascii=False)
            if surfaces
            else ""
        )
    except ValidationError as exc:
        errors.append(exc)
    unknown = [c for c in form.constraints if c not in CONSTRAINTS]
    if unknown:
        errors.append(
            ValidationError("Contraintes", "Contrainte inconnue : {c}.", c=", ".join(unknown))
        )
    values["constraints"] = (
        json.dumps([c for c in CONSTRAINTS if c in form.constraints]) if form.constraints else ""
    )
    if errors:
        raise ValidationErrors(errors)
    return values


FIELD_LABELS = {
    "code": "Code",
    "name": "Nom",
    "client_id": "Client",
    "payer_id": "Payeur",
    "street": "Adresse",
    "street2": "Complément",
    "postcode": "Code postal",
    "city": "Ville",
    "country": "Pays",
    "access_codes": "Codes d'accès",
    "keys": "Clés",
    "opening_hours": "Horaires",
    "surfaces": "Surfaces",
    "floor_types": "Sols",
    "constraints": "Contraintes",
    "constraints_notes": "Autres contraintes",
    "onsite_contact": "Contact sur place",
    "onsite_phone": "Téléphone sur place",
}


def get_site(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError("Chantier introuvable (n° {id}).", id=site_id)
    return site


def save_site(session: Session, site_id: int | None, form: SiteForm) -> Site:
    values = validate(session, form, site_id)
    if site_id is None:
        site = Site(**values)
        session.add(site)
        session.flush()
        audit.record(
            session,
            "site",
            site.id,
            "create",
            f"Chantier {site.code} — {site.name} créé",
            client_id=site.client_id,
        )
        return site
    site = get_site(session, site_id)
    changes = audit.diff(site, values)
    if changes:
        session.flush()
        audit.record(
            session,
            "site",
            site.id,
            "update",
            f"Chantier {site.code} modifié : " + ", ".join(FIELD_LABELS.get(k, k) for k in changes),
            client_id=site.client_id,
            changes={FIELD_LABELS.get(k, k): v for k, v in changes.items()},
        )
    return site


def set_site_active(session: Session, site_id: int, active: bool) -> Site:
    site = get_site(session, site_id)
    if site.active != active:
        site.active = active
        audit.record(
            session,
            "site",
            site.id,
            "activate" if active else "deactivate",
            f"Chantier {site.code} {'réactivé' if active else 'désactivé'}",
            client_id=site.client_id,
        )
    return site


def form_from_site(site: Site) -> SiteForm:
    form = SiteForm()
    for f in fields(SiteForm):
        if f.name == "surfaces":
            form.surfaces = format_surfaces(surfaces_of(site))
        elif f.name == "constraints":
            form.constraints = constraints_of(site)
        else:
            setattr(form, f.name, getattr(site, f.name))
    return form


def new_site_form(session: Session, client_id: int) -> SiteForm:
    """A blank site for a client, prefilled with the client's address and a code."""
    client = session.get(Client, client_id)
    form = SiteForm(client_id=client_id, code=suggest_site_code(session, client_id))
    if client is not None:
        form.name = client.name
        form.street, form.street2 = client.street, client.street2
        form.postcode, form.city = client.postcode, client.city
    return form


def list_sites(
    session: Session, *, client_id: int | None = None, include_inactive: bool = True
) -> list[SiteRow]:
    names = dict(session.execute(select(Client.id, Client.name)).all())
    query = select(Site).order_by(Site.code)
    if client_id is not None:
        query = query.where((Site.client_id == client_id) | (Site.payer_id == client_id))
    if not include_inactive:
        query = query.where(Site.active)
    return [
        SiteRow(
            id=s.id,
            code=s.code,
            name=s.name,
            client_id=s.client_id,
            client=names.get(s.client_id, ""),
            payer=names.get(s.payer_id, "") if s.payer_id else names.get(s.client_id, ""),
            city=s.city,
            surface=total_surface(surfaces_of(s)),
            active=s.active,
        )
        for s in session.scalars(query)
    ]


def client_choices(session: Session) -> list[tuple[int, str]]:
    from app import choices

    return choices.clients(session)


def remove_site_photo(session: Session, site_id: int, name: str) -> None:
    """Detach a plain copy listed by an older version (``Site.photos``); new photos go
    through the cleaned photo store (:mod:`app.site_photos`)."""
    site = get_site(session, site_id)
    photos = photos_of(site)
    if name not in photos:
        raise StateError("La photo « {n} » n'est pas rattachée à ce chantier.", n=name)
    photos.remove(name)
    site.photos = json.dumps(photos, ensure_ascii=False) if photos else ""
    audit.record(
        session,
        "site",
        site.id,
        "photo",
        f"Photo retirée du chantier {site.code} : {name}",
        client_id=site.client_id,
    )
