"""SEPA new pre-notifications

Revision ID: 698d088e2e3e
Revises: c66adaf0a0eb
Create Date: 2026-12-07 03:10:10.262206
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "698d088e2e3e"
down_revision = "c66adaf0a0eb"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sepa_prenotifications",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("collection_date", sa.Date(), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_sepa_prenotifications_invoice_id_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sepa_prenotifications")),
    )
    with op.batch_alter_table("sepa_prenotifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sepa_prenotifications_invoice_id"), ["invoice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sepa_prenotifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sepa_prenotifications_invoice_id"))

    op.drop_table("sepa_prenotifications")
