"""Alembic environment: migrations run on the connection handed over by app.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy.types import TypeDecorator

import models
from models.base import Base

_ = models  # register every table
config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - alembic CLI use
    from sqlalchemy import create_engine

    connection = create_engine(config.get_main_option("sqlalchemy.url")).connect()


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render our TypeDecorators as their storage type: migrations must not depend on
    model code that may change later (money is a BIGINT of cents, timestamps DATETIME)."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


context.configure(
    connection=connection,
    render_item=render_item,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
