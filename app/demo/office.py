"""Demo step run last, when the demo is opened after its story (``as_of`` later than
1 September 2026): the office's recent days, dated from ``as_of``, so that the dashboard is
alive on any date.

- Quotes: the story's quotes were sent in the summer; by ``as_of`` they have expired. Recent
  extra-work quotes are sent in the weeks before ``as_of``: some whose reminder falls due
  (one late, one today, one already reminded once), one just sent, one accepted and planned,
  a draft of yesterday, and two that expired in the last ten days.
- Liaison book: the story's entries still open were handled in September. New calls of the
  last three weeks: most closed, two past their alert date, three due this week, one just
  logged.

Nothing here touches invoices: the story's hash chain and the months billed by
:mod:`app.demo.alive` are the same with or without this step.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo import DEMO_TODAY, DemoContext
from app.demo.liaison import HANDLERS, SCENARIOS
from app.demo.quotes import _line, _tc
from app.liaison import entries as liaison
from app.liaison.entries import CLOSED, IN_PROGRESS, EntryInput
from app.quotes import followup, transitions
from app.quotes import quotes as uc
from models.liaison import LiaisonCategory, LiaisonEntry
from models.users import Department

# The story's last quote was numbered on 20 August 2026: the quote series stays chronological.
FIRST_SEND = dt.date(2026, 8, 21)

# site key, title, articles (code, quantity), days before as_of it was sent (None: draft),
# what became of it: "remind" (reminder due), "reminded" (reminded once, due again),
# "wait" (reminder not yet due), "accepted", "expired".
QUOTES: list[tuple[str, str, list[tuple[str, str]], int | None, str]] = [
    ("OFF3", "Shampouinage des moquettes du 2e étage", [("REMMOQ", "180")], 38, "expired"),
    ("SHOP", "Nettoyage de la vitrine et de l'enseigne", [("VITRNAC", "1")], 33, "expired"),
    ("HOTL", "Décapage du hall d'accueil", [("REMSOL", "75")], 25, "accepted"),
    ("SCHO", "Vitrerie des salles de classe", [("VITRINT", "310")], 20, "reminded"),
    ("CLIN", "Désinfection des salles d'attente", [("NETHEURE", "16")], 12, "remind"),
    ("GARA", "Nettoyage du bureau d'accueil après travaux", [("NETHEURE", "10")], 10, "remind"),
    ("OFF1", "Remise en état de la cafétéria", [("MULTENC", "1")], 4, "wait"),
    ("REGIE2", "Enlèvement d'encombrants en cave", [("MULTENC", "2")], None, "draft"),
]

# days before as_of the call came in, days from as_of to its alert date, what became of it.
CALLS: list[tuple[int, int, str]] = [
    (20, -15, "closed"),
    (17, -12, "closed"),
    (14, -10, "closed"),
    (11, -3, "in_progress"),  # late
    (9, -1, "open"),  # late
    (6, 0, "in_progress"),  # due today
    (5, 2, "closed"),
    (4, 3, "in_progress"),  # due this week
    (2, 5, "in_progress"),  # due this week
    (1, 6, "open"),  # just logged
]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def load(session: Session, ctx: DemoContext, as_of: dt.date, rng: random.Random) -> None:
    if as_of <= DEMO_TODAY or "site_keys" not in ctx.objects:
        return
    _story_entries_handled(session, as_of)
    _recent_calls(session, ctx, as_of, rng)
    if "articles" in ctx.objects:
        _recent_quotes(session, ctx, as_of)


def _recent_quotes(session: Session, ctx: DemoContext, as_of: dt.date) -> None:
    articles = ctx["articles"]
    sites = ctx["site_keys"]
    sent: list[tuple[dt.date, Any, str]] = []
    for key, title, lines, before, fate in QUOTES:
        if key not in sites:
            continue
        day = max(as_of - dt.timedelta(days=before or 1), FIRST_SEND)
        form = _tc(ctx, key, title, day, [_line(articles[c], q) for c, q in lines])
        quote = uc.create_quote(session, form)
        if before is not None:
            sent.append((day, quote, fate))
    for day, quote, fate in sorted(sent, key=lambda s: s[0]):  # chronological numbers
        transitions.send_quote(session, quote.id, day)
        if fate == "reminded":
            followup.record_reminder(session, quote.id, day + dt.timedelta(days=10), next_in_days=7)
        elif fate == "accepted":
            decision = min(day + dt.timedelta(days=9), as_of - dt.timedelta(days=1))
            transitions.accept_quote(
                session,
                quote.id,
                decision,
                plan_date=as_of + dt.timedelta(days=3),
                team="Équipe remise en état (S. Diallo, M. Roux)",
            )
    transitions.expire_quotes(session, as_of)


def _story_entries_handled(session: Session, as_of: dt.date) -> None:
    """The entries the story left open (its « today » was 1 September) were handled since."""
    day = min(DEMO_TODAY + dt.timedelta(days=2), as_of - dt.timedelta(days=1))
    entries = session.scalars(
        select(LiaisonEntry).where(LiaisonEntry.status != CLOSED).order_by(LiaisonEntry.id)
    )
    for entry in list(entries):
        received = entry.received_at
        if received.tzinfo is None:
            received = received.replace(tzinfo=dt.UTC)
        at = max(_at(day, 17), received + dt.timedelta(hours=1))
        liaison.close_entry(session, entry.id, "Traité à la rentrée, client informé.", now=at)


def _recent_calls(session: Session, ctx: DemoContext, as_of: dt.date, rng: random.Random) -> None:
    departments = {d.name: d.id for d in session.scalars(select(Department))}
    categories = {c.name: c.id for c in session.scalars(select(LiaisonCategory))}
    sites = ctx["site_keys"]
    users: dict[str, Any] = ctx.objects.get("users", {})
    keys = sorted(sites)
    saved_user = session.info.get("user_id")
    try:
        for i, (before, due_in, fate) in enumerate(CALLS):
            category, dept, kind, subject, text, first, resolution = SCENARIOS[
                (i + 3) % len(SCENARIOS)
            ]
            received_day = as_of - dt.timedelta(days=before)
            site = sites[keys[rng.randrange(len(keys))]]
            reception, handler = users.get("sophie"), users.get(HANDLERS[dept])
            session.info["user_id"] = reception.id if reception is not None else None
            received = _at(received_day, 8 + rng.randrange(0, 9), rng.choice([0, 15, 30, 45]))
            entry = liaison.create_entry(
                session,
                EntryInput(
                    kind=kind,
                    caller="Responsable des services généraux",
                    site_id=site.id,
                    department_id=departments.get(dept),
                    category_id=categories.get(category),
                    priority="high" if category == "Réclamation" else "normal",
                    subject=subject,
                    text=text,
                    assignee_id=handler.id if handler is not None else None,
                    due_date=as_of + dt.timedelta(days=due_in),
                    received_at=received,
                ),
            )
            if fate == "open":
                continue
            session.info["user_id"] = handler.id if handler is not None else None
            step = received + dt.timedelta(hours=2)
            liaison.change_status(session, entry.id, IN_PROGRESS, comment=first, now=step)
            if fate == "closed":
                liaison.close_entry(session, entry.id, resolution, now=step + dt.timedelta(days=1))
    finally:
        session.info["user_id"] = saved_user
