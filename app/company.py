"""The firm's own settings: read, validate, save."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app import audit, identifiers
from app.errors import NotFoundError, ValidationError, ValidationErrors
from app.money import decimal_text, to_decimal
from app.terms import PaymentTerms
from models.company import CompanySettings


@dataclass
class CompanyForm:
    """What the settings dialog edits (plain values)."""

    name: str = ""
    legal_form: str = "SAS"
    share_capital: str = "0"
    street: str = ""
    street2: str = ""
    postcode: str = ""
    city: str = ""
    siren: str = ""
    siret: str = ""
    rcs_city: str = ""
    vat_number: str = ""
    naf_code: str = ""
    iban: str = ""
    bic: str = ""
    bank_name: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    vat_on_debits: bool = False
    payment_term_kind: str = "net"
    payment_term_days: int = 30
    late_penalty_rate: str = "12.15"
    ecb_rate: str = "2.15"
    ecb_rate_date: str = ""  # JJ/MM/AAAA, first day of a half-year
    sepa_creditor_id: str = ""
    sepa_prenotification_days: int = 14
    sap_declaration_number: str = ""
    sap_declaration_date: str = ""  # JJ/MM/AAAA
    client_code_rule: str = "letters"
    fiscal_closing: str = "31/12"  # JJ/MM, see app.fiscal
    fiscal_first_start: str = ""  # JJ/MM/AAAA, only for an irregular first exercise
    fiscal_first_end: str = ""


def get_company(session: Session) -> CompanySettings:
    company = session.get(CompanySettings, 1)
    if company is None:
        raise NotFoundError("L'identité de la société n'est pas renseignée (Paramètres → Société).")
    return company


def form_from_company(company: CompanySettings) -> CompanyForm:
    form = CompanyForm()
    for f in fields(CompanyForm):
        if f.name == "fiscal_closing":
            form.fiscal_closing = f"{company.fiscal_close_day:02d}/{company.fiscal_close_month:02d}"
            continue
        value = getattr(company, f.name)
        if isinstance(value, Decimal):
            value = decimal_text(value)
        elif isinstance(value, dt.date):
            value = value.strftime("%d/%m/%Y")
        elif value is None and f.name in (
            "ecb_rate_date",
            "sap_declaration_date",
            "fiscal_first_start",
            "fiscal_first_end",
        ):
            value = ""
        setattr(form, f.name, value)
    return form


def validate(form: CompanyForm) -> dict[str, Any]:
    """Check every field; raise ValidationErrors listing each bad one (in French)."""
    errors: list[ValidationError] = []
    values: dict[str, Any] = {}

    def run(name: str, fn: Any, *args: Any) -> None:
        try:
            values[name] = fn(*args)
        except ValidationError as exc:
            errors.append(exc)

    run("name", identifiers.text, form.name, "Raison sociale", 200, True)
    run("legal_form", identifiers.text, form.legal_form, "Forme juridique", 50, True)
    run("share_capital", _amount, form.share_capital, "Capital social")
    run("street", identifiers.text, form.street, "Adresse", 200, True)
    run("street2", identifiers.text, form.street2, "Complément d'adresse", 200)
    run("postcode", identifiers.postcode, form.postcode, "Code postal")
    run("city", identifiers.text, form.city, "Ville", 100, True)
    run("siren", identifiers.siren, form.siren, "SIREN")
    run("siret", identifiers.siret, form.siret, "SIRET")
    run("rcs_city", identifiers.text, form.rcs_city, "Ville du RCS", 100)
    run("vat_number", identifiers.vat_number, form.vat_number, "N° TVA intracommunautaire")
    run("naf_code", identifiers.text, form.naf_code, "Code NAF", 10)
    run("iban", identifiers.iban, form.iban, "IBAN")
    run("bic", identifiers.bic, form.bic, "BIC")
    run("bank_name", identifiers.text, form.bank_name, "Banque", 100)
    run("email", identifiers.email, form.email, "E-mail")
    run("phone", identifiers.text, form.phone, "Téléphone", 30)
    run("website", identifiers.text, form.website, "Site web", 200)
    run("late_penalty_rate", _amount, form.late_penalty_rate, "Taux des pénalités de retard")
    run("ecb_rate", _ecb_rate, form.ecb_rate, ECB_RATE_FIELD)
    run("ecb_rate_date", _semester_start, form.ecb_rate_date, ECB_DATE_FIELD)
    run("sepa_creditor_id", identifiers.text, form.sepa_creditor_id, "ICS (créancier SEPA)", 35)
    run("sepa_prenotification_days", _prenotification_days, form.sepa_prenotification_days)
    run(
        "sap_declaration_number",
        identifiers.text,
        form.sap_declaration_number,
        "N° de déclaration SAP",
        40,
    )
    run("sap_declaration_date", _past_date, form.sap_declaration_date, "Date de déclaration SAP")
    errors.extend(_fiscal(form, values))
    try:
        PaymentTerms(form.payment_term_kind, int(form.payment_term_days))
    except ValidationError as exc:
        errors.append(exc)
    if not form.siren:
        errors.append(ValidationError("SIREN", "Le SIREN de la société est obligatoire."))
    if (
        values.get("siren")
        and values.get("siret")
        and not values["siret"].startswith(values["siren"])
    ):
        errors.append(ValidationError("SIRET", "Le SIRET doit commencer par le SIREN."))
    if (
        values.get("siren")
        and values.get("vat_number")
        and values["vat_number"].startswith("FR")
        and (identifiers.siren_of_vat(values["vat_number"]) != values["siren"])
    ):
        errors.append(
            ValidationError("N° TVA intracommunautaire", "Le n° de TVA ne correspond pas au SIREN.")
        )
    if errors:
        raise ValidationErrors(errors)
    values.update(
        vat_on_debits=bool(form.vat_on_debits),
        payment_term_kind=form.payment_term_kind,
        payment_term_days=int(form.payment_term_days),
        client_code_rule=form.client_code_rule,
    )
    return values


def _fiscal(form: CompanyForm, values: dict[str, Any]) -> list[ValidationError]:
    """Closing day/month and the optional irregular first exercise (app.fiscal)."""
    from app import fiscal

    try:
        day, month = fiscal.parse_closing(form.fiscal_closing)
        start = fiscal.parse_date(form.fiscal_first_start, fiscal.FIRST_START_FIELD)
        end = fiscal.parse_date(form.fiscal_first_end, fiscal.FIRST_END_FIELD)
    except ValidationError as exc:
        return [exc]
    errors = fiscal.validate_first_exercise(day, month, start, end)
    values.update(
        fiscal_close_day=day,
        fiscal_close_month=month,
        fiscal_first_start=start,
        fiscal_first_end=end,
    )
    return errors


def _prenotification_days(value: object) -> int:
    from app.payments.sepa_rules import validate_prenotification_days

    return validate_prenotification_days(value)


def _amount(value: str, field: str) -> Decimal:
    amount = to_decimal(value, field=field)
    if amount < 0:
        raise ValidationError(field, "Le champ « {field} » ne peut être négatif.")
    return amount.quantize(Decimal("0.01")) if field == "Capital social" else amount


ECB_RATE_FIELD = "Taux BCE (refinancement)"
ECB_DATE_FIELD = "Date du taux BCE"
# Public buyers: ECB main refinancing rate + 8 points (Code de la commande publique, R2192-31).
PUBLIC_MARGIN = Decimal(8)


def _ecb_rate(value: str, field: str) -> Decimal:
    rate = _amount(value or "0", field)
    if rate > 20:
        raise ValidationError(field, "{field} : taux annuel en %, par exemple 2,15.")
    return rate


def _past_date(value: str, field: str) -> dt.date | None:
    """A date typed JJ/MM/AAAA (or ISO), not after today; empty → None."""
    text = (value or "").strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if day > dt.date.today():
            raise ValidationError(field, "{field} : la date ne peut pas être dans le futur.")
        return day
    raise ValidationError(field, "{field} : date attendue au format JJ/MM/AAAA.")


def _semester_start(value: str, field: str) -> dt.date | None:
    """The date from which the ECB rate applies: 1 January or 1 July (the rate in force on
    the first day of the half-year is the one the public-sector rule uses)."""
    text = (value or "").strip()
    if not text:
        return None
    day = None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = dt.datetime.strptime(text, pattern).date()
            break
        except ValueError:
            continue
    if day is None:
        raise ValidationError(
            field, "{field} : « {value} » n'est pas une date JJ/MM/AAAA.", value=text
        )
    if (day.day, day.month) not in ((1, 1), (1, 7)):
        raise ValidationError(
            field,
            "{field} : le taux retenu est celui du premier jour du semestre (01/01 ou 01/07).",
        )
    return day


def public_late_rate(ecb_rate: Decimal) -> Decimal:
    """Moratorium interest owed by a public buyer: the ECB rate + 8 points (art. R2192-31)."""
    return ecb_rate + PUBLIC_MARGIN


def save_company(session: Session, form: CompanyForm) -> CompanySettings:
    """Validate then write the settings (nothing written when any field is wrong)."""
    values = validate(form)
    company = session.get(CompanySettings, 1)
    if company is None:
        company = CompanySettings(id=1, **values)
        session.add(company)
        audit.record(session, "company", 1, "create", "Identité de la société créée")
    else:
        changes = audit.diff(company, values)
        if changes:
            audit.record(
                session, "company", 1, "update", "Paramètres société modifiés", changes=changes
            )
    session.flush()
    return company


def set_logo(session: Session, png_bytes: bytes | None) -> None:
    get_company(session).logo_png = png_bytes
    audit.record(session, "company", 1, "update", "Logo modifié")
