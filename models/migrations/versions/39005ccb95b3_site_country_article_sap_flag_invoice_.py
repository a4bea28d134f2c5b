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
    # Plain ADD COLUMN (no batch copy): SQLite adds a column with a constant default in
    # place, so the tables are not rebuilt (foreign keys and the triggers that keep issued
    # invoice lines immutable stay as they are).
    op.add_column(
        "articles",
        sa.Column("sap_service", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "invoice_lines",
        sa.Column("goods", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "invoice_lines",
        sa.Column("sap", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "sites",
        sa.Column("country", sa.String(length=2), server_default="FR", nullable=False),
    )

    pg = op.get_bind().dialect.name == "postgresql"
    true, false = ("true", "false") if pg else ("1", "0")
    # Articles sold at the rate the reference data names « services à la personne » were
    # the firm's SAP services until now: they keep that meaning through the explicit flag
    # (a 10 % line for works in a dwelling, on another rate code, is not SAP).
    op.execute(
        f"UPDATE articles SET sap_service = {true} "
        "WHERE vat_rate_id IN (SELECT id FROM vat_rates WHERE code = 'T10')"
    )
    # The lines made so far take the snapshot their article gives (what a line made today
    # freezes): issued lines are immutable, so their guard is lifted for this fill only.
    _with_lines_unguarded(
        pg,
        [
            f"UPDATE invoice_lines SET goods = {true} WHERE article_id IN "
            f"(SELECT id FROM articles WHERE is_service = {false})",
            f"UPDATE invoice_lines SET sap = {true} WHERE article_id IN "
            f"(SELECT id FROM articles WHERE sap_service = {true})",
        ],
    )


def _with_lines_unguarded(pg: bool, statements: list[str]) -> None:
    bind = op.get_bind()
    if pg:
        op.execute("ALTER TABLE invoice_lines DISABLE TRIGGER USER")
        for statement in statements:
            op.execute(statement)
        op.execute("ALTER TABLE invoice_lines ENABLE TRIGGER USER")
        return
    triggers = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'invoice_lines'"
    ).all()
    for name, _sql in triggers:
        bind.exec_driver_sql(f'DROP TRIGGER "{name}"')
    for statement in statements:
        bind.exec_driver_sql(statement)
    for _name, sql in triggers:
        bind.exec_driver_sql(sql)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): rebuilding ``sites`` would trip its foreign keys.
    op.drop_column("sites", "country")
    op.drop_column("invoice_lines", "sap")
    op.drop_column("invoice_lines", "goods")
    op.drop_column("articles", "sap_service")
