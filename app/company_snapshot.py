"""The seller snapshot: every company setting an issued document shows, frozen at issue.

The frozen-document rule (docs/DOMAIN.md, « Document imprimé tel qu'émis »): an issued
invoice, credit note or down-payment invoice is printed and exported from the values frozen
when it was numbered — its lines and totals, the client snapshot and this seller snapshot —
never from the current settings. The snapshot is JSON in ``invoices.seller_snapshot`` (part
of the hash chain); the logo is stored once under its SHA-256 in ``frozen_logos`` and the
snapshot names it. Documents issued before a key joined the snapshot read it from
``seller_snapshot_fallbacks``: the company's value on the day the migration adding the key
ran, frozen then (the best value known for them; documents already archived keep their file).
A draft, not yet issued, shows the current settings.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.company import CompanySettings, FrozenLogo, SellerSnapshotFallback

# The company columns copied into the snapshot, as they are (the logo: LOGO_KEY).
SELLER_FIELDS = (
    "name",
    "legal_form",
    "share_capital",
    "street",
    "street2",
    "postcode",
    "city",
    "country",
    "siren",
    "siret",
    "rcs_city",
    "vat_number",
    "naf_code",
    "iban",
    "bic",
    "bank_name",
    "email",
    "phone",
    "website",
    "vat_on_debits",
    "late_penalty_rate",
    "late_penalty_text",
    "early_payment_text",
    "ecb_rate",  # public buyers' late interest (app.documents.build)
    "ecb_rate_date",
    "sepa_creditor_id",
    "sepa_prenotification_days",  # the debit date a direct-debit invoice announces
    "sap_declaration_number",
    "sap_declaration_date",
    "electronic_address",
    "electronic_address_scheme",
)
LOGO_KEY = "logo_sha256"
SELLER_KEYS = (*SELLER_FIELDS, LOGO_KEY)

# json.dumps(data, ensure_ascii=False, sort_keys=True) with one encoder for every invoice of
# a run (same text: default separators).
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def plain(value: Any) -> Any:
    """A column value as the snapshot keeps it (Decimal, date → text; None → "None")."""
    return value if isinstance(value, (str, bool, int)) and value is not None else str(value)


def logo_sha256(png: bytes | None) -> str:
    return hashlib.sha256(png).hexdigest() if png else ""


def seller_values(company: CompanySettings) -> dict[str, Any]:
    data = {f: plain(getattr(company, f)) for f in SELLER_FIELDS}
    data[LOGO_KEY] = logo_sha256(company.logo_png)
    return data


def seller_snapshot(company: CompanySettings | None) -> str:
    """The JSON frozen into an issued document (``"{}"`` when the firm is not set up)."""
    return "{}" if company is None else _JSON(seller_values(company))


def freeze_logo(session: Session, company: CompanySettings | None) -> None:
    """Keep the current logo under its SHA-256 (once), for the documents issued with it."""
    if company is None or not company.logo_png:
        return
    key = logo_sha256(company.logo_png)
    if session.get(FrozenLogo, key) is None:
        session.add(FrozenLogo(sha256=key, png=company.logo_png))
        session.flush()


def fallbacks(session: Session) -> dict[str, Any]:
    """The values frozen by migration for documents whose snapshot lacks a key."""
    return {
        row.key: json.loads(row.value) for row in session.scalars(select(SellerSnapshotFallback))
    }


def frozen_seller(session: Session, raw: str) -> dict[str, Any]:
    """The seller values of an issued document: its snapshot, completed by the fallbacks for
    keys it predates. A key frozen empty stays empty (never the current setting)."""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if any(key not in data for key in SELLER_KEYS):
        data = {**fallbacks(session), **data}
    return data


def frozen_logo(session: Session, values: dict[str, Any]) -> bytes | None:
    key = values.get(LOGO_KEY) or ""
    row = session.get(FrozenLogo, key) if key else None
    return row.png if row is not None else None


def prenotification_days(session: Session, invoice: Any, company: CompanySettings) -> int:
    """The pre-notification delay a document announced its debit date with: frozen at issue
    (older documents: the migration's value), the current setting for a draft."""
    if invoice.status == "issued":
        days = frozen_seller(session, invoice.seller_snapshot).get("sepa_prenotification_days")
        if isinstance(days, int):
            return days
    return company.sepa_prenotification_days
