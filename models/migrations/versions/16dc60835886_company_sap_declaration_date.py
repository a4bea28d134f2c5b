"""company SAP declaration date

Revision ID: 16dc60835886
Revises: 94e75fec5089
Create Date: 2026-12-07 02:49:00.496696
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "16dc60835886"
down_revision = "94e75fec5089"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("company_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sap_declaration_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("company_settings", schema=None) as batch_op:
        batch_op.drop_column("sap_declaration_date")
