"""Loading the demo firm: the steps in order, in one write transaction, then the months
after the story up to « today » (:mod:`app.demo.alive`)."""

from __future__ import annotations

import datetime as dt
import importlib

from sqlalchemy import select

from app import clock
from app.db import Database
from app.demo import DEMO_TODAY, DemoContext, alive
from app.errors import ValidationError
from models.company import CompanySettings

# Order matters: each step may use what the previous ones created.
STEPS: list[str] = [
    "app.demo.company",
    "app.demo.master",
    "app.demo.contracts",
    "app.demo.scale",
    "app.demo.billing_history",
    "app.demo.liaison",
    "app.demo.quotes",
    "app.demo.payments",
    "app.demo.scale_history",
    "app.demo.revisions",
    "app.demo.collections",
]


def is_loaded(db: Database) -> bool:
    with db.read() as session:
        return session.scalar(select(CompanySettings.id)) is not None


def check_as_of(as_of: dt.date) -> dt.date:
    """The demo's « today »: not before the end of its fixed story."""
    if as_of < DEMO_TODAY:
        raise ValidationError(
            "--as-of",
            "La démonstration se construit au plus tôt au {day} (son histoire va jusqu'en "
            "août 2026) : « {value} » est antérieure.",
            day=DEMO_TODAY.strftime("%d/%m/%Y"),
            value=as_of.strftime("%d/%m/%Y"),
        )
    return as_of


def load_demo(db: Database, *, contracts: int | None = None, as_of: dt.date | None = None) -> bool:
    """Load the demo firm into an initialised database; False when a company already exists.
    Its history runs to the month before ``as_of`` (default: today, :func:`app.clock.today`).

    All steps in one write transaction: a step that fails (a rule the demo data breaks, a
    lost connection to the server, Ctrl+C) leaves the base as it was, never a half firm
    that ``check`` would call consistent."""
    as_of = check_as_of(as_of or clock.today())
    if is_loaded(db):
        return False
    ctx = DemoContext(contracts=contracts)
    # One issue instant for every document of the demo: the issue time is sealed in each
    # hash, so two builds of the same firm give the same hashes (tests/test_scale.py).
    issue_instant = dt.datetime.combine(DEMO_TODAY, dt.time(8), tzinfo=dt.UTC)
    with db.write() as session, clock.frozen_now(issue_instant):
        for name in STEPS:
            importlib.import_module(name).load(session, ctx)
            session.flush()
        alive.load(session, ctx, as_of)
    return True
