"""Duplicate a quote: a new draft with the same client, site, lines, descriptions, photos
and technical sheets, dated today. It has no number until it is sent (like any draft): the
copy of a sent or accepted quote does not touch the original nor its follow-up."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app import clock
from app.quotes.quotes import copy_contents, create_quote, form_of, get_quote, trace
from models.quotes import Quote


def duplicate_quote(session: Session, quote_id: int, *, today: dt.date | None = None) -> Quote:
    old = get_quote(session, quote_id)
    today = today or clock.today()
    form = form_of(old, session)
    form.quote_date = today
    form.validity_date = today + (old.validity_date - old.quote_date)
    if form.start_date is not None and form.start_date < today:
        form.start_date = None  # the original's start is past: to be agreed again
    new = create_quote(session, form)  # refused for a blocked client, like a new quote
    new.builder_snapshot = old.builder_snapshot
    copy_contents(session, old, new)
    session.flush()
    trace(session, new, "duplicate", f"Devis créé par copie de {old.reference}")
    return new
