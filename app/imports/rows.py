"""One row of a master-data file → the form of its screen → the screen's own use case.

Nothing is written past the rules: every row goes through ``clients.create_client``,
``sites.save_site``, ``contacts.save_contact``, ``catalog.save_family`` and
``catalog.save_article``, which validate it exactly as the forms do. What is read here is
only the translation of a cell into the form's value (a code into an id, « 30 jours net »
into payment terms, « oui » into True).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import catalog, clients, contacts, sites
from app.errors import ValidationError
from app.imports.values import choice, fold, number, optional_date, yes_no
from app.terms import DAYS_END_OF_MONTH, END_OF_MONTH_PLUS, NET, ON_RECEIPT
from models.catalog import UNITS, Account, ArticleFamily, VatRate
from models.clients import Client, ClientKind, Contact, Site

Cells = dict[str, str]

# Words other software uses for the kinds of clients, besides Propreo's own labels.
KIND_WORDS = {
    "syndic": ClientKind.MANAGER,
    "regie": ClientKind.MANAGER,
    "copro": ClientKind.CONDOMINIUM,
    "sdc": ClientKind.CONDOMINIUM,
    "copropriete": ClientKind.CONDOMINIUM,
    "public": ClientKind.PUBLIC,
    "collectivite": ClientKind.PUBLIC,
    "societe": ClientKind.COMPANY,
    "professionnel": ClientKind.COMPANY,
    "prive": ClientKind.PERSON,
}
MEANS_WORDS = {"prelevement": "direct_debit", "cb": "card", "traite": "lcr", "cheque": "cheque"}


def lost_zeros(cells: Cells) -> Cells:
    """A spreadsheet stores « 01000 » and « 0612345678 » as numbers and drops their first
    zero: a French postcode of 4 digits and a phone number of 9 digits get it back."""
    fixed = dict(cells)
    for key in ("postcode", "delivery_postcode"):
        value = fixed.get(key, "").strip()
        if re.fullmatch(r"\d{4}", value) and fixed.get("country", "FR").strip() in ("", "FR"):
            fixed[key] = "0" + value
    for key in ("phone", "mobile", "onsite_phone"):
        value = fixed.get(key, "").strip()
        if re.fullmatch(r"[1-9]\d{8}", value):
            fixed[key] = "0" + value
    return fixed


def client_kind(text: str) -> str:
    word = fold(text)
    if word in KIND_WORDS:
        return KIND_WORDS[word]
    return choice(text, "Type", clients.KIND_LABELS, default=ClientKind.COMPANY)


def client_by_code(session: Session, code: str, field: str) -> Client:
    """The client whose code is ``code`` (in the base or imported by an earlier row)."""
    code = (code or "").strip().upper()
    if not code:
        raise ValidationError(field, "Le champ « {field} » est obligatoire.")
    client = session.scalar(select(Client).where(Client.code == code))
    if client is None:
        raise ValidationError(
            field,
            "{field} « {value} » : aucun client n'a ce code (ni dans Propreo, ni parmi les "
            "lignes acceptées de ce fichier).",
            value=code,
        )
    return client


def payment_terms(text: str) -> tuple[str, int] | None:
    """« 30 jours net », « 45 j fin de mois », « fin de mois + 45 », « à réception »."""
    words = fold(text)
    if not words:
        return None
    if words in ("a reception", "comptant", "reception", "0"):
        return ON_RECEIPT, 0
    if match := re.fullmatch(r"fin de mois (?:le )?(\d+)(?: j| jours)?", words):
        return END_OF_MONTH_PLUS, int(match.group(1))
    if match := re.fullmatch(r"(\d+) ?(?:j|jours)? fin de mois", words):
        return DAYS_END_OF_MONTH, int(match.group(1))
    if match := re.fullmatch(r"(\d+) ?(?:j|jours)?(?: net)?", words):
        return NET, int(match.group(1))
    raise ValidationError(
        "Conditions de règlement",
        "« {value} » : écrivez par exemple « 30 jours net », « 45 jours fin de mois », "
        "« fin de mois + 45 jours » ou « à réception ».",
        value=text,
    )


def _refuse_twice(session: Session, model: Any, field: str, name: str, *same: Any) -> None:
    """A row without its own code is refused when the base already holds it (same name
    and client or postcode): importing a file twice never doubles a record."""
    if name and session.scalar(select(model.id).where(*same).limit(1)) is not None:
        raise ValidationError(field, "« {value} » existe déjà dans Propreo.", value=name)


def import_client(session: Session, cells: Cells) -> str:
    cells = lost_zeros(cells)
    kind = client_kind(cells.get("kind", ""))
    form = clients.new_client_form(session, kind, cells.get("name", "").strip())
    for key in (
        "legal_form",
        "siret",
        "siren",
        "vat_number",
        "street",
        "street2",
        "postcode",
        "city",
        "phone",
        "email",
        "invoice_email",
        "iban",
        "bic",
        "mandate_reference",
        "account_code",
        "notes",
    ):
        setattr(form, key, cells.get(key, "").strip())
    form.siret, form.siren = form.siret.replace(" ", ""), form.siren.replace(" ", "")
    form.country = cells.get("country", "").strip() or "FR"
    if cells.get("code", "").strip():
        form.code = cells["code"].strip().upper()
    else:  # a code is suggested: the same file imported twice must not double the client
        postcode = cells.get("postcode", "").strip()
        same = (Client.name == form.name, Client.postcode == postcode)
        _refuse_twice(session, Client, "Nom / raison sociale", form.name, *same)
    if cells.get("manager_code", "").strip():
        form.manager_id = client_by_code(session, cells["manager_code"], "Code syndic").id
    terms = payment_terms(cells.get("payment_terms", ""))
    if terms is not None:
        form.payment_term_kind, form.payment_term_days = terms
    means = cells.get("payment_means", "")
    form.payment_means = MEANS_WORDS.get(fold(means)) or choice(
        means, "Mode de règlement", clients.PAYMENT_MEANS, default="transfer"
    )
    form.sending_mode = choice(
        cells.get("sending_mode", ""), "Mode d'envoi", clients.SENDING_MODES, default="paper"
    )
    client = clients.create_client(session, form)
    _mandate(session, client, cells)
    return f"{client.code} — {client.name}"


def _mandate(session: Session, client: Client, cells: Cells) -> None:
    """The client's SEPA mandate, through the mandate screen's use case, when its date is
    given. One already used by the previous software goes on with RCUR debits and lapses
    36 months after its last debit, not after its signature."""
    signed = optional_date(cells.get("mandate_date", ""), "Date de signature du mandat")
    last = optional_date(cells.get("mandate_last", ""), "Dernier prélèvement")
    if signed is None:
        if last is not None:
            raise ValidationError(
                "Date de signature du mandat",
                "La {field} est obligatoire avec un dernier prélèvement.",
            )
        return
    from app.payments.sepa_mandates import MandateForm, save_mandate

    scheme = cells.get("mandate_scheme", "").strip().upper() or "CORE"
    mandate = save_mandate(
        session,
        None,
        MandateForm(
            client_id=client.id,
            rum=client.mandate_reference,
            signature_date=signed,
            scheme=scheme,
            iban=client.iban,
            bic=client.bic,
        ),
    )
    if last is not None:
        if last < signed:
            raise ValidationError(
                "Dernier prélèvement", "Le {field} précède la signature du mandat."
            )
        mandate.collections_done, mandate.last_collection = 1, last


def _surfaces(text: str) -> str:
    """« Bureaux : 450 ; Sanitaires : 30 » (one cell) as the form's lines; a bare number
    is the site's whole surface."""
    text = (text or "").strip()
    if text and re.fullmatch(r"[\d\s.,]+(m²|m2)?", text):
        return f"Surface totale : {text}"
    return "\n".join(part.strip() for part in re.split(r"[;\n|]", text) if part.strip())


def import_site(session: Session, cells: Cells) -> str:
    cells = lost_zeros(cells)
    client = client_by_code(session, cells.get("client_code", ""), "Code client")
    form = sites.new_site_form(session, client.id)
    if cells.get("code", "").strip():
        form.code = cells["code"].strip().upper()
    else:
        name = cells.get("name", "").strip()
        same = (Site.name == name, Site.client_id == client.id)
        _refuse_twice(session, Site, "Nom du chantier", name, *same)
    for key in (
        "name",
        "street",
        "street2",
        "postcode",
        "city",
        "access_codes",
        "keys",
        "opening_hours",
        "floor_types",
        "onsite_contact",
        "onsite_phone",
    ):
        if cells.get(key, "").strip():
            setattr(form, key, cells[key].strip())
    form.country = cells.get("country", "").strip() or "FR"
    form.surfaces = _surfaces(cells.get("surfaces", ""))
    if cells.get("payer_code", "").strip():
        form.payer_id = client_by_code(session, cells["payer_code"], "Code payeur").id
    site = sites.save_site(session, None, form)
    return f"{site.code} — {site.name}"


def import_contact(session: Session, cells: Cells) -> str:
    cells = lost_zeros(cells)
    client = client_by_code(session, cells.get("client_code", ""), "Code client")
    name = cells.get("name", "").strip()
    same = (Contact.name == name, Contact.client_id == client.id)
    _refuse_twice(session, Contact, "Nom du contact", name, *same)
    form = contacts.ContactForm(client_id=client.id)
    for key in ("name", "role", "service", "phone", "mobile", "email", "notes"):
        setattr(form, key, cells.get(key, "").strip())
    form.is_invoice_contact = yes_no(cells.get("is_invoice_contact", ""), "Contact facturation")
    contact = contacts.save_contact(session, None, form)
    return f"{contact.name} ({client.code})"


# --- articles and their families -------------------------------------------------------------


def _account(session: Session, text: str) -> Account | None:
    number_text = re.sub(r"\s", "", text or "")
    if not number_text:
        return None
    account = session.scalar(select(Account).where(Account.number == number_text))
    if account is None:
        raise ValidationError(
            "Compte de produit",
            "Le {field} « {value} » n'existe pas : créez-le d'abord (Paramètres › Comptes).",
            value=number_text,
        )
    return account


def _vat_rate(session: Session, text: str) -> VatRate:
    """The active VAT rate named by its percentage (« 20 », « 5,5 % »), code or label;
    empty: the normal 20 % rate."""
    rates = list(session.scalars(select(VatRate).where(VatRate.active)))
    words = fold(text)
    for rate in rates:
        if words and words in (fold(rate.code), fold(rate.label)):
            return rate
    value = number(text or "20", "TVA (%)", 6)
    standard = [r for r in rates if r.rate == value and r.category == "S"]
    found = standard or [r for r in rates if r.rate == value]
    if not found:
        raise ValidationError(
            "TVA (%)",
            "Aucun taux de TVA actif de {value} % : créez-le d'abord (Paramètres › TVA).",
            value=text,
        )
    return found[0]


def _family(session: Session, cells: Cells, account: Account | None) -> ArticleFamily | None:
    code = cells.get("family_code", "").strip().upper()
    label = cells.get("family_label", "").strip()
    if not code and label:
        code = re.sub(r"[^A-Z0-9]", "", fold(label).upper())[:20]
    if not code:
        return None
    family = session.scalar(select(ArticleFamily).where(ArticleFamily.code == code))
    if family is None:  # created on the fly, with the account of its first article
        family = catalog.save_family(
            session, None, code, label or code, account.id if account else None
        )
    return family


def import_article(session: Session, cells: Cells) -> str:
    account = _account(session, cells.get("revenue_account", ""))
    family = _family(session, cells, account)
    unit_words = {fold(u): u for u in UNITS} | {"h": "heure", "u": "unité", "m2": "m²"}
    unit_text = cells.get("unit", "").strip()
    unit = unit_words.get(fold(unit_text), unit_text) if unit_text else "forfait"
    price = cells.get("unit_price", "").strip()
    form = catalog.ArticleForm(
        code=cells.get("code", "").strip(),
        label=cells.get("label", "").strip(),
        description=cells.get("description", "").strip(),
        unit=unit,
        unit_price=str(number(price, "Prix unitaire HT", 4)) if price else "0",
        vat_rate_id=_vat_rate(session, cells.get("vat", "")).id,
        family_id=family.id if family else None,
        revenue_account_id=account.id if account else None,
        is_service=not yes_no(cells.get("is_product", ""), "Fourniture (produit)"),
        sap_service=yes_no(cells.get("sap_service", ""), "Service à la personne"),
    )
    article = catalog.save_article(session, None, form)
    return f"{article.code} — {article.label}"


def site_by_code(session: Session, code: str, field: str) -> Site | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise ValidationError(
            field, "{field} « {value} » : aucun chantier n'a ce code.", value=code
        )
    return site


IMPORTERS: dict[str, Any] = {
    "clients": import_client,
    "sites": import_site,
    "contacts": import_contact,
    "articles": import_article,
}
