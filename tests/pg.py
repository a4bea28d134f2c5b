"""PostgreSQL test databases, used by the ``db`` fixture when ``PROPREO_TEST_PG_URL`` is set
(e.g. ``postgresql+psycopg://propreo:secret@127.0.0.1/postgres``): each test gets a fresh
database created through the migrations, dropped afterwards. CI does not depend on it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from app.db import Database

PG_URL = os.environ.get("PROPREO_TEST_PG_URL", "")


def pg_database() -> Iterator[Database]:
    from app.setup import prepare_database

    admin_url = make_url(PG_URL)
    name = f"propreo_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    prepared = prepare_database(admin_url.set(database=name).render_as_string(hide_password=False))
    try:
        yield prepared.db
    finally:
        prepared.db.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
