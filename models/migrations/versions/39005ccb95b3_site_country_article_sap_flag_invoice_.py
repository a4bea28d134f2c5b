"""site country, article SAP flag, invoice line goods and SAP snapshots

Revision ID: 39005ccb95b3
Revises: 55222f6b3a67
Create Date: 2026-12-07 02:25:46.451250
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "39005ccb95b3"
down_revision = "55222f6b3a67"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (constant defaults): a batch operation would recreate these tables,
    # and dropping ``articles`` or ``sites`` fails on SQLite (foreign keys on) as soon as
    # invoice or contract lines refer to them — every firm in use.
    op.add_column(
        "articles",
        sa.Column("sap_service", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "invoice_lines",
        sa.Column("goods", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "invoice_lines", sa.Column("sap", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "sites", sa.Column("country", sa.String(length=2), server_default="FR", nullable=False)
    )

    # Articles sold at the rate the reference data names « services à la personne » were
    # the firm's SAP services until now: they keep that meaning through the explicit flag
    # (a 10 % line for works in a dwelling, on another rate code, is not SAP).
    op.execute(
        "UPDATE articles SET sap_service = "
        + ("true" if op.get_bind().dialect.name == "postgresql" else "1")
        + " WHERE vat_rate_id IN (SELECT id FROM vat_rates WHERE code = 'T10')"
    )


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("country")

    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_column("sap")
        batch_op.drop_column("goods")

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("sap_service")
