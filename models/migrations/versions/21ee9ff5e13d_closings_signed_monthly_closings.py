"""closings: signed monthly closings

Revision ID: 21ee9ff5e13d
Revises: 818aa86f53f3
Create Date: 2026-12-07 04:10:59.172989
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "21ee9ff5e13d"
down_revision = "818aa86f53f3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "closings",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("chain_head", sa.String(length=64), nullable=False),
        sa.Column("chain_count", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closings")),
        sa.UniqueConstraint("period", name=op.f("uq_closings_period")),
    )


def downgrade() -> None:
    op.drop_table("closings")
