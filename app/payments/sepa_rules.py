"""SEPA direct-debit rules as pure functions: RUM, ICS, sequence type, dates.

- RUM (référence unique de mandat): at most 35 characters from the SEPA Latin subset,
  unique per creditor.
- ICS (identifiant créancier SEPA): country code, two check digits computed like an IBAN
  (ISO 7064 mod 97-10) over the national identifier — the 3-character business code
  (usually ZZZ) is not part of the computation.
- Sequence: OOFF for a one-off mandate, FRST for the first collection of a recurrent
  mandate, RCUR afterwards. A mandate unused for 36 months lapses (EPC rulebook).
- Pre-notification: the debtor is told the amount and date at least 14 calendar days
  before the collection unless the parties agreed a shorter delay (company setting
  ``sepa_prenotification_days``). The invoice is the pre-notification, so an invoice issued
  fewer days before the collection date is left out of the batch, and an invoice is never
  collected before its due date.
- Dates: the requested collection date must be a TARGET2 business day and at least the
  next TARGET2 business day after the file is sent (D-1 for FRST and RCUR alike since the
  EPC rulebook of November 2016). TARGET2 is closed on weekends, 1 January, Good Friday,
  Easter Monday, 1 May, 25 and 26 December (the ``holidays`` package's ECB calendar).
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from dateutil.relativedelta import relativedelta

from app.errors import ValidationError
from models.payments import MandateStatus

RUM_FIELD = "RUM"
ICS_FIELD = "ICS (créancier SEPA)"
DATE_FIELD = "Date de prélèvement"
RUM_MAX = 35
PRENOTIFICATION_DAYS = 14
PRENOTIFICATION_MAX_DAYS = 60
MANDATE_LAPSE_MONTHS = 36

ONE_OFF, RECURRENT = "one_off", "recurrent"
MANDATE_KINDS = {ONE_OFF: "Ponctuel", RECURRENT: "Récurrent"}
CORE, B2B = "CORE", "B2B"
SCHEMES = {CORE: "SEPA Core", B2B: "SEPA B2B (interentreprises)"}
FIRST, RECURRING, ONE_OFF_SEQ = "FRST", "RCUR", "OOFF"
SEQUENCES = {FIRST: "Premier", RECURRING: "Récurrent", ONE_OFF_SEQ: "Ponctuel"}

# SEPA identifiers: Latin letters, digits and + ? / - : ( ) . , ' and space (not leading "/",
# no "//"): EPC best practice for MndtId.
_RUM = re.compile(r"^[A-Za-z0-9+?/\-:().,' ]+$")


def validate_rum(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(RUM_FIELD, "La {field} (référence unique de mandat) est obligatoire.")
    if len(value) > RUM_MAX:
        raise ValidationError(
            RUM_FIELD, "La {field} « {value} » dépasse {max} caractères.", value=value, max=RUM_MAX
        )
    if not _RUM.match(value) or value.startswith("/") or "//" in value:
        raise ValidationError(
            RUM_FIELD,
            "La {field} « {value} » contient des caractères non admis en SEPA "
            "(lettres sans accent, chiffres, + ? / - : ( ) . , ' et espace).",
            value=value,
        )
    return value


def _mod97(text: str) -> int:
    digits = "".join(str(int(c, 36)) for c in text)
    return int(digits) % 97


def ics_check_digits(country: str, national_id: str) -> str:
    """The two check digits of a creditor identifier (without the business code)."""
    national = re.sub(r"[^A-Za-z0-9]", "", national_id).upper()
    return f"{98 - _mod97(national + country.upper() + '00'):02d}"


def validate_ics(value: str) -> str:
    """Normalise and check a SEPA creditor identifier (e.g. FR72ZZZ123456)."""
    compact = re.sub(r"\s", "", value or "").upper()
    if not compact:
        raise ValidationError(ICS_FIELD, "L'{field} de la société est obligatoire pour prélever.")
    if (
        not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", compact)
        or len(compact) > 35
        or (compact.startswith("FR") and len(compact) != 13)
    ):
        raise ValidationError(ICS_FIELD, "L'{field} « {value} » est mal formé.", value=value)
    if ics_check_digits(compact[:2], compact[7:]) != compact[2:4]:
        raise ValidationError(
            ICS_FIELD, "La clé de contrôle de l'{field} « {value} » est fausse.", value=value
        )
    return compact


def sequence_type(kind: str, collections_done: int) -> str:
    """OOFF for a one-off mandate; FRST then RCUR for a recurrent one."""
    if kind == ONE_OFF:
        return ONE_OFF_SEQ
    return FIRST if collections_done == 0 else RECURRING


def mandate_usable(
    kind: str,
    status: str,
    signature_date: dt.date,
    last_collection: dt.date | None,
    collections_done: int,
    on: dt.date,
) -> str:
    """Empty string when the mandate may be used on ``on``, else the French reason."""
    if status != MandateStatus.ACTIVE:
        return "mandat non actif"
    if signature_date > on:
        return "mandat signé après la date de prélèvement"
    if kind == ONE_OFF and collections_done > 0:
        return "mandat ponctuel déjà utilisé"
    reference = last_collection or signature_date
    if reference + relativedelta(months=MANDATE_LAPSE_MONTHS) < on:
        return "mandat caduc (inutilisé depuis 36 mois)"
    return ""


def earliest_collection(notified_on: dt.date, days: int = PRENOTIFICATION_DAYS) -> dt.date:
    """First collection date allowed after a pre-notification sent on ``notified_on``."""
    return notified_on + dt.timedelta(days=days)


def prenotification_text(
    amount_text: str, collection_date: dt.date, rum: str, creditor_id: str
) -> str:
    """The pre-notification printed on the invoice of a direct-debit client."""
    return (
        f"Cette facture sera prélevée le {collection_date.strftime('%d/%m/%Y')} pour "
        f"{amount_text} au titre du mandat SEPA {rum} (ICS {creditor_id})."
    )


@functools.cache
def _target_holidays(year: int) -> frozenset[dt.date]:
    import holidays

    # TARGET2 closing days: the ECB's financial calendar (market code XECB).
    return frozenset(holidays.financial_holidays("XECB", years=year))


def is_target_day(day: dt.date) -> bool:
    """True on a TARGET2 business day (not a weekend nor a TARGET2 closing day)."""
    return day.weekday() < 5 and day not in _target_holidays(day.year)


def next_target_day(day: dt.date) -> dt.date:
    """The first TARGET2 business day strictly after ``day``."""
    day += dt.timedelta(days=1)
    while not is_target_day(day):
        day += dt.timedelta(days=1)
    return day


def first_target_day_from(day: dt.date) -> dt.date:
    """``day`` itself when it is a TARGET2 business day, else the next one."""
    return day if is_target_day(day) else next_target_day(day)


def earliest_collection_date(export_on: dt.date) -> dt.date:
    """The earliest collection date of a file sent on ``export_on`` (D-1 rule)."""
    return next_target_day(export_on)


def check_collection_date(collection_date: dt.date, export_on: dt.date) -> dt.date:
    """Refuse a collection date the bank would refuse; return it when fine."""
    earliest = earliest_collection_date(export_on)
    if collection_date < earliest:
        raise ValidationError(
            DATE_FIELD,
            "« {field} » : le {date} est trop proche ; un fichier envoyé le {export} ne peut "
            "être prélevé qu'à partir du {earliest} (jour ouvré TARGET2 suivant l'envoi).",
            date=collection_date.strftime("%d/%m/%Y"),
            export=export_on.strftime("%d/%m/%Y"),
            earliest=earliest.strftime("%d/%m/%Y"),
        )
    if not is_target_day(collection_date):
        raise ValidationError(
            DATE_FIELD,
            "« {field} » : le {date} n'est pas un jour ouvré TARGET2 (week-end ou jour de "
            "fermeture) ; choisissez le {next}.",
            date=collection_date.strftime("%d/%m/%Y"),
            next=next_target_day(collection_date).strftime("%d/%m/%Y"),
        )
    return collection_date


def validate_prenotification_days(value: object, field: str = "Préavis de prélèvement") -> int:
    """Days of pre-notification agreed with direct-debit clients (14 by default)."""
    try:
        days = int(str(value).strip())
    except ValueError:
        raise ValidationError(field, "« {field} » doit être un nombre de jours.") from None
    if not 1 <= days <= PRENOTIFICATION_MAX_DAYS:
        raise ValidationError(
            field,
            "« {field} » doit être compris entre 1 et {max} jours (14 jours sauf accord "
            "contraire dans le contrat ou le mandat).",
            max=PRENOTIFICATION_MAX_DAYS,
        )
    return days


def collection_problem(
    issue_date: dt.date,
    due_date: dt.date,
    collection_date: dt.date,
    notice_days: int = PRENOTIFICATION_DAYS,
) -> str:
    """Why an invoice may not be collected on ``collection_date`` ("" when it may).

    The invoice is the pre-notification: it must have been issued ``notice_days``
    calendar days before the collection, and the debit never precedes the due date.
    """
    if due_date > collection_date:
        return f"échéance du {due_date.strftime('%d/%m/%Y')} non atteinte"
    earliest = earliest_collection(issue_date, notice_days)
    if collection_date < earliest:
        return (
            f"préavis insuffisant : facture émise le {issue_date.strftime('%d/%m/%Y')}, "
            f"prélevable à partir du {earliest.strftime('%d/%m/%Y')} ({notice_days} jours)"
        )
    return ""
