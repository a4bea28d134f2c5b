"""Reading one row by its id, or a typed error naming what is missing (never an assert)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from app.errors import NotFoundError

T = TypeVar("T")


def get_row(session: Session, model: type[T], row_id: int | None, what: str) -> T:
    """``model`` row ``row_id``; ``what`` names it for the user (« Client », « Facture »)."""
    row = session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise NotFoundError("{what} introuvable (n° interne {id}).", what=what, id=row_id)
    return row
