"""cancel amendments and suspensions

A cancelled amendment keeps its versions (flagged ``cancelled``) and a cancelled
suspension its row: the unique (line, valid_from) becomes unique among versions in force.

Revision ID: 9cd45da34487
Revises: 5562f2e35135
Create Date: 2026-11-28 03:47:22.743168
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9cd45da34487"
down_revision = "5562f2e35135"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("cancel_reason", sa.Text(), server_default="", nullable=False)
        )

    with op.batch_alter_table("contract_line_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancelled", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint(
            batch_op.f("uq_contract_line_versions_line_id_valid_from"), type_="unique"
        )
        batch_op.create_index(
            "uq_contract_line_versions_in_force",
            ["line_id", "valid_from"],
            unique=True,
            sqlite_where=sa.text("cancelled = 0"),
            postgresql_where=sa.text("NOT cancelled"),
        )

    with op.batch_alter_table("suspensions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("cancel_reason", sa.Text(), server_default="", nullable=False)
        )


def downgrade() -> None:
    # The old schema cannot hold cancelled versions beside the ones in force.
    op.execute("DELETE FROM contract_line_versions WHERE cancelled")
    op.execute("DELETE FROM suspensions WHERE cancelled_at IS NOT NULL")
    with op.batch_alter_table("suspensions", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_at")

    with op.batch_alter_table("contract_line_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_contract_line_versions_in_force",
            sqlite_where=sa.text("cancelled = 0"),
            postgresql_where=sa.text("NOT cancelled"),
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_contract_line_versions_line_id_valid_from"), ["line_id", "valid_from"]
        )
        batch_op.drop_column("cancelled")

    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): no table copy, so the versions'
    # foreign key to amendments is not in the way.
    op.drop_column("amendments", "cancel_reason")
    op.drop_column("amendments", "cancelled_at")
