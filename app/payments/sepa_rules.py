"""SEPA direct-debit rules as pure functions: RUM, ICS, sequence type, dates.

- RUM (référence unique de mandat): at most 35 characters from the SEPA Latin subset,
  unique per creditor.
- ICS (identifiant créancier SEPA): country code, two check digits computed like an IBAN
  (ISO 7064 mod 97-10) over the national identifier — the 3-character business code
  (usually ZZZ) is not part of the computation.
- Sequence: OOFF for a one-off mandate, FRST for the first collection of a recurrent
  mandate, RCUR afterwards. A mandate unused for 36 months lapses (EPC rulebook).
- Pre-notification: the debtor is told the amount and date at least 14 calendar days
  before the collection unless the parties agreed a shorter delay (a setting).
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil.relativedelta import relativedelta

from app.errors import ValidationError

RUM_FIELD = "RUM"
ICS_FIELD = "ICS (créancier SEPA)"
RUM_MAX = 35
PRENOTIFICATION_DAYS = 14
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
    if status != "active":
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
