"""seller snapshot holds every setting a document shows: frozen logos, fallbacks for older documents

Documents issued before this revision have a seller snapshot without the penalty and
early-payment texts, the SEPA creditor id (ICS) and the logo; until now they were printed
with the settings of the day of printing. Their snapshot is in the hash chain and cannot be
rewritten: the company's values of the day of this migration are frozen once in
``seller_snapshot_fallbacks`` (every snapshot key, so no issued document reads the live
settings any more) and its logo in ``frozen_logos``. See app/company_snapshot.py.

Revision ID: c66adaf0a0eb
Revises: 16dc60835886
Create Date: 2026-12-07 02:36:09.908310
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "c66adaf0a0eb"
down_revision = "16dc60835886"
branch_labels = None
depends_on = None

# The snapshot keys of this revision (a copy: app code may change, a migration may not),
# with the decimals of the scaled-integer columns (models.base.ScaledDecimal).
TEXT_FIELDS = (
    "name", "legal_form", "street", "street2", "postcode", "city", "country", "siren",
    "siret", "rcs_city", "vat_number", "naf_code", "iban", "bic", "bank_name", "email",
    "phone", "website", "late_penalty_text", "early_payment_text", "sepa_creditor_id",
    "sap_declaration_number", "electronic_address", "electronic_address_scheme",
)  # fmt: skip
SCALED = {"share_capital": 2, "late_penalty_rate": 6, "ecb_rate": 6}
DATES = ("ecb_rate_date", "sap_declaration_date")
PRENOTIFICATION = "sepa_prenotification_days"


def _scaled(value: object, scale: int) -> str:
    return str(Decimal(int(value)).scaleb(-scale).quantize(Decimal(1).scaleb(-scale)))  # type: ignore[call-overload]


def _date(value: object) -> str:
    if value is None:
        return "None"
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def freeze_current_settings(conn: sa.Connection) -> None:
    columns = [*TEXT_FIELDS, *SCALED, "vat_on_debits", *DATES, PRENOTIFICATION, "logo_png"]
    row = (
        conn.execute(sa.text(f"SELECT {', '.join(columns)} FROM company_settings WHERE id = 1"))
        .mappings()
        .first()
    )
    if row is None:  # a firm not set up yet has issued nothing
        return
    values: dict[str, object] = {f: row[f] or "" for f in TEXT_FIELDS}
    values.update({f: _scaled(row[f] or 0, scale) for f, scale in SCALED.items()})
    values["vat_on_debits"] = bool(row["vat_on_debits"])
    values.update({f: _date(row[f]) for f in DATES})
    values[PRENOTIFICATION] = int(row[PRENOTIFICATION] or 0)
    logo = row["logo_png"]
    values["logo_sha256"] = hashlib.sha256(logo).hexdigest() if logo else ""
    if logo:
        conn.execute(
            sa.text("INSERT INTO frozen_logos (sha256, png) VALUES (:sha, :png)"),
            {"sha": values["logo_sha256"], "png": logo},
        )
    today = dt.date.today()
    conn.execute(
        sa.text(
            "INSERT INTO seller_snapshot_fallbacks (key, value, frozen_on) "
            "VALUES (:key, :value, :frozen_on)"
        ),
        [
            {"key": k, "value": json.dumps(v, ensure_ascii=False), "frozen_on": today}
            for k, v in values.items()
        ],
    )


def upgrade() -> None:
    op.create_table(
        "frozen_logos",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_frozen_logos")),
    )
    op.create_table(
        "seller_snapshot_fallbacks",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("frozen_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_seller_snapshot_fallbacks")),
    )
    freeze_current_settings(op.get_bind())


def downgrade() -> None:
    op.drop_table("seller_snapshot_fallbacks")
    op.drop_table("frozen_logos")
